//! 3×3 convolution (stride 1, "same" padding, any dilation) + bias + ReLU by Winograd's minimal
//! filtering (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016), in two
//! sizes ([`Tile`]):
//! - F(4×4, 3×3): 6×6 input tiles, 36 products per 4×4 outputs and input channel, 4× fewer
//!   multiplications than the direct convolution. Interpolation points 0, ±1, ±½ and ∞: the
//!   symmetric pairs keep the transforms cheap, and ±½ and ±2 measured the same f32 error
//!   (max 1.8e-5 on unit-size outputs of 64 channels, against 6.7e-6 for the mixed ½, −2 set that
//!   costs more additions); the unit tests bound it against the direct convolution.
//! - F(2×2, 3×3): 4×4 input tiles, 16 products per 2×2 outputs (2.25× fewer), for sub-images so
//!   small that a 4×4 tile would mostly cover padding ([`Tile::for_map`]).
//!
//! Shape of one call, per image:
//! 1. a dilation `d` > 1 is split into `d²` phase sub-images (every `d`-th row and column, read with
//!    stride `d`), on which the dilated convolution is a plain 3×3 one;
//! 2. for a band of tile rows, `V = Bᵀ d B` (`n²` values per tile and channel, `n` = 6 or 4): each
//!    input line is copied into a zero-padded line, transformed along the rows as whole vectors,
//!    split into its `m` column phases (so that the column transform reads contiguous vectors too)
//!    and transformed along the columns;
//! 3. `n²` matrix products `M[ξ] = U[ξ] · V[ξ]` (out-channels × in-channels × tiles), where
//!    `U = G g Gᵀ` is the filter, transformed once when the model is prepared;
//! 4. `Y = Aᵀ M A` gives each tile's `m×m` outputs, plus bias, through ReLU (plus an optional
//!    residual), interleaved into the output rows.
//!
//! The input may be several feature maps read as one channel-concatenation, so the network's
//! `cat` never materialises. Steps 2 and 4 run inside [`vectorize`] (AVX-512 or AVX2 when the CPU
//! has them); all steps split across the rayon pool.

use rayon::prelude::*;

use super::buffers::Buffer;
use super::gemm::{Mat, matmul};
use super::kernels::vectorize;

/// The output tile of the Winograd algorithm: F(m×m, 3×3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tile {
    /// F(2×2, 3×3): 4×4 input tiles, 16 products.
    F2,
    /// F(4×4, 3×3): 6×6 input tiles, 36 products.
    F4,
}

impl Tile {
    #[cfg(test)]
    const ALL: [Tile; 2] = [Tile::F2, Tile::F4];

    /// Outputs per tile edge.
    fn m(self) -> usize {
        match self {
            Tile::F2 => 2,
            Tile::F4 => 4,
        }
    }

    /// Inputs per tile edge.
    fn n(self) -> usize {
        self.m() + 2
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Tile::F2 => 0,
            Tile::F4 => 1,
        }
    }

    /// The tile with the fewest products for a `height`×`width` map at `dilation`: F(4×4) unless
    /// the phase sub-images are so small that its tiles would mostly cover padding (a dilation of
    /// 8 on a 16×16 map leaves 2×2 sub-images: one 6×6 tile, 36 products, against 16 for F(2×2)).
    pub(crate) fn for_map(height: usize, width: usize, dilation: usize) -> Tile {
        let (sub_h, sub_w) = (height.div_ceil(dilation), width.div_ceil(dilation));
        let products = |tile: Tile| {
            let n = tile.n();
            sub_h.div_ceil(tile.m()) * sub_w.div_ceil(tile.m()) * n * n
        };
        if products(Tile::F4) < products(Tile::F2) {
            Tile::F4
        } else {
            Tile::F2
        }
    }

    /// `G` (n×3), in f64 for the one-time filter transform.
    fn g(self) -> &'static [[f64; 3]] {
        const F2: [[f64; 3]; 4] = [
            [1.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.5, -0.5, 0.5],
            [0.0, 0.0, 1.0],
        ];
        // Points 0, 1, −1, ½, −½, ∞ (Toom–Cook, the interpolation scale moved into G).
        const F4: [[f64; 3]; 6] = [
            [4.0, 0.0, 0.0],
            [2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0],
            [2.0 / 3.0, -2.0 / 3.0, 2.0 / 3.0],
            [-8.0 / 3.0, -4.0 / 3.0, -2.0 / 3.0],
            [-8.0 / 3.0, 4.0 / 3.0, -2.0 / 3.0],
            [0.0, 0.0, 1.0],
        ];
        match self {
            Tile::F2 => &F2,
            Tile::F4 => &F4,
        }
    }
}

/// `Bᵀ x` for F(2×2): t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3.
#[inline(always)]
fn input_f2([d0, d1, d2, d3]: [f32; 4]) -> [f32; 4] {
    [d0 - d2, d1 + d2, d2 - d1, d1 - d3]
}

