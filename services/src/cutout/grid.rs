//! Small grids of `L` floats per cell: where the edge steps ([`super::foreground`],
//! [`super::backdrop`]) keep their smooth estimates, at a fraction of the photo's resolution,
//! and the box sums they are made of.
//!
//! Cells hold *sums*, one lane of which counts the pixels summed, so every estimate is a ratio of
//! two lanes: windows clipped at the picture's border need no special case.

/// A `width`×`height` grid, row-major.
#[derive(Clone, Debug)]
pub struct Grid<const L: usize> {
    pub width: usize,
    pub height: usize,
    pub cells: Vec<[f32; L]>,
}

impl<const L: usize> Grid<L> {
    pub fn zeros(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            cells: vec![[0.0; L]; width * height],
        }
    }

    /// Every cell replaced by the sum of the cells within `radius` of it (a square window, clipped
    /// at the border). Linear time whatever the radius: running sums, rows then columns.
    pub fn box_sum(&self, radius: usize) -> Self {
        let (w, h) = (self.width, self.height);
        let mut rows = Self::zeros(w, h);
        let mut running = vec![[0.0f32; L]; w + 1];
        for y in 0..h {
            let line = &self.cells[y * w..(y + 1) * w];
            for x in 0..w {
                running[x + 1] = running[x];
                add(&mut running[x + 1], &line[x]);
            }
            let out = &mut rows.cells[y * w..(y + 1) * w];
            for (x, cell) in out.iter_mut().enumerate() {
                let (lo, hi) = (x.saturating_sub(radius), (x + radius + 1).min(w));
                *cell = difference(&running[hi], &running[lo]);
            }
        }
        let mut out = Self::zeros(w, h);
        // Columns: a running sum per column, a window of rows sliding down.
        let mut column = vec![[0.0f32; L]; w];
        let mut enter = 0;
        let mut leave = 0;
        for y in 0..h {
            let (lo, hi) = (y.saturating_sub(radius), (y + radius + 1).min(h));
            while enter < hi {
                for (sum, cell) in column
                    .iter_mut()
                    .zip(&rows.cells[enter * w..(enter + 1) * w])
                {
                    add(sum, cell);
                }
                enter += 1;
            }
            while leave < lo {
                for (sum, cell) in column
                    .iter_mut()
                    .zip(&rows.cells[leave * w..(leave + 1) * w])
                {
                    subtract(sum, cell);
                }
                leave += 1;
            }
            out.cells[y * w..(y + 1) * w].copy_from_slice(&column);
        }
        out
    }

    /// The grid's value at picture pixel (`x`, `y`), bilinear between cell centres, for a grid of
    /// `factor`×`factor` blocks (what the tests check [`Grid::sample_at`] against).
    #[cfg(test)]
    pub fn sample(&self, factor: u32, x: u32, y: u32) -> [f32; L] {
        let column = sample_positions(x + 1, self.width, factor)[x as usize];
        let row = sample_positions(y + 1, self.height, factor)[y as usize];
        self.sample_at(column, row)
    }

    /// The grid's value between the cells of a column and a row position from
    /// [`sample_positions`].
    #[inline]
    pub fn sample_at(
        &self,
        (x0, x1, fx): (usize, usize, f32),
        (y0, y1, fy): (usize, usize, f32),
    ) -> [f32; L] {
        let at = |x: usize, y: usize| &self.cells[y * self.width + x];
        let (a, b, c, d) = (at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1));
        let mut out = [0.0; L];
        for lane in 0..L {
            let top = a[lane] + (b[lane] - a[lane]) * fx;
            let bottom = c[lane] + (d[lane] - c[lane]) * fx;
            out[lane] = top + (bottom - top) * fy;
        }
        out
    }
}

/// The sample positions of a picture `length` pixels long on a grid of `cells` cells of
/// `factor` pixels: for each pixel, its two neighbouring cell centres and the weight of the
/// second (what [`Grid::sample`] computes per pixel, computed once per row or column).
pub fn sample_positions(length: u32, cells: usize, factor: u32) -> Vec<(usize, usize, f32)> {
    let scale = 1.0 / factor.max(1) as f32;
    let last = cells.saturating_sub(1);
    (0..length)
        .map(|p| {
            let u = ((p as f32 + 0.5) * scale - 0.5).clamp(0.0, last as f32);
            let first = u as usize;
            (first, (first + 1).min(last), u - first as f32)
        })
        .collect()
}

