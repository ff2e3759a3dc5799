//! 3×3 convolution (stride 1, "same" padding, any dilation) + bias + ReLU by Winograd's minimal
//! filtering F(2×2, 3×3): each 2×2 block of outputs costs 16 multiplications per input channel
//! instead of 36, so the network's 319 GFLOP of 3×3 convolutions shrink to 2.25× fewer
//! multiply-adds. Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016).
//!
//! Shape of one call, per image:
//! 1. a dilation `d` > 1 is split into `d²` phase sub-images (every `d`-th row and column, copied
//!    into zero-padded planes), on which the dilated convolution is a plain 3×3 one; at `d` = 1 the
//!    tiles are read from the input directly;
//! 2. for a band of 4×4 input tiles, `V = Bᵀ d B` (16 values per tile and channel);
//! 3. sixteen matrix products `M[ξ] = U[ξ] · V[ξ]` (out-channels × in-channels × tiles), where
//!    `U = G g Gᵀ` is the filter, transformed once when the model is prepared;
//! 4. `Y = Aᵀ M A` gives each tile's 2×2 outputs, plus bias, through ReLU (plus an optional
//!    residual), into the output planes.
//!
//! The input may be several feature maps read as one channel-concatenation, so the network's
//! `cat` never materialises.
//!
//! Steps 2 and 4 run vectorisable row operations; all steps split across the rayon pool.

use rayon::prelude::*;

use super::buffers::Buffer;
use super::gemm::{Mat, matmul};

/// A convolution's filter in the Winograd domain, with its bias and dilation.
pub(crate) struct Filter {
    in_channels: usize,
    out_channels: usize,
    dilation: usize,
    /// `[16][out][in]`: `U = G g Gᵀ` for every (out, in) pair, position-major so that each of the
    /// 16 products reads one contiguous matrix.
    u: Vec<f32>,
    bias: Vec<f32>,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("in_channels", &self.in_channels)
            .field("out_channels", &self.out_channels)
            .field("dilation", &self.dilation)
            .finish_non_exhaustive()
    }
}

impl Filter {
    /// `weight` is `[out][in][3][3]` (PyTorch/burn order), `bias` is `[out]`.
    pub(crate) fn new(
        weight: &[f32],
        bias: &[f32],
        in_channels: usize,
        out_channels: usize,
        dilation: usize,
    ) -> Self {
        assert_eq!(weight.len(), out_channels * in_channels * 9);
        assert_eq!(bias.len(), out_channels);
        assert!(dilation >= 1);
        const G: [[f32; 3]; 4] = [
            [1.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.5, -0.5, 0.5],
            [0.0, 0.0, 1.0],
        ];
        let mut u = vec![0.0f32; 16 * out_channels * in_channels];
        for o in 0..out_channels {
            for i in 0..in_channels {
                let g = &weight[(o * in_channels + i) * 9..][..9];
                // tmp = G g (4×3), then U = tmp Gᵀ (4×4).
                let mut tmp = [[0.0f32; 3]; 4];
                for (r, row) in tmp.iter_mut().enumerate() {
                    for (c, value) in row.iter_mut().enumerate() {
                        *value = (0..3).map(|l| G[r][l] * g[l * 3 + c]).sum();
                    }
                }
                for r in 0..4 {
                    for c in 0..4 {
                        let value: f32 = (0..3).map(|l| tmp[r][l] * G[c][l]).sum();
                        u[((r * 4 + c) * out_channels + o) * in_channels + i] = value;
                    }
                }
            }
        }
        Self {
            in_channels,
            out_channels,
            dilation,
            u,
            bias: bias.to_vec(),
        }
    }

    pub(crate) fn in_channels(&self) -> usize {
        self.in_channels
    }

    pub(crate) fn out_channels(&self) -> usize {
        self.out_channels
    }

    pub(crate) fn dilation(&self) -> usize {
        self.dilation
    }

