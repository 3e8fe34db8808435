//! Matrix products on plain slices for every kernel of this crate: `gemm` with strides,
//! behind a safe, bounds-checked call.

/// A matrix view: data, row stride, column stride.
pub struct Strided<T>(pub T, pub usize, pub usize);

/// `dst[m, n] = lhs[m, k] · rhs[k, n]`, single-threaded `gemm` (the callers split their work
/// into chunks run in parallel).
pub fn matmul(
    dims: (usize, usize, usize),
    dst: Strided<&mut [f32]>,
    lhs: Strided<&[f32]>,
    rhs: Strided<&[f32]>,
) {
    product(dims, dst, lhs, rhs, false)
}

/// `dst[m, n] += lhs[m, k] · rhs[k, n]`, as [`matmul`].
pub fn matmul_add(
    dims: (usize, usize, usize),
    dst: Strided<&mut [f32]>,
    lhs: Strided<&[f32]>,
    rhs: Strided<&[f32]>,
) {
    product(dims, dst, lhs, rhs, true)
}

/// Bounds are checked here, once, so the unsafe call below only ever reads and writes inside
/// the slices.
fn product(
    (m, n, k): (usize, usize, usize),
    dst: Strided<&mut [f32]>,
    lhs: Strided<&[f32]>,
    rhs: Strided<&[f32]>,
    accumulate: bool,
) {
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| (rows - 1) * rs + (cols - 1) * cs;
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    assert!(last(m, n, dst.1, dst.2) < dst.0.len());
    assert!(last(m, k, lhs.1, lhs.2) < lhs.0.len());
    assert!(last(k, n, rhs.1, rhs.2) < rhs.0.len());
    // SAFETY: every index gemm touches is (row · rs + col · cs) within the bounds asserted
    // above; dst does not alias lhs or rhs (a `&mut` and two `&`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.0.as_mut_ptr(),
            dst.2 as isize,
            dst.1 as isize,
            accumulate,
            lhs.0.as_ptr(),
            lhs.2 as isize,
            lhs.1 as isize,
            rhs.0.as_ptr(),
            rhs.2 as isize,
            rhs.1 as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}
