//! Bilinear resizing with half-pixel centres and no antialiasing (PyTorch's and burn's
//! `align_corners = false`), written once for the CPU path's feature maps and for the pipeline's
//! image → model input and mask → image steps, so they never allocate a full-resolution float copy.

/// For each output index: the two source indices and the weight of the second.
pub(crate) fn taps(input: usize, output: usize) -> Vec<(usize, usize, f32)> {
    let scale = input as f32 / output as f32;
    (0..output)
        .map(|dst| {
            let src = ((dst as f32 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (src as usize).min(input - 1);
            let i1 = if i0 + 1 < input { i0 + 1 } else { i0 };
            (i0, i1, src - i0 as f32)
        })
        .collect()
}

/// Resizes one `width`×`height` plane read through `at(x, y)` into `out` (`out_w`×`out_h`),
/// each value passed through `finish`. Always inlined, so that it vectorises for the kernel set
/// its caller runs under ([`crate::cpu::kernels`]).
#[inline(always)]
pub(crate) fn plane<T>(
    size: (usize, usize),
    at: impl Fn(usize, usize) -> f32,
    out_size: (usize, usize),
    out: &mut [T],
    finish: impl Fn(f32) -> T,
) {
    plane_rows(size, at, out_size, 0, out, finish);
}

/// [`plane`] for the output rows from `first_row` on that `out` holds (whole rows of `out_w`), so
/// that bands of one resize can run on different threads.
#[inline(always)]
pub(crate) fn plane_rows<T>(
    (width, height): (usize, usize),
    at: impl Fn(usize, usize) -> f32,
    (out_w, out_h): (usize, usize),
    first_row: usize,
    out: &mut [T],
    finish: impl Fn(f32) -> T,
) {
    let (rows, cols) = (taps(height, out_h), taps(width, out_w));
    let rows = &rows[first_row.min(out_h)..(first_row + out.len() / out_w.max(1)).min(out_h)];
    let mut top = vec![0.0f32; out_w];
    let mut bottom = vec![0.0f32; out_w];
    let mut cached = (usize::MAX, usize::MAX);
    for (y, &(r0, r1, fy)) in rows.iter().enumerate() {
        if cached != (r0, r1) {
            for (row, line) in [(r0, &mut top), (r1, &mut bottom)] {
                for (x, &(c0, c1, fx)) in cols.iter().enumerate() {
                    line[x] = at(c0, row) * (1.0 - fx) + at(c1, row) * fx;
                }
            }
            cached = (r0, r1);
        }
        let dst = &mut out[y * out_w..(y + 1) * out_w]; // y: the row within `out`
        for (x, value) in dst.iter_mut().enumerate() {
            *value = finish(top[x] * (1.0 - fy) + bottom[x] * fy);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_of_rows_resize_exactly_as_the_whole_plane() {
        let (w, h) = (37, 23);
        let source: Vec<f32> = (0..w * h).map(|i| ((i * 7919) % 101) as f32).collect();
        let (out_w, out_h) = (91, 64);
        let at = |x: usize, y: usize| source[y * w + x];
        let mut whole = vec![0.0f32; out_w * out_h];
        plane((w, h), at, (out_w, out_h), &mut whole, |v| v);
        let mut banded = vec![f32::NAN; out_w * out_h];
        for (band, out) in banded.chunks_mut(10 * out_w).enumerate() {
            plane_rows((w, h), at, (out_w, out_h), band * 10, out, |v| v);
        }
        assert_eq!(banded, whole);
        // An upscale really interpolates: some values lie strictly between the source's.
        assert!(whole.iter().any(|v| v.fract() != 0.0));
    }
}