    /// `relu(conv(inputs) + bias) (+ residual)` into `output` (`[out][height][width]`). `inputs`
    /// are `[channels][height][width]` maps whose channels add up to the filter's.
    pub(crate) fn conv_relu(
        &self,
        inputs: &Inputs<'_>,
        residual: Option<&[f32]>,
        output: &mut [f32],
    ) {
        let (height, width) = (inputs.height, inputs.width);
        assert_eq!(inputs.channels(), self.in_channels);
        assert_eq!(output.len(), self.out_channels * height * width);
        if let Some(residual) = residual {
            assert_eq!(residual.len(), output.len());
        }
        let geometry = Geometry::new(height, width, self.dilation);
        let padded = (self.dilation > 1).then(|| geometry.pad(inputs));
        let source = match &padded {
            Some(padded) => TileSource::Padded(padded),
            None => TileSource::Direct(inputs),
        };

        let rows_total = geometry.phases() * geometry.tiles_y;
        let band_rows = geometry.band_rows(self.in_channels.max(self.out_channels));
        let max_tiles = band_rows * geometry.tiles_x;
        let mut v = Buffer::new(self.in_channels * 16 * max_tiles);
        let mut m = Buffer::new(self.out_channels * 16 * max_tiles);
        let mut first_row = 0;
        while first_row < rows_total {
            let rows = band_rows.min(rows_total - first_row);
            let tiles = rows * geometry.tiles_x;
            let v = &mut v[..self.in_channels * 16 * tiles];
            let m = &mut m[..self.out_channels * 16 * tiles];
            self.transform_input(&geometry, &source, first_row, rows, v);
            self.multiply(v, m, tiles);
            self.transform_output(&geometry, m, first_row, rows, residual, output);
            first_row += rows;
        }
    }

    /// `V[c][ξ][t]` for the band's tiles, one channel per task.
    fn transform_input(
        &self,
        geometry: &Geometry,
        source: &TileSource<'_>,
        first_row: usize,
        rows: usize,
        v: &mut [f32],
    ) {
        let tiles = rows * geometry.tiles_x;
        let pw = geometry.padded_width;
        v.par_chunks_mut(16 * tiles).enumerate().for_each_init(
            || (vec![0.0f32; 4 * pw], vec![0.0f32; geometry.width]),
            |(rows_t, zero), (channel, v)| {
                for band_row in 0..rows {
                    let row = first_row + band_row;
                    let (phase, tile_y) = (row / geometry.tiles_y, row % geometry.tiles_y);
                    // Bᵀ d along the rows: t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3.
                    let (t0, rest) = rows_t.split_at_mut(pw);
                    let (t1, rest) = rest.split_at_mut(pw);
                    let (t2, t3) = rest.split_at_mut(pw);
                    match source {
                        TileSource::Padded(padded) => {
                            let plane = geometry.padded_plane();
                            let base =
                                (channel * geometry.phases() + phase) * plane + 2 * tile_y * pw;
                            let d = &padded[base..base + 4 * pw];
                            let (d0, rest) = d.split_at(pw);
                            let (d1, rest) = rest.split_at(pw);
                            let (d2, d3) = rest.split_at(pw);
                            row_transform(d0, d1, d2, d3, t0, t1, t2, t3);
                        }
                        TileSource::Direct(inputs) => {
                            // Rows 2·tile_y − 1 … 2·tile_y + 2 of the plane, zero outside; the
                            // t rows carry one zero column on the left (the padding).
                            let plane = inputs.plane(channel);
                            let w = geometry.width;
                            let zero: &[f32] = zero;
                            let line = |offset: usize| -> &[f32] {
                                let y = (2 * tile_y + offset).wrapping_sub(1);
                                if y < geometry.height {
                                    &plane[y * w..(y + 1) * w]
                                } else {
                                    zero
                                }
                            };
                            let (s0, s1, s2, s3) = (line(0), line(1), line(2), line(3));
                            row_transform(
                                s0,
                                s1,
                                s2,
                                s3,
                                &mut t0[1..=w],
                                &mut t1[1..=w],
                                &mut t2[1..=w],
                                &mut t3[1..=w],
                            );
                            for t in [&mut *t0, &mut *t1, &mut *t2, &mut *t3] {
                                t[0] = 0.0;
                                t[w + 1..].fill(0.0);
                            }
                        }
                    }
                    // … then B along the columns of each tile.
                    let offset = band_row * geometry.tiles_x;
                    for (i, t) in [&*t0, &*t1, &*t2, &*t3].into_iter().enumerate() {
                        let (v0, rest) = v[(i * 4) * tiles..].split_at_mut(tiles);
                        let (v1, rest) = rest.split_at_mut(tiles);
                        let (v2, rest) = rest.split_at_mut(tiles);
                        let v3 = &mut rest[..tiles];
                        for tx in 0..geometry.tiles_x {
                            let x = 2 * tx;
                            let (a, b, c, e) = (t[x], t[x + 1], t[x + 2], t[x + 3]);
                            v0[offset + tx] = a - c;
                            v1[offset + tx] = b + c;
                            v2[offset + tx] = c - b;
                            v3[offset + tx] = b - e;
                        }
                    }
                }
            },
        );
    }