/// `Bᵀ x` for F(4×4), points 0, ±1, ±½, ∞:
/// ```text
/// ¼  0  −5/4  0   1  0
/// 0 −¼  −¼    1   1  0
/// 0  ¼  −¼   −1   1  0
/// 0 −½  −1    ½   1  0
/// 0  ½  −1   −½   1  0
/// 0  ¼   0  −5/4  0  1
/// ```
#[inline(always)]
fn input_f4([d0, d1, d2, d3, d4, d5]: [f32; 6]) -> [f32; 6] {
    let a = d4 - 0.25 * d2;
    let b = d3 - 0.25 * d1;
    let c = d4 - d2;
    let e = 0.5 * (d3 - d1);
    [
        0.25 * d0 - 1.25 * d2 + d4,
        a + b,
        a - b,
        c + e,
        c - e,
        0.25 * d1 - 1.25 * d3 + d5,
    ]
}

/// `Aᵀ x` for F(2×2): y0 = m0 + m1 + m2, y1 = m1 − m2 − m3.
#[inline(always)]
fn output_f2([m0, m1, m2, m3]: [f32; 4]) -> [f32; 2] {
    [m0 + m1 + m2, m1 - m2 - m3]
}

/// `Aᵀ x` for F(4×4): rows (1 1 1 1 1 0), (0 1 −1 ½ −½ 0), (0 1 1 ¼ ¼ 0), (0 1 −1 ⅛ −⅛ 1).
#[inline(always)]
fn output_f4([m0, m1, m2, m3, m4, m5]: [f32; 6]) -> [f32; 4] {
    let (s, d) = (m1 + m2, m1 - m2);
    let (s2, d2) = (m3 + m4, m3 - m4);
    [
        m0 + s + s2,
        d + 0.5 * d2,
        s + 0.25 * s2,
        d + 0.125 * d2 + m5,
    ]
}

/// `out[o][x] = f([inputs[0][x], …])[o]` for every `x` below the outputs' length: one of the 1-D
/// transforms applied to whole lines. It works on blocks of [`LANES`] values copied into arrays of
/// a fixed size, so that the compiler sees no bounds checks and keeps each block in one AVX-512
/// register (two AVX2 ones); indexing the lines directly left a scalar loop with a bounds check
/// per store.
#[inline(always)]
fn lines<const I: usize, const O: usize>(
    inputs: [&[f32]; I],
    mut outputs: [&mut [f32]; O],
    f: impl Fn([f32; I]) -> [f32; O],
) {
    let len = outputs[0].len();
    let block = |values: &[[f32; LANES]; I]| {
        let mut results = [[0.0f32; LANES]; O];
        for lane in 0..LANES {
            let out = f(std::array::from_fn(|i| values[i][lane]));
            for (result, value) in results.iter_mut().zip(out) {
                result[lane] = value;
            }
        }
        results
    };
    let full = len / LANES * LANES;
    for x in (0..full).step_by(LANES) {
        let values: [[f32; LANES]; I] = std::array::from_fn(|i| {
            let mut block = [0.0f32; LANES];
            block.copy_from_slice(&inputs[i][x..x + LANES]);
            block
        });
        for (line, result) in outputs.iter_mut().zip(block(&values)) {
            line[x..x + LANES].copy_from_slice(&result);
        }
    }
    if full < len {
        let rest = len - full;
        let values: [[f32; LANES]; I] = std::array::from_fn(|i| {
            let mut block = [0.0f32; LANES];
            block[..rest].copy_from_slice(&inputs[i][full..len]);
            block
        });
        for (line, result) in outputs.iter_mut().zip(block(&values)) {
            line[full..len].copy_from_slice(&result[..rest]);
        }
    }
}

/// Values per block in [`lines`]: one AVX-512 register of f32.
const LANES: usize = 16;

/// Splits `line` (`M·len` values) into its `M` column phases: `phases[r][t] = line[M·t + r]`.
#[inline(always)]
fn split_phases<const M: usize>(line: &[f32], phases: &mut [f32], len: usize) {
    let mut outs = phases[..M * len].chunks_exact_mut(len);
    let mut parts: [&mut [f32]; M] = std::array::from_fn(|_| outs.next().unwrap_or_default());
    for (t, chunk) in line[..M * len].chunks_exact(M).enumerate() {
        if let Some(chunk) = chunk.first_chunk::<M>() {
            for (part, &value) in parts.iter_mut().zip(chunk) {
                part[t] = value;
            }
        }
    }
}

