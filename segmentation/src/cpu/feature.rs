//! Feature maps of one image on the CPU path (`[channels][height][width]`, f32) and the cheap
//! operations between convolutions: the ceil-mode 2×2 max pool and the bilinear upsampling, both
//! with burn's (and PyTorch's) exact semantics so the masks match the reference.

use rayon::prelude::*;

use super::buffers::Buffer;

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
        let taps = |input: usize, output: usize| -> Vec<(usize, usize, f32)> {
            let scale = input as f32 / output as f32;
            (0..output)
                .map(|dst| {
                    let src = ((dst as f32 + 0.5) * scale - 0.5).max(0.0);
                    let i0 = (src as usize).min(input - 1);
                    let i1 = if i0 + 1 < input { i0 + 1 } else { i0 };
                    (i0, i1, src - i0 as f32)
                })
                .collect()
        };
        let (rows, cols) = (taps(h, height), taps(w, width));
        out.data
            .par_chunks_mut(height * width)
            .zip(self.data.par_chunks(h * w))
            .for_each_init(
                || vec![0.0f32; width * 2],
                |scratch, (out, src)| {
                    // Each output row mixes two source rows, each resized along x first.
                    let (top, bottom) = scratch.split_at_mut(width);
                    let mut cached = (usize::MAX, usize::MAX);
                    for (y, &(r0, r1, fy)) in rows.iter().enumerate() {
                        if cached != (r0, r1) {
                            for (row, line) in [(r0, &mut *top), (r1, &mut *bottom)] {
                                let line_src = &src[row * w..][..w];
                                for (x, &(c0, c1, fx)) in cols.iter().enumerate() {
                                    line[x] = line_src[c0] * (1.0 - fx) + line_src[c1] * fx;
                                }
                            }
                            cached = (r0, r1);
                        }
                        let dst = &mut out[y * width..][..width];
                        for x in 0..width {
                            dst[x] = top[x] * (1.0 - fy) + bottom[x] * fy;
                        }
                    }
                },
            );
        out
    }
}