    /// `M[ξ][k][t] = Σ_c U[ξ][k][c] V[c][ξ][t]`: sixteen independent products, spread over the pool.
    fn multiply(&self, v: &[f32], m: &mut [f32], tiles: usize) {
        let (k_total, c_total) = (self.out_channels, self.in_channels);
        m.par_chunks_mut(k_total * tiles)
            .enumerate()
            .for_each(|(xi, m)| {
                let lhs = Mat {
                    data: &self.u[xi * k_total * c_total..(xi + 1) * k_total * c_total],
                    rows: k_total,
                    cols: c_total,
                    row_stride: c_total,
                };
                let rhs = Mat {
                    data: &v[xi * tiles..],
                    rows: c_total,
                    cols: tiles,
                    row_stride: 16 * tiles,
                };
                matmul(m, tiles, lhs, rhs);
            });
    }

    /// `Y = Aᵀ M A` + bias → ReLU (+ residual) → the output planes, one out-channel per task.
    fn transform_output(
        &self,
        geometry: &Geometry,
        m: &[f32],
        first_row: usize,
        rows: usize,
        residual: Option<&[f32]>,
        output: &mut [f32],
    ) {
        let tiles = rows * geometry.tiles_x;
        let k_total = self.out_channels;
        let (height, width, d) = (geometry.height, geometry.width, geometry.dilation);
        let plane_len = height * width;
        output
            .par_chunks_mut(plane_len)
            .zip(self.bias.par_iter())
            .enumerate()
            .for_each_init(
                || vec![0.0f32; 8 * tiles],
                |s, (k, (plane, &bias))| {
                    let at = |xi: usize| &m[(xi * k_total + k) * tiles..][..tiles];
                    let residual = residual.map(|r| &r[k * plane_len..(k + 1) * plane_len]);
                    // Aᵀ m along the rows: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3 (row vectors of 4).
                    let (s0, s1) = s.split_at_mut(4 * tiles);
                    for j in 0..4 {
                        let (r0, r1, r2, r3) = (at(j), at(4 + j), at(8 + j), at(12 + j));
                        let a = &mut s0[j * tiles..(j + 1) * tiles];
                        let b = &mut s1[j * tiles..(j + 1) * tiles];
                        for t in 0..tiles {
                            a[t] = r0[t] + r1[t] + r2[t];
                            b[t] = r1[t] - r2[t] - r3[t];
                        }
                    }
                    for band_row in 0..rows {
                        let row = first_row + band_row;
                        let (phase, tile_y) = (row / geometry.tiles_y, row % geometry.tiles_y);
                        let (py, px) = (phase / d, phase % d);
                        for (i, srow) in [&*s0, &*s1].into_iter().enumerate() {
                            let y = py + (2 * tile_y + i) * d;
                            if y >= height {
                                continue;
                            }
                            let out_row = &mut plane[y * width..(y + 1) * width];
                            let res_row = residual.map(|r| &r[y * width..(y + 1) * width]);
                            let c = |j: usize| {
                                &srow[j * tiles + band_row * geometry.tiles_x..][..geometry.tiles_x]
                            };
                            let (c0, c1, c2, c3) = (c(0), c(1), c(2), c(3));
                            for tx in 0..geometry.tiles_x {
                                let y0 = (c0[tx] + c1[tx] + c2[tx] + bias).max(0.0);
                                let y1 = (c1[tx] - c2[tx] - c3[tx] + bias).max(0.0);
                                let x0 = px + 2 * tx * d;
                                if x0 < width {
                                    out_row[x0] = y0 + res_row.map_or(0.0, |r| r[x0]);
                                }
                                let x1 = x0 + d;
                                if x1 < width {
                                    out_row[x1] = y1 + res_row.map_or(0.0, |r| r[x1]);
                                }
                            }
                        }
                    }
                },
            );
    }
}

