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

    /// The sums of `value(x, y)` over the `factor`×`factor` blocks of a `width`×`height` picture
    /// (the last row and column of blocks may be smaller).
    pub fn block_sums(
        width: u32,
        height: u32,
        factor: u32,
        mut value: impl FnMut(u32, u32) -> [f32; L],
    ) -> Self {
        let factor = factor.max(1);
        let mut grid = Self::zeros(
            width.div_ceil(factor) as usize,
            height.div_ceil(factor) as usize,
        );
        for y in 0..height {
            let row = (y / factor) as usize * grid.width;
            for x in 0..width {
                let cell = &mut grid.cells[row + (x / factor) as usize];
                add(cell, &value(x, y));
            }
        }
        grid
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
    /// `factor`×`factor` blocks.
    pub fn sample(&self, factor: u32, x: u32, y: u32) -> [f32; L] {
        let scale = 1.0 / factor.max(1) as f32;
        let u = ((x as f32 + 0.5) * scale - 0.5).clamp(0.0, (self.width - 1) as f32);
        let v = ((y as f32 + 0.5) * scale - 0.5).clamp(0.0, (self.height - 1) as f32);
        let (x0, y0) = (u as usize, v as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (u - x0 as f32, v - y0 as f32);
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
    fn block_sums_add_up_every_pixel_once() {
        // 5×3 picture in blocks of 2: 3×2 cells, the last column and row of blocks smaller.
        let grid = Grid::<2>::block_sums(5, 3, 2, |x, y| [1.0, (y * 5 + x) as f32]);
        assert_eq!((grid.width, grid.height), (3, 2));
        let counts: Vec<f32> = grid.cells.iter().map(|c| c[0]).collect();
        assert_eq!(counts, [4.0, 4.0, 2.0, 2.0, 2.0, 1.0]);
        // Cell (0, 0) holds pixels 0, 1, 5, 6.
        assert_eq!(grid.cells[0][1], 12.0);
        let total: f32 = grid.cells.iter().map(|c| c[1]).sum();
        assert_eq!(total, (0..15).sum::<u32>() as f32);
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
