//! Feature maps of one image on the CPU path (`[channels][height][width]`, f32) and the cheap
//! operations between convolutions: the ceil-mode 2×2 max pool and the bilinear upsampling, both
//! with burn's (and PyTorch's) exact semantics so the masks match the reference.

use rayon::prelude::*;

use super::buffers::Buffer;
use super::kernels::vectorize;
use crate::resize;

pub(crate) struct Feature {
    pub data: Buffer,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl Feature {
    pub(crate) fn new(channels: usize, height: usize, width: usize) -> Self {
        Self {
            data: Buffer::new(channels * height * width),
            channels,
            height,
            width,
        }
    }

    /// 2×2 max pool, stride 2, ceil mode: an odd last row/column is pooled on its own.
    pub(crate) fn pool(&self) -> Feature {
        let (h, w) = (self.height, self.width);
        let (oh, ow) = (h.div_ceil(2), w.div_ceil(2));
        let mut out = Feature::new(self.channels, oh, ow);
        out.data
            .par_chunks_mut(oh * ow)
            .zip(self.data.par_chunks(h * w))
            .for_each(|(out, src)| {
                vectorize(
                    #[inline(always)]
                    || pool_plane(src, (w, h), out),
                )
            });
        out
    }

    /// Bilinear resize to `height`×`width` with half-pixel centres (`align_corners = false`), no
    /// antialiasing: source = (dst + 0.5) · in/out − 0.5, clamped at 0.
    pub(crate) fn upsample(&self, height: usize, width: usize) -> Feature {
        let (h, w) = (self.height, self.width);
        let mut out = Feature::new(self.channels, height, width);
        out.data
            .par_chunks_mut(height * width)
            .zip(self.data.par_chunks(h * w))
            .for_each(|(out, src)| {
                vectorize(
                    #[inline(always)]
                    || resize::plane((w, h), |x, y| src[y * w + x], (width, height), out, |v| v),
                );
            });
        out
    }
}

/// One plane of [`Feature::pool`]: the even-width body pairs columns with `chunks_exact`, which
/// vectorises; an odd last column is pooled on its own.
#[inline(always)]
fn pool_plane(src: &[f32], (w, h): (usize, usize), out: &mut [f32]) {
    let (oh, ow) = (h.div_ceil(2), w.div_ceil(2));
    let pairs = w / 2;
    for (y, out_row) in out.chunks_exact_mut(ow).take(oh).enumerate() {
        let r0 = &src[2 * y * w..][..w];
        let r1 = if 2 * y + 1 < h {
            &src[(2 * y + 1) * w..][..w]
        } else {
            r0
        };
        for ((value, a), b) in out_row[..pairs]
            .iter_mut()
            .zip(r0.chunks_exact(2))
            .zip(r1.chunks_exact(2))
        {
            *value = a[0].max(a[1]).max(b[0]).max(b[1]);
        }
        if pairs < ow {
            out_row[pairs] = r0[w - 1].max(r1[w - 1]);
        }
    }
}
