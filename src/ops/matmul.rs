//! A bounds-checked front end to the `gemm` crate (the GEMM candle's CPU matmul uses), for
//! matrix products on strided views inside the fused ops: no copies for transposes or for the
//! heads interleaved in a `[t, 3E]` projection.

use super::Real;

/// A read-only strided matrix view: element (i, j) is `data[i·rs + j·cs]`.
#[derive(Clone, Copy, Debug)]
pub(super) struct MatRef<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// Row-major `rows × cols` matrix with row stride `rs` starting at `data[0]`.
    pub fn rows(data: &'a [T], rows: usize, cols: usize, rs: usize) -> Self {
        Self { data, rows, cols, rs, cs: 1 }
    }

    /// The transposed view (no copy).
    pub fn t(self) -> Self {
        Self { data: self.data, rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs }
    }

    /// Whether every element lies inside `data`.
    fn in_bounds(&self) -> bool {
        self.rows == 0 || self.cols == 0 || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < self.data.len()
    }
}

/// Whether the product may use several threads (gemm's own rayon pool); wasm32 has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Threads {
    One,
    All,
}

/// `dst = beta·lhs·rhs` (or `dst += beta·lhs·rhs` with `accumulate`), where `dst` is row-major
/// `lhs.rows × rhs.cols` with row stride `dst_rs`, starting at `dst[0]`.
///
/// # Panics
/// If the inner dimensions differ or a view reaches outside its slice: both are internal
/// invariants of the callers (the public ops validate shapes first).
pub(super) fn gemm<T: Real>(dst: &mut [T], dst_rs: usize, lhs: MatRef<T>, rhs: MatRef<T>, beta: T, accumulate: bool, threads: Threads) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "gemm: inner dimensions differ");
    let out = MatRef { data: &*dst, rows: m, cols: n, rs: dst_rs, cs: 1 };
    assert!(lhs.in_bounds() && rhs.in_bounds() && out.in_bounds(), "gemm: view out of bounds");
    if m == 0 || n == 0 {
        return;
    }
    let parallelism = match threads {
        #[cfg(not(target_arch = "wasm32"))]
        Threads::All if candle_core::utils::get_num_threads() > 1 => {
            gemm::Parallelism::Rayon(candle_core::utils::get_num_threads())
        }
        _ => gemm::Parallelism::None,
    };
    // SAFETY: all three views were checked to lie inside their slices (for k = 0 gemm reads no
    // input), `dst` is borrowed mutably and so cannot alias `lhs` or `rhs`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rs as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr(),
            rhs.cs as isize,
            rhs.rs as isize,
            T::one(),
            beta,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Products of plain, transposed and strided views against a triple loop, overwriting and
    /// accumulating.
    #[test]
    fn products_match_the_triple_loop() {
        let (m, k, n) = (5usize, 7usize, 3usize);
        // lhs: the 5×7 matrix at column offset 2 of a 5×10 buffer; rhs: stored transposed.
        let buf: Vec<f64> = (0..m * 10).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
        let rhs_t: Vec<f64> = (0..n * k).map(|i| ((i * 104_729) % 11) as f64 * 0.5 - 2.0).collect();
        let lhs = MatRef::rows(&buf[2..], m, k, 10);
        let rhs = MatRef::rows(&rhs_t, n, k, k).t();
        let expect = |i: usize, j: usize| (0..k).map(|l| buf[i * 10 + 2 + l] * rhs_t[j * k + l]).sum::<f64>();
        let mut dst = vec![1.0; m * 4]; // row stride 4 > n
        gemm(&mut dst, 4, lhs, rhs, 0.5, false, Threads::One);
        for i in 0..m {
            for j in 0..n {
                assert!((dst[i * 4 + j] - 0.5 * expect(i, j)).abs() < 1e-12);
            }
            assert_eq!(dst[i * 4 + 3], 1.0, "padding column untouched");
        }
        gemm(&mut dst, 4, lhs, rhs, 2.0, true, Threads::All);
        for i in 0..m {
            for j in 0..n {
                assert!((dst[i * 4 + j] - 2.5 * expect(i, j)).abs() < 1e-12);
            }
        }
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn views_outside_their_slice_are_refused() {
        let data = vec![0.0f32; 6];
        let mut dst = vec![0.0f32; 4];
        let a = MatRef::rows(&data, 2, 3, 4); // needs 4 + 3 = 7 elements
        gemm(&mut dst, 2, a, MatRef::rows(&data, 3, 2, 2), 1.0, false, Threads::One);
    }
}