/// The row half of `Bᵀ d B` on whole rows: vectorises.
#[allow(clippy::too_many_arguments)]
fn row_transform(
    d0: &[f32],
    d1: &[f32],
    d2: &[f32],
    d3: &[f32],
    t0: &mut [f32],
    t1: &mut [f32],
    t2: &mut [f32],
    t3: &mut [f32],
) {
    let n = t0.len();
    let (d0, d1, d2, d3) = (&d0[..n], &d1[..n], &d2[..n], &d3[..n]);
    let (t1, t2, t3) = (&mut t1[..n], &mut t2[..n], &mut t3[..n]);
    for x in 0..n {
        t0[x] = d0[x] - d2[x];
        t1[x] = d1[x] + d2[x];
        t2[x] = d2[x] - d1[x];
        t3[x] = d1[x] - d3[x];
    }
}

/// The input of one convolution: feature maps of the same size read as one channel-concatenation.
pub(crate) struct Inputs<'a> {
    parts: Vec<(&'a [f32], usize)>,
    pub height: usize,
    pub width: usize,
}

impl<'a> Inputs<'a> {
    /// `parts` are `(data, channels)` pairs, each `[channels][height][width]`.
    pub(crate) fn new(parts: Vec<(&'a [f32], usize)>, height: usize, width: usize) -> Self {
        for (data, channels) in &parts {
            assert_eq!(data.len(), channels * height * width);
        }
        Self {
            parts,
            height,
            width,
        }
    }

    fn channels(&self) -> usize {
        self.parts.iter().map(|(_, channels)| channels).sum()
    }

    fn plane(&self, mut channel: usize) -> &'a [f32] {
        let len = self.height * self.width;
        for &(data, channels) in &self.parts {
            if channel < channels {
                return &data[channel * len..(channel + 1) * len];
            }
            channel -= channels;
        }
        unreachable!("channel out of range")
    }
}

enum TileSource<'a> {
    /// Phase sub-images in zero-padded planes (dilation > 1).
    Padded(&'a [f32]),
    /// The maps themselves (dilation 1).
    Direct(&'a Inputs<'a>),
}

/// Where tiles sit: a dilation `d` splits the image into `d²` phase sub-images of
/// `ceil(h/d)`×`ceil(w/d)`, each covered by 2×2 output tiles and padded by one zero on every side
/// (plus one more row/column when the size is odd).
struct Geometry {
    height: usize,
    width: usize,
    dilation: usize,
    tiles_y: usize,
    tiles_x: usize,
    padded_height: usize,
    padded_width: usize,
}

impl Geometry {
    fn new(height: usize, width: usize, dilation: usize) -> Self {
        let (sub_h, sub_w) = (height.div_ceil(dilation), width.div_ceil(dilation));
        let (tiles_y, tiles_x) = (sub_h.div_ceil(2), sub_w.div_ceil(2));
        Self {
            height,
            width,
            dilation,
            tiles_y,
            tiles_x,
            padded_height: 2 * tiles_y + 2,
            padded_width: 2 * tiles_x + 2,
        }
    }

    fn phases(&self) -> usize {
        self.dilation * self.dilation
    }

    fn padded_plane(&self) -> usize {
        self.padded_height * self.padded_width
    }

    /// Tile rows per band: enough tiles that the matrix products run long, few enough that the
    /// band's transformed input stays in cache.
    fn band_rows(&self, channels: usize) -> usize {
        const BAND_FLOATS: usize = 1 << 19;
        let tiles = (BAND_FLOATS / (16 * channels)).max(64);
        (tiles / self.tiles_x).clamp(1, self.phases() * self.tiles_y)
    }