/// A convolution's filter in the Winograd domain, with its bias and dilation.
pub(crate) struct Filter {
    in_channels: usize,
    out_channels: usize,
    dilation: usize,
    tile: Tile,
    /// `[n²][out][in]`: `U = G g Gᵀ` for every (out, in) pair, position-major so that each of the
    /// `n²` products reads one contiguous matrix.
    u: Vec<f32>,
    bias: Vec<f32>,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("in_channels", &self.in_channels)
            .field("out_channels", &self.out_channels)
            .field("dilation", &self.dilation)
            .field("tile", &self.tile)
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
        tile: Tile,
    ) -> Self {
        assert_eq!(weight.len(), out_channels * in_channels * 9);
        assert_eq!(bias.len(), out_channels);
        assert!(dilation >= 1);
        let (g_matrix, n) = (tile.g(), tile.n());
        let pairs = out_channels * in_channels;
        let mut u = vec![0.0f32; n * n * pairs];
        // Blocks of (out, in) pairs in parallel; each writes its share of all n² matrices.
        const BLOCK: usize = 4096;
        let mut blocks: Vec<Vec<&mut [f32]>> =
            (0..pairs.div_ceil(BLOCK)).map(|_| Vec::new()).collect();
        for matrix in u.chunks_mut(pairs.max(1)) {
            for (block, part) in blocks.iter_mut().zip(matrix.chunks_mut(BLOCK)) {
                block.push(part);
            }
        }
        blocks
            .into_par_iter()
            .zip(weight.par_chunks(9 * BLOCK))
            .for_each(|(mut block, weights)| {
                for (pair, g) in weights.chunks_exact(9).enumerate() {
                    // tmp = G g (n×3), then U = tmp Gᵀ (n×n), in f64.
                    let mut tmp = [[0.0f64; 3]; 6];
                    for (r, row) in tmp.iter_mut().take(n).enumerate() {
                        for (c, value) in row.iter_mut().enumerate() {
                            *value = (0..3)
                                .map(|l| g_matrix[r][l] * f64::from(g[l * 3 + c]))
                                .sum();
                        }
                    }
                    for (xi, matrix) in block.iter_mut().enumerate() {
                        let (r, c) = (xi / n, xi % n);
                        let value: f64 = (0..3).map(|l| tmp[r][l] * g_matrix[c][l]).sum();
                        matrix[pair] = value as f32;
                    }
                }
            });
        Self {
            in_channels,
            out_channels,
            dilation,
            tile,
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
        if self.dilation >= MOSAIC_FROM_DILATION {
            self.dilated_as_mosaic(inputs, residual, output);
            return;
        }
        let geometry = Geometry::new(height, width, self.dilation, self.tile);
        self.run(&geometry, inputs, residual, output);
    }

    /// A dilation-`d` convolution is an ordinary one on each of the `d²` phase sub-images (every
    /// `d`-th row and column). They are laid side by side in one mosaic with a zero row and column
    /// between them (the zero padding each needs), convolved as one map at dilation 1, and the
    /// results picked out again: long tile rows instead of `d²` short ones, whose per-row overhead
    /// dominated the small dilated maps of the network (16² and 32²).
    fn dilated_as_mosaic(&self, inputs: &Inputs<'_>, residual: Option<&[f32]>, output: &mut [f32]) {
        let mosaic = Mosaic::new(inputs.height, inputs.width, self.dilation);
        let (mh, mw) = (mosaic.height, mosaic.width);
        let mut laid = Buffer::new(self.in_channels * mh * mw);
        laid.par_chunks_mut(mh * mw)
            .enumerate()
            .for_each(|(channel, out)| mosaic.lay(inputs.plane(channel), out));
        let mut result = Buffer::new(self.out_channels * mh * mw);
        self.run(
            &Geometry::new(mh, mw, 1, self.tile),
            &Inputs::new(vec![(&laid, self.in_channels)], mh, mw),
            None,
            &mut result,
        );
        let plane_len = inputs.height * inputs.width;
        output
            .par_chunks_mut(plane_len)
            .zip(result.par_chunks(mh * mw))
            .enumerate()
            .for_each(|(k, (plane, laid))| {
                let residual = residual.map(|r| &r[k * plane_len..(k + 1) * plane_len]);
                mosaic.pick(laid, plane, residual);
            });
    }

    /// The convolution over `geometry`'s map, its phases (dilation above 1) one after another.
    fn run(
        &self,
        geometry: &Geometry,
        inputs: &Inputs<'_>,
        residual: Option<&[f32]>,
        output: &mut [f32],
    ) {
        let (height, width) = (geometry.height, geometry.width);
        let nn = geometry.n * geometry.n;

        let rows_total = geometry.phases() * geometry.tiles_y;
        let band_rows = geometry.band_rows(self.in_channels.max(self.out_channels));
        let bands: Vec<(usize, usize)> = (0..rows_total)
            .step_by(band_rows)
            .map(|first| (first, band_rows.min(rows_total - first)))
            .collect();
        if geometry.bands_apart(bands.len()) {
            self.bands_apart(geometry, inputs, residual, output, &bands);
            return;
        }
        let max_tiles = band_rows * geometry.tiles_x;
        let mut v = Buffer::new(self.in_channels * nn * max_tiles);
        let mut m = Buffer::new(self.out_channels * nn * max_tiles);
        let plane_len = height * width;
        for &(first_row, rows) in &bands {
            let tiles = rows * geometry.tiles_x;
            let v = &mut v[..self.in_channels * nn * tiles];
            let m = &mut m[..self.out_channels * nn * tiles];
            // Each step spread over the pool: channels, products, out-channels.
            v.par_chunks_mut(nn * tiles).enumerate().for_each_init(
                || geometry.input_scratch(),
                |scratch, (channel, v)| {
                    self.input_channel(geometry, inputs.plane(channel), first_row, rows, v, scratch)
                },
            );
            m.par_chunks_mut(self.out_channels * tiles)
                .enumerate()
                .for_each(|(xi, m)| self.product(xi, v, m, tiles, nn));
            output.par_chunks_mut(plane_len).enumerate().for_each_init(
                || geometry.output_scratch(tiles),
                |scratch, (k, plane)| {
                    let band = OutputBand {
                        geometry,
                        first_row,
                        rows,
                        bias: self.bias[k],
                        residual: residual.map(|r| &r[k * plane_len..(k + 1) * plane_len]),
                        plane_first_row: 0,
                    };
                    self.output_channel(&band, m, k, tiles, plane, scratch);
                },
            );
        }
    }

    /// Dilation 1 with bands to spare: each band runs whole on one thread (input transform,
    /// products, output transform), so its transformed input and products stay in that core's
    /// cache and the threads meet once per layer instead of three times per band. A band's output
    /// rows are its own: the planes are split by band before the threads start.
    fn bands_apart(
        &self,
        geometry: &Geometry,
        inputs: &Inputs<'_>,
        residual: Option<&[f32]>,
        output: &mut [f32],
        bands: &[(usize, usize)],
    ) {
        let nn = geometry.n * geometry.n;
        let (width, plane_len) = (geometry.width, geometry.height * geometry.width);
        let mut parts: Vec<Vec<&mut [f32]>> = bands
            .iter()
            .map(|_| Vec::with_capacity(self.out_channels))
            .collect();
        for plane in output.chunks_mut(plane_len) {
            let mut rest = plane;
            for (part, &(_, rows)) in parts.iter_mut().zip(bands) {
                let take = (geometry.m * rows * width).min(rest.len());
                let (head, tail) = std::mem::take(&mut rest).split_at_mut(take);
                part.push(head);
                rest = tail;
            }
        }
        let max_tiles = bands.iter().map(|&(_, rows)| rows).max().unwrap_or(0) * geometry.tiles_x;
        parts.into_par_iter().zip(bands).for_each_init(
            || {
                (
                    Buffer::new(self.in_channels * nn * max_tiles),
                    Buffer::new(self.out_channels * nn * max_tiles),
                    geometry.input_scratch(),
                    geometry.output_scratch(max_tiles),
                )
            },
            |(v, m, in_scratch, out_scratch), (mut planes, &(first_row, rows))| {
                let tiles = rows * geometry.tiles_x;
                let v = &mut v[..self.in_channels * nn * tiles];
                let m = &mut m[..self.out_channels * nn * tiles];
                for (channel, v) in v.chunks_mut(nn * tiles).enumerate() {
                    self.input_channel(
                        geometry,
                        inputs.plane(channel),
                        first_row,
                        rows,
                        v,
                        in_scratch,
                    );
                }
                for (xi, m) in m.chunks_mut(self.out_channels * tiles).enumerate() {
                    self.product(xi, v, m, tiles, nn);
                }
                for (k, plane) in planes.iter_mut().enumerate() {
                    let band = OutputBand {
                        geometry,
                        first_row,
                        rows,
                        bias: self.bias[k],
                        residual: residual.map(|r| &r[k * plane_len..(k + 1) * plane_len]),
                        plane_first_row: geometry.m * first_row,
                    };
                    self.output_channel(&band, m, k, tiles, plane, out_scratch);
                }
            },
        );
    }

    /// `V[ξ][t]` of one input channel for the band's tiles.
    fn input_channel(
        &self,
        geometry: &Geometry,
        plane: &[f32],
        first_row: usize,
        rows: usize,
        v: &mut [f32],
        scratch: &mut [f32],
    ) {
        vectorize(
            #[inline(always)]
            || match self.tile {
                Tile::F2 => {
                    input_band::<2, 4>(geometry, plane, first_row, rows, v, scratch, input_f2)
                }
                Tile::F4 => {
                    input_band::<4, 6>(geometry, plane, first_row, rows, v, scratch, input_f4)
                }
            },
        );
    }

    /// Product `ξ`: `M[ξ][k][t] = Σ_c U[ξ][k][c] V[c][ξ][t]`.
    fn product(&self, xi: usize, v: &[f32], m: &mut [f32], tiles: usize, nn: usize) {
        let (k_total, c_total) = (self.out_channels, self.in_channels);
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
            row_stride: nn * tiles,
        };
        matmul(m, tiles, lhs, rhs);
    }

    /// `Y = Aᵀ M A` + bias → ReLU (+ residual) of out-channel `k` → the band's rows of `plane`.
    fn output_channel(
        &self,
        band: &OutputBand<'_>,
        m: &[f32],
        k: usize,
        tiles: usize,
        plane: &mut [f32],
        scratch: &mut [f32],
    ) {
        let k_total = self.out_channels;
        let at = |xi: usize| &m[(xi * k_total + k) * tiles..][..tiles];
        vectorize(
            #[inline(always)]
            || match self.tile {
                Tile::F2 => band.write::<2, 4>(at, plane, scratch, output_f2),
                Tile::F4 => band.write::<4, 6>(at, plane, scratch, output_f4),
            },
        );
    }
}

