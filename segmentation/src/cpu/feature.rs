//! Feature maps of one image on the CPU path (`[channels][height][width]`, f32) and the cheap
//! operations between convolutions: the ceil-mode 2×2 max pool and the bilinear upsampling, both
//! with burn's (and PyTorch's) exact semantics so the masks match the reference.

use rayon::prelude::*;

use super::buffers::Buffer;
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
                for y in 0..oh {
                    let r0 = &src[2 * y * w..][..w];
                    let r1 = if 2 * y + 1 < h {
                        &src[(2 * y + 1) * w..][..w]
                    } else {
                        r0
                    };
                    for x in 0..ow {
                        let x1 = (2 * x + 1).min(w - 1);
                        out[y * ow + x] = r0[2 * x].max(r0[x1]).max(r1[2 * x]).max(r1[x1]);
                    }
                }
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
                resize::plane((w, h), |x, y| src[y * w + x], (width, height), out, |v| v);
            });
        out
    }
}