    /// `[channel][phase][padded_height][padded_width]`, zero outside the image.
    fn pad(&self, inputs: &Inputs<'_>) -> Buffer {
        let plane = self.padded_plane();
        let per_channel = self.phases() * plane;
        let mut padded = Buffer::new(inputs.channels() * per_channel);
        let (h, w, d) = (self.height, self.width, self.dilation);
        padded
            .par_chunks_mut(per_channel)
            .enumerate()
            .for_each(|(channel, out)| {
                out.fill(0.0);
                let source = inputs.plane(channel);
                for phase in 0..self.phases() {
                    let (py, px) = (phase / d, phase % d);
                    let out = &mut out[phase * plane..(phase + 1) * plane];
                    for (sy, y) in (py..h).step_by(d).enumerate() {
                        let row = &source[y * w..(y + 1) * w];
                        let dest = &mut out[(sy + 1) * self.padded_width + 1..];
                        for (sx, x) in (px..w).step_by(d).enumerate() {
                            dest[sx] = row[x];
                        }
                    }
                }
            });
        padded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct definition: out[o][y][x] = relu(b[o] + Σ w[o][i][ky][kx] · in[i][y+(ky−1)d][x+(kx−1)d]).
    #[allow(clippy::too_many_arguments)]
    fn reference(
        input: &[f32],
        weight: &[f32],
        bias: &[f32],
        c: usize,
        k: usize,
        h: usize,
        w: usize,
        d: usize,
    ) -> Vec<f32> {
        let mut out = vec![0.0f32; k * h * w];
        for o in 0..k {
            for y in 0..h {
                for x in 0..w {
                    let mut acc = f64::from(bias[o]);
                    for i in 0..c {
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let sy = y as isize + (ky as isize - 1) * d as isize;
                                let sx = x as isize + (kx as isize - 1) * d as isize;
                                if sy < 0 || sx < 0 || sy >= h as isize || sx >= w as isize {
                                    continue;
                                }
                                acc += f64::from(weight[((o * c + i) * 3 + ky) * 3 + kx])
                                    * f64::from(input[(i * h + sy as usize) * w + sx as usize]);
                            }
                        }
                    }
                    out[(o * h + y) * w + x] = acc.max(0.0) as f32;
                }
            }
        }
        out
    }

    fn run(filter: &Filter, input: &[f32], c: usize, k: usize, h: usize, w: usize) -> Vec<f32> {
        let mut out = vec![f32::NAN; k * h * w];
        filter.conv_relu(&Inputs::new(vec![(input, c)], h, w), None, &mut out);
        out
    }

    fn values(count: usize, seed: u32) -> Vec<f32> {
        // A small LCG: deterministic, signed, no dependency.
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..count)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    #[test]
    fn matches_direct_convolution_for_every_dilation_and_odd_sizes() {
        for &(c, k, h, w, d) in &[
            (3, 5, 8, 8, 1),
            (4, 3, 7, 9, 1),
            (5, 6, 13, 11, 2),
            (2, 4, 17, 10, 4),
            (3, 2, 9, 20, 8),
            (1, 1, 1, 1, 1),
            (6, 7, 5, 3, 8),
            (40, 33, 30, 37, 1),
        ] {
            let input = values(c * h * w, 1);
            let weight = values(k * c * 9, 2);
            let bias = values(k, 3);
            let filter = Filter::new(&weight, &bias, c, k, d);
            let got = run(&filter, &input, c, k, h, w);
            let want = reference(&input, &weight, &bias, c, k, h, w, d);
            let worst = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "c{c} k{k} {h}×{w} d{d}: max error {worst}");
        }
    }

    #[test]
    fn bands_split_large_images_without_seams() {
        // Enough tiles and channels that the image takes several bands.
        let (c, k, h, w) = (64, 8, 70, 66);
        let geometry = Geometry::new(h, w, 1);
        assert!(
            geometry.band_rows(c) < geometry.tiles_y,
            "the test must cover more than one band"
        );
        let input = values(c * h * w, 4);
        let weight = values(k * c * 9, 5);
        let bias = values(k, 6);
        let got = run(&Filter::new(&weight, &bias, c, k, 1), &input, c, k, h, w);
        let want = reference(&input, &weight, &bias, c, k, h, w, 1);
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "max error {worst}");
    }

    #[test]
    fn concatenated_inputs_and_the_residual_are_applied() {
        let (c1, c2, k, h, w, d) = (3, 2, 4, 9, 7, 2);
        let (a, b) = (values(c1 * h * w, 7), values(c2 * h * w, 8));
        let joined: Vec<f32> = a.iter().chain(&b).copied().collect();
        let weight = values(k * (c1 + c2) * 9, 9);
        let bias = values(k, 10);
        let residual = values(k * h * w, 11);
        let filter = Filter::new(&weight, &bias, c1 + c2, k, d);
        let mut got = vec![f32::NAN; k * h * w];
        let inputs = Inputs::new(vec![(&a, c1), (&b, c2)], h, w);
        filter.conv_relu(&inputs, Some(&residual), &mut got);
        let want = reference(&joined, &weight, &bias, c1 + c2, k, h, w, d);
        for ((g, w), r) in got.iter().zip(&want).zip(&residual) {
            assert!((g - (w + r)).abs() < 1e-4, "{g} vs {w} + {r}");
        }
    }
}