/// One channel's share of a band: for each tile row, `N` input lines → `V[ξ][t]`.
#[inline(always)]
fn input_band<const M: usize, const N: usize>(
    geometry: &Geometry,
    plane: &[f32],
    first_row: usize,
    rows: usize,
    v: &mut [f32],
    scratch: &mut [f32],
    transform: impl Fn([f32; N]) -> [f32; N] + Copy,
) {
    let tiles = rows * geometry.tiles_x;
    let (tiles_x, len) = (geometry.tiles_x, geometry.line_len());
    let phase_len = len / M;
    let (padded, rest) = scratch.split_at_mut(N * len);
    if geometry.dilation == 1 {
        padded[..geometry.width].fill(0.0); // the zero row above and below the image
    }
    let (transformed, phases) = rest.split_at_mut(N * len);
    for band_row in 0..rows {
        let row = first_row + band_row;
        let (phase, tile_y) = (row / geometry.tiles_y, row % geometry.tiles_y);
        // The tile row's N input lines, zero-padded, then Bᵀ along the rows (whole lines). At
        // dilation 1 the rows are read in place and the padding is written around the result.
        if geometry.dilation == 1 {
            let width = geometry.width;
            let zero = &padded[..width];
            let inputs: [&[f32]; N] =
                std::array::from_fn(|i| match (M * tile_y + i).checked_sub(1) {
                    Some(y) if y < geometry.height => &plane[y * width..(y + 1) * width],
                    _ => zero,
                });
            let mut outs = transformed.chunks_exact_mut(len);
            let outputs: [&mut [f32]; N] = std::array::from_fn(|_| {
                outs.next()
                    .map(|line| {
                        line[0] = 0.0;
                        line[width + 1..].fill(0.0);
                        &mut line[1..=width]
                    })
                    .unwrap_or_default()
            });
            lines(inputs, outputs, transform);
        } else {
            for (i, line) in padded.chunks_exact_mut(len).take(N).enumerate() {
                geometry.fill_line(plane, phase, M * tile_y + i, line);
            }
            let inputs: [&[f32]; N] = std::array::from_fn(|i| &padded[i * len..(i + 1) * len]);
            let mut outs = transformed.chunks_exact_mut(len);
            let outputs: [&mut [f32]; N] = std::array::from_fn(|_| outs.next().unwrap_or_default());
            lines(inputs, outputs, transform);
        }
        // … then split each line into its M column phases, so that column k of tile t is
        // phases[k mod M][t + k div M], and B along the columns.
        for (line, out) in transformed
            .chunks_exact(len)
            .zip(phases.chunks_exact_mut(len))
        {
            split_phases::<M>(line, out, phase_len);
        }
        let offset = band_row * tiles_x;
        for j in 0..N {
            let line = &phases[j * len..(j + 1) * len];
            let columns: [&[f32]; N] = std::array::from_fn(|k| {
                let start = (k % M) * phase_len + k / M;
                &line[start..start + tiles_x]
            });
            let mut outs = v[j * N * tiles..(j + 1) * N * tiles].chunks_exact_mut(tiles);
            let outputs: [&mut [f32]; N] = std::array::from_fn(|_| {
                outs.next()
                    .map(|out| &mut out[offset..offset + tiles_x])
                    .unwrap_or_default()
            });
            lines(columns, outputs, transform);
        }
    }
}

