//! The one place this workspace calls `unsafe` code: the `gemm` crate's matrix product, behind a
//! safe signature. Every extent is checked against its slice before the call, so a wrong shape
//! panics here (a bug in this crate) instead of reading or writing out of bounds.
#![allow(unsafe_code)]

/// A row-major view: `rows`×`cols` values, row `r` starting at `r * row_stride`.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
}

fn span(rows: usize, cols: usize, row_stride: usize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * row_stride + cols
    }
}

/// `dst = lhs · rhs` where `dst` is `lhs.rows`×`rhs.cols` with rows `dst_row_stride` apart.
/// Single-threaded: callers split the work across threads themselves.
pub(crate) fn matmul(dst: &mut [f32], dst_row_stride: usize, lhs: Mat<'_>, rhs: Mat<'_>) {
    assert_eq!(lhs.cols, rhs.rows, "matmul: inner dimensions differ");
    assert!(lhs.cols <= lhs.row_stride && rhs.cols <= rhs.row_stride && rhs.cols <= dst_row_stride);
    assert!(span(lhs.rows, lhs.cols, lhs.row_stride) <= lhs.data.len());
    assert!(span(rhs.rows, rhs.cols, rhs.row_stride) <= rhs.data.len());
    assert!(span(lhs.rows, rhs.cols, dst_row_stride) <= dst.len());
    let (m, n, k) = (lhs.rows, rhs.cols, lhs.cols);
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the asserts above prove that every element the product touches, (r, c) at
    // r * row_stride + c for r < rows and c < cols, lies inside its slice; `dst` is borrowed
    // mutably and cannot alias the shared `lhs`/`rhs`; strides fit in isize because the spans fit
    // in slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_row_stride as isize,
            false,
            lhs.data.as_ptr(),
            1,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            1,
            rhs.row_stride as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_with_strides_matches_the_definition() {
        // lhs 2×3 inside rows of 4, rhs 3×2 inside rows of 5, dst rows of 3.
        let lhs = [1.0, 2.0, 3.0, 99.0, 4.0, 5.0, 6.0, 99.0];
        let rhs = [
            1.0, 0.5, 99.0, 99.0, 99.0, -1.0, 2.0, 99.0, 99.0, 99.0, 0.0, 1.0,
        ];
        let mut dst = [7.0f32; 6];
        matmul(
            &mut dst,
            3,
            Mat {
                data: &lhs,
                rows: 2,
                cols: 3,
                row_stride: 4,
            },
            Mat {
                data: &rhs,
                rows: 3,
                cols: 2,
                row_stride: 5,
            },
        );
        // Row 0: [1-2+0, 0.5+4+3] ; row 1: [4-5+0, 2+10+6]; the third column is untouched.
        assert_eq!(dst, [-1.0, 7.5, 7.0, -1.0, 18.0, 7.0]);
    }

    #[test]
    #[should_panic(expected = "inner dimensions")]
    fn mismatched_shapes_panic_instead_of_reading_out_of_bounds() {
        let a = [0.0f32; 6];
        let mut dst = [0.0f32; 4];
        matmul(
            &mut dst,
            2,
            Mat {
                data: &a,
                rows: 2,
                cols: 3,
                row_stride: 3,
            },
            Mat {
                data: &a,
                rows: 2,
                cols: 2,
                row_stride: 2,
            },
        );
    }
}