/// Integer sums over `factor`×`factor` blocks of a photo (`rgb`, 3 bytes a pixel) and its mask:
/// lanes Σα, Σcα (3), Σc (3) and the pixel count, as `f32`. Everything the edge steps need is a
/// linear combination of these, so they can be box-summed first and combined after.
/// Blocks whose `needed` entry (row-major, one per block) is false are left at zero.
pub fn rgb_alpha_block_sums(
    rgb: &[u8],
    alpha: &[u8],
    width: u32,
    height: u32,
    factor: u32,
    needed: Option<&[bool]>,
) -> Grid<8> {
    let factor = factor.max(1) as usize;
    let (w, h) = (width as usize, height as usize);
    let mut grid = Grid::zeros(w.div_ceil(factor), h.div_ceil(factor));
    if w == 0 || h == 0 {
        return grid;
    }
    // u32 holds a block's sums: at most 32 × 32 pixels × 255 × 255.
    let mut row = vec![[0u32; 8]; grid.width];
    for (y, (colours, alphas)) in rgb
        .chunks_exact(3 * w)
        .zip(alpha.chunks_exact(w))
        .enumerate()
    {
        let block_row = (y / factor) * grid.width;
        for (column, ((sums, colours), alphas)) in row
            .iter_mut()
            .zip(colours.chunks(3 * factor))
            .zip(alphas.chunks(factor))
            .enumerate()
        {
            if needed.is_some_and(|needed| !needed[block_row + column]) {
                continue;
            }
            let mut block = [0u32; 8];
            for (c, &a) in colours.chunks_exact(3).zip(alphas) {
                let a = u32::from(a);
                let (r, g, b) = (u32::from(c[0]), u32::from(c[1]), u32::from(c[2]));
                block[0] += a;
                block[1] += r * a;
                block[2] += g * a;
                block[3] += b * a;
                block[4] += r;
                block[5] += g;
                block[6] += b;
            }
            block[7] = alphas.len() as u32;
            for (s, v) in sums.iter_mut().zip(block) {
                *s += v;
            }
        }
        if (y + 1) % factor == 0 || y + 1 == h {
            let out = &mut grid.cells[(y / factor) * grid.width..(y / factor + 1) * grid.width];
            for (cell, sums) in out.iter_mut().zip(row.iter_mut()) {
                *cell = sums.map(|v| v as f32);
                *sums = [0; 8];
            }
        }
    }
    grid
}

#[inline]
fn add<const L: usize>(sum: &mut [f32; L], value: &[f32; L]) {
    for (s, v) in sum.iter_mut().zip(value) {
        *s += v;
    }
}

#[inline]
fn subtract<const L: usize>(sum: &mut [f32; L], value: &[f32; L]) {
    for (s, v) in sum.iter_mut().zip(value) {
        *s -= v;
    }
}

#[inline]
fn difference<const L: usize>(a: &[f32; L], b: &[f32; L]) -> [f32; L] {
    let mut out = *a;
    subtract(&mut out, b);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgb_alpha_block_sums_are_the_integer_sums() {
        let (w, h) = (5u32, 3u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 256) as u8).collect();
        let alpha: Vec<u8> = (0..w * h).map(|i| (i * 40 % 256) as u8).collect();
        let grid = rgb_alpha_block_sums(&rgb, &alpha, w, h, 2, None);
        let some = rgb_alpha_block_sums(
            &rgb,
            &alpha,
            w,
            h,
            2,
            Some(&[true, false, false, false, false, true]),
        );
        assert_eq!(some.cells[0], grid.cells[0]);
        assert_eq!(some.cells[5], grid.cells[5]);
        assert_eq!(some.cells[1], [0.0; 8], "not needed, not summed");
        assert_eq!((grid.width, grid.height), (3, 2));
        for (cy, cx) in [(0usize, 0usize), (0, 2), (1, 1), (1, 2)] {
            let mut expected = [0f32; 8];
            for y in (cy * 2)..(cy * 2 + 2).min(h as usize) {
                for x in (cx * 2)..(cx * 2 + 2).min(w as usize) {
                    let i = y * w as usize + x;
                    let a = f32::from(alpha[i]);
                    expected[0] += a;
                    for c in 0..3 {
                        let v = f32::from(rgb[3 * i + c]);
                        expected[1 + c] += v * a;
                        expected[4 + c] += v;
                    }
                    expected[7] += 1.0;
                }
            }
            assert_eq!(grid.cells[cy * 3 + cx], expected, "cell ({cx}, {cy})");
        }
    }

    #[test]
    fn sample_positions_agree_with_sample() {
        let grid = Grid::<1> {
            width: 3,
            height: 1,
            cells: vec![[0.0], [10.0], [40.0]],
        };
        let positions = sample_positions(11, 3, 4);
        for (x, (first, second, weight)) in positions.into_iter().enumerate() {
            let [a] = grid.cells[first];
            let [b] = grid.cells[second];
            assert_eq!([a + (b - a) * weight], grid.sample(4, x as u32, 0), "x {x}");
        }
    }

    #[test]
    fn box_sums_match_a_direct_sum_with_clipped_windows() {
        let (w, h) = (7, 5);
        let grid = Grid::<1> {
            width: w,
            height: h,
            cells: (0..w * h).map(|i| [(i * 7 % 11) as f32]).collect(),
        };
        for radius in [0, 1, 2, 9] {
            let summed = grid.box_sum(radius);
            for y in 0..h {
                for x in 0..w {
                    let mut direct = 0.0;
                    for yy in y.saturating_sub(radius)..(y + radius + 1).min(h) {
                        for xx in x.saturating_sub(radius)..(x + radius + 1).min(w) {
                            direct += grid.cells[yy * w + xx][0];
                        }
                    }
                    assert_eq!(summed.cells[y * w + x][0], direct, "({x}, {y}) r={radius}");
                }
            }
        }
    }

    #[test]
    fn samples_are_bilinear_between_cell_centres() {
        let grid = Grid::<1> {
            width: 2,
            height: 1,
            cells: vec![[0.0], [10.0]],
        };
        // Blocks of 4: cell centres at x = 2 and x = 6.
        assert_eq!(
            grid.sample(4, 0, 0),
            [0.0],
            "clamped before the first centre"
        );
        assert_eq!(grid.sample(4, 7, 0), [10.0], "clamped after the last");
        // Pixel 3's centre (3.5) is 1.5 of the 4 pixels between the centres past the first.
        assert_eq!(grid.sample(4, 3, 0), [3.75]);
        assert_eq!(grid.sample(4, 4, 0), [6.25]);
    }
}