/// What one out-channel's output transform needs besides the products.
struct OutputBand<'a> {
    geometry: &'a Geometry,
    first_row: usize,
    rows: usize,
    bias: f32,
    residual: Option<&'a [f32]>,
    /// The image row that `plane` starts with (a band's own rows, or 0 for the whole plane).
    plane_first_row: usize,
}

impl OutputBand<'_> {
    /// `at(ξ)` is `M[ξ][k]` for the band's tiles; writes the band's rows of `plane`.
    #[inline(always)]
    fn write<'m, const M: usize, const N: usize>(
        &self,
        at: impl Fn(usize) -> &'m [f32],
        plane: &mut [f32],
        scratch: &mut [f32],
        transform: impl Fn([f32; N]) -> [f32; M] + Copy,
    ) {
        let geometry = self.geometry;
        let (tiles_x, tiles) = (geometry.tiles_x, self.rows * geometry.tiles_x);
        let (height, width, d) = (geometry.height, geometry.width, geometry.dilation);
        let (s, y_lines) = scratch.split_at_mut(M * N * tiles);
        // Aᵀ m along the rows for the whole band: s[r][j] = Σ_i Aᵀ[r][i] m[i·N + j].
        for j in 0..N {
            let inputs: [&[f32]; N] = std::array::from_fn(|i| at(i * N + j));
            let mut outs = s.chunks_exact_mut(tiles).skip(j).step_by(N);
            let outputs: [&mut [f32]; M] = std::array::from_fn(|_| outs.next().unwrap_or_default());
            lines(inputs, outputs, transform);
        }
        let bias = self.bias;
        for band_row in 0..self.rows {
            let row = self.first_row + band_row;
            let (phase, tile_y) = (row / geometry.tiles_y, row % geometry.tiles_y);
            let (py, px) = (phase / d, phase % d);
            for r in 0..M {
                let y = py + (M * tile_y + r) * d;
                if y >= height {
                    break;
                }
                // … then A along the columns: y_lines[c][t] for this output row, bias, ReLU.
                let offset = band_row * tiles_x;
                let inputs: [&[f32]; N] =
                    std::array::from_fn(|j| &s[(r * N + j) * tiles + offset..][..tiles_x]);
                let mut outs = y_lines.chunks_exact_mut(tiles_x);
                let outputs: [&mut [f32]; M] =
                    std::array::from_fn(|_| outs.next().unwrap_or_default());
                lines(inputs, outputs, |values| {
                    transform(values).map(|value| (value + bias).max(0.0))
                });
                let at_row = (y - self.plane_first_row) * width;
                let out_row = &mut plane[at_row..at_row + width];
                let res_row = self.residual.map(|r| &r[y * width..(y + 1) * width]);
                let ys: [&[f32]; M] =
                    std::array::from_fn(|c| &y_lines[c * tiles_x..(c + 1) * tiles_x]);
                if d == 1 {
                    interleave::<M>(ys, out_row, res_row);
                } else {
                    for t in 0..tiles_x {
                        for (c, y_line) in ys.iter().enumerate() {
                            let x = px + (M * t + c) * d;
                            if x < width {
                                out_row[x] = y_line[t] + res_row.map_or(0.0, |r| r[x]);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `out[M·t + c] = ys[c][t] (+ residual)`, the last tile cut at the row's end.
#[inline(always)]
fn interleave<const M: usize>(ys: [&[f32]; M], out: &mut [f32], residual: Option<&[f32]>) {
    let full = out.len() / M;
    let last = ys.map(|line| line.get(full).copied().unwrap_or_default());
    let ys = ys.map(|line| &line[..full]);
    let (body, tail) = out.split_at_mut(full * M);
    match residual {
        Some(residual) => {
            let (res_body, res_tail) = residual.split_at(full * M);
            for (t, (chunk, res)) in body
                .chunks_exact_mut(M)
                .zip(res_body.chunks_exact(M))
                .enumerate()
            {
                for c in 0..M {
                    chunk[c] = ys[c][t] + res[c];
                }
            }
            for (c, (value, res)) in tail.iter_mut().zip(res_tail).enumerate() {
                *value = last[c] + res;
            }
        }
        None => {
            for (t, chunk) in body.chunks_exact_mut(M).enumerate() {
                for c in 0..M {
                    chunk[c] = ys[c][t];
                }
            }
            for (c, value) in tail.iter_mut().enumerate() {
                *value = last[c];
            }
        }
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

/// Dilations from which a convolution runs as one [`Mosaic`] rather than phase by phase: one
/// 1024² pass, one thread, Xeon with AVX-512 (CPU ms of the network's dilated layers, phases →
/// mosaic): d = 8 at 32² 50 → 23, d = 4 at 32² 75 → 58; but d = 2 at 32² 48 → 57, where the
/// phases' tile rows are long enough already and the mosaic's copies cost more than they save.
const MOSAIC_FROM_DILATION: usize = 4;

/// The `d²` phase sub-images of a `height`×`width` map (phase `(py, px)` holds rows `py + a·d`,
/// columns `px + b·d`) laid out as one map: phase `(py, px)`'s value `(a, b)` at row
/// `py·(sub_h + 1) + a`, column `px·(sub_w + 1) + b`, zeros between the phases and wherever a
/// phase is a row or column shorter than `sub_h`×`sub_w`.
struct Mosaic {
    dilation: usize,
    source_height: usize,
    source_width: usize,
    sub_h: usize,
    sub_w: usize,
    height: usize,
    width: usize,
}

impl Mosaic {
    fn new(source_height: usize, source_width: usize, dilation: usize) -> Self {
        let (sub_h, sub_w) = (
            source_height.div_ceil(dilation),
            source_width.div_ceil(dilation),
        );
        Self {
            dilation,
            source_height,
            source_width,
            sub_h,
            sub_w,
            height: dilation * (sub_h + 1) - 1,
            width: dilation * (sub_w + 1) - 1,
        }
    }

    /// Row `y` and column `x` of the source in the mosaic.
    fn row_of(&self, y: usize) -> usize {
        (y % self.dilation) * (self.sub_h + 1) + y / self.dilation
    }

    fn column_of(&self, x: usize) -> usize {
        (x % self.dilation) * (self.sub_w + 1) + x / self.dilation
    }

    /// Lays one source plane out into `out` (`height`×`width`).
    fn lay(&self, plane: &[f32], out: &mut [f32]) {
        out.fill(0.0);
        for (y, row) in plane.chunks_exact(self.source_width).enumerate() {
            let line = &mut out[self.row_of(y) * self.width..][..self.width];
            for (x, &value) in row.iter().enumerate() {
                line[self.column_of(x)] = value;
            }
        }
    }

    /// Picks one plane back out of the mosaic's `laid` into `plane` (+ `residual`).
    fn pick(&self, laid: &[f32], plane: &mut [f32], residual: Option<&[f32]>) {
        for (y, row) in plane.chunks_exact_mut(self.source_width).enumerate() {
            let line = &laid[self.row_of(y) * self.width..][..self.width];
            for (x, value) in row.iter_mut().enumerate() {
                *value = line[self.column_of(x)];
            }
            if let Some(residual) = residual {
                let start = y * self.source_width;
                for (value, r) in row
                    .iter_mut()
                    .zip(&residual[start..start + self.source_width])
                {
                    *value += r;
                }
            }
        }
        debug_assert_eq!(plane.len(), self.source_height * self.source_width);
    }
}

/// Where tiles sit: a dilation `d` splits the image into `d²` phase sub-images of
/// `ceil(h/d)`×`ceil(w/d)`, each covered by `m×m` output tiles whose `n×n` inputs reach one value
/// past every edge (zero there).
struct Geometry {
    height: usize,
    width: usize,
    dilation: usize,
    m: usize,
    n: usize,
    tiles_y: usize,
    tiles_x: usize,
}

impl Geometry {
    fn new(height: usize, width: usize, dilation: usize, tile: Tile) -> Self {
        let (sub_h, sub_w) = (height.div_ceil(dilation), width.div_ceil(dilation));
        let m = tile.m();
        Self {
            height,
            width,
            dilation,
            m,
            n: tile.n(),
            tiles_y: sub_h.div_ceil(m),
            tiles_x: sub_w.div_ceil(m),
        }
    }

    fn phases(&self) -> usize {
        self.dilation * self.dilation
    }

    /// A padded input line: `m` per tile plus one tile's worth for the `n − m` = 2 values the
    /// last tile reads past its own columns, so that it splits evenly into `m` phases.
    fn line_len(&self) -> usize {
        self.m * (self.tiles_x + 1)
    }

    /// Line `sy` of phase `phase`'s padded sub-image (`sy` = 0 is the zero row above it): value
    /// `p` is image column `px + (p − 1)·d` of image row `py + (sy − 1)·d`, zero outside.
    #[inline(always)]
    fn fill_line(&self, plane: &[f32], phase: usize, sy: usize, line: &mut [f32]) {
        let d = self.dilation;
        let (py, px) = (phase / d, phase % d);
        let y = (py + sy * d).wrapping_sub(d);
        if sy == 0 || y >= self.height {
            line.fill(0.0);
            return;
        }
        let row = &plane[y * self.width..(y + 1) * self.width];
        line[0] = 0.0;
        if d == 1 {
            let copied = self.width.min(line.len() - 1);
            let (body, tail) = line[1..].split_at_mut(copied);
            body.copy_from_slice(&row[..body.len()]);
            tail.fill(0.0);
        } else {
            let source = row.iter().skip(px).step_by(d);
            let mut filled = 1;
            for (slot, &value) in line[1..].iter_mut().zip(source) {
                *slot = value;
                filled += 1;
            }
            line[filled..].fill(0.0);
        }
    }

    /// Scratch space for one input channel's transform ([`input_band`]).
    fn input_scratch(&self) -> Vec<f32> {
        vec![0.0f32; 3 * self.n * self.line_len()]
    }

    /// Scratch space for one out-channel's transform of `tiles` tiles ([`OutputBand::write`]).
    fn output_scratch(&self, tiles: usize) -> Vec<f32> {
        vec![0.0f32; self.m * self.n * tiles + self.m * self.tiles_x]
    }

    /// Whether each band runs whole on one thread ([`Filter::bands_apart`]): at dilation 1 (a
    /// band's output rows are then its own) and with at least two bands per thread.
    fn bands_apart(&self, bands: usize) -> bool {
        self.dilation == 1 && bands >= 2 * rayon::current_num_threads()
    }

    /// Tile rows per band: enough tiles that the matrix products run long, few enough that the
    /// band's transformed input (1 MB, unless one tile row takes more) stays in a core's cache
    /// beside its products. 1 MB measured faster than 2 MB and 4 MB on a Xeon with AVX-512
    /// (2 MB of L2 per core; segmentation/bench/README.md).
    fn band_rows(&self, channels: usize) -> usize {
        const BAND_FLOATS: usize = 1 << 18;
        let tiles = (BAND_FLOATS / (self.n * self.n * channels)).max(64);
        (tiles / self.tiles_x).clamp(1, self.phases() * self.tiles_y)
    }
}

#[cfg(test)]
mod tests {
    use super::super::kernels::{KernelSet, use_kernels};
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

    fn worst(got: &[f32], want: &[f32]) -> f32 {
        got.iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max)
    }

    /// The largest error allowed for a tile size: F(4×4)'s transforms carry larger constants
    /// (up to 5/4 in Bᵀ and 8/3 in G), so its rounding error is a few times F(2×2)'s. The outputs
    /// here are sums of up to 9·40 products of values in ±0.5, so about 1 in size.
    fn tolerance(tile: Tile) -> f32 {
        match tile {
            Tile::F2 => 1e-4,
            Tile::F4 => 3e-4,
        }
    }

    /// Every tile size, every kernel set this CPU runs (the process-wide choice is restored to the
    /// best one after; other tests running meanwhile compute the same values with any set).
    fn for_every_variant(mut check: impl FnMut(Tile, KernelSet)) {
        for set in [KernelSet::X86V4, KernelSet::X86V3, KernelSet::Baseline] {
            if use_kernels(set).is_err() {
                continue;
            }
            for tile in Tile::ALL {
                check(tile, set);
            }
        }
        use_kernels(KernelSet::detect()).expect("the detected set runs");
    }

    #[test]
    fn matches_direct_convolution_for_every_dilation_and_odd_sizes() {
        for_every_variant(|tile, set| {
            for &(c, k, h, w, d) in &[
                (3, 5, 8, 8, 1),
                (4, 3, 7, 9, 1),
                (5, 6, 13, 11, 2),
                (2, 4, 17, 10, 4),
                (3, 2, 9, 20, 8),
                (1, 1, 1, 1, 1),
                (6, 7, 5, 3, 8),
                (2, 3, 6, 5, 1),
                (3, 2, 10, 14, 3),
                (40, 33, 30, 37, 1),
            ] {
                let input = values(c * h * w, 1);
                let weight = values(k * c * 9, 2);
                let bias = values(k, 3);
                let filter = Filter::new(&weight, &bias, c, k, d, tile);
                let got = run(&filter, &input, c, k, h, w);
                let want = reference(&input, &weight, &bias, c, k, h, w, d);
                let worst = worst(&got, &want);
                assert!(
                    worst < tolerance(tile),
                    "{tile:?} {set}: c{c} k{k} {h}×{w} d{d}: max error {worst}"
                );
            }
        });
    }

    #[test]
    fn bands_split_large_images_without_seams() {
        // Enough tiles and channels that the image takes several bands, but fewer than two per
        // thread of a 4-thread pool: the bands take turns, each step spread over the threads.
        check_bands((64, 8, 70, 66), 4, false, 4);
    }

    #[test]
    fn bands_on_threads_of_their_own_match_the_direct_convolution() {
        // Many bands at dilation 1: each band runs whole on one thread, writing its own rows
        // (with a residual, which each band adds to its own rows).
        check_bands((128, 8, 194, 190), 2, true, 14);
    }

    /// A `(c, k, h, w)` convolution at dilation 1 in a pool of `threads` threads against the
    /// direct one, for every tile and kernel set, after checking that it takes more than one band
    /// and runs them apart (`apart`) or in turns.
    fn check_bands(
        (c, k, h, w): (usize, usize, usize, usize),
        threads: usize,
        apart: bool,
        seed: u32,
    ) {
        let input = values(c * h * w, seed);
        let weight = values(k * c * 9, seed + 1);
        let bias = values(k, seed + 2);
        let residual = apart.then(|| values(k * h * w, seed + 3));
        let mut want = reference(&input, &weight, &bias, c, k, h, w, 1);
        if let Some(residual) = &residual {
            for (value, r) in want.iter_mut().zip(residual) {
                *value += r;
            }
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
            .install(|| {
                for_every_variant(|tile, set| {
                    let geometry = Geometry::new(h, w, 1, tile);
                    let bands = geometry.tiles_y.div_ceil(geometry.band_rows(c));
                    assert!(bands > 1, "the test must cover more than one band");
                    assert_eq!(
                        geometry.bands_apart(bands),
                        apart,
                        "{tile:?}: {bands} bands in a pool of {threads}"
                    );
                    let filter = Filter::new(&weight, &bias, c, k, 1, tile);
                    let mut got = vec![f32::NAN; k * h * w];
                    let inputs = Inputs::new(vec![(&input, c)], h, w);
                    filter.conv_relu(&inputs, residual.as_deref(), &mut got);
                    let worst = worst(&got, &want);
                    assert!(worst < tolerance(tile), "{tile:?} {set}: max error {worst}");
                })
            });
    }

    #[test]
    fn concatenated_inputs_and_the_residual_are_applied() {
        for_every_variant(|tile, set| {
            for (h, w, d) in [(9, 7, 2), (12, 11, 1), (13, 10, 4)] {
                let (c1, c2, k) = (3, 2, 4);
                let (a, b) = (values(c1 * h * w, 7), values(c2 * h * w, 8));
                let joined: Vec<f32> = a.iter().chain(&b).copied().collect();
                let weight = values(k * (c1 + c2) * 9, 9);
                let bias = values(k, 10);
                let residual = values(k * h * w, 11);
                let filter = Filter::new(&weight, &bias, c1 + c2, k, d, tile);
                let mut got = vec![f32::NAN; k * h * w];
                let inputs = Inputs::new(vec![(&a, c1), (&b, c2)], h, w);
                filter.conv_relu(&inputs, Some(&residual), &mut got);
                let want = reference(&joined, &weight, &bias, c1 + c2, k, h, w, d);
                for ((g, w), r) in got.iter().zip(&want).zip(&residual) {
                    assert!(
                        (g - (w + r)).abs() < tolerance(tile),
                        "{tile:?} {set}: {g} vs {w} + {r}"
                    );
                }
            }
        });
    }

    #[test]
    fn small_sub_images_take_the_small_tile() {
        assert_eq!(Tile::for_map(512, 512, 1), Tile::F4);
        assert_eq!(Tile::for_map(16, 16, 1), Tile::F4);
        assert_eq!(Tile::for_map(32, 32, 8), Tile::F4);
        assert_eq!(Tile::for_map(16, 16, 8), Tile::F2);
        assert_eq!(Tile::for_map(2, 2, 1), Tile::F2);
    }
}
