//! The element types the CPU backend runs in: f32 for training, f64 for
//! the finite-difference gradient checks.

use num_traits::Float;

pub trait Scalar: Float + Default + Send + Sync + std::fmt::Debug + 'static {
    /// `c = alpha * a b + beta * c` with `a: [m, k]`, `b: [k, n]`, `c: [m, n]`
    /// given by row and column strides (so transposes cost nothing).
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: (&[Self], isize, isize),
        b: (&[Self], isize, isize),
        beta: Self,
        c: (&mut [Self], isize, isize),
    );

    fn of(x: f64) -> Self {
        Self::from(x).expect("a float converts to a float")
    }

    fn f32(self) -> f32 {
        self.to_f32().expect("a float converts to f32")
    }
}

/// The highest element offset a strided `[rows, cols]` view touches, plus one.
fn extent(rows: usize, cols: usize, rs: isize, cs: isize) -> usize {
    if rows == 0 || cols == 0 {
        return 0;
    }
    (rows - 1) * rs as usize + (cols - 1) * cs as usize + 1
}

macro_rules! impl_scalar {
    ($t:ty, $gemm:path) => {
        impl Scalar for $t {
            fn gemm(
                m: usize,
                k: usize,
                n: usize,
                (a, rsa, csa): (&[Self], isize, isize),
                (b, rsb, csb): (&[Self], isize, isize),
                beta: Self,
                (c, rsc, csc): (&mut [Self], isize, isize),
            ) {
                // The bounds checks make the raw-pointer call below sound.
                assert!(extent(m, k, rsa, csa) <= a.len(), "gemm: a is too small");
                assert!(extent(k, n, rsb, csb) <= b.len(), "gemm: b is too small");
                assert!(extent(m, n, rsc, csc) <= c.len(), "gemm: c is too small");
                // SAFETY: every index the kernel touches is in bounds (checked above),
                // and `c` is a unique borrow that aliases neither input.
                unsafe {
                    $gemm(
                        m,
                        k,
                        n,
                        1.0,
                        a.as_ptr(),
                        rsa,
                        csa,
                        b.as_ptr(),
                        rsb,
                        csb,
                        beta,
                        c.as_mut_ptr(),
                        rsc,
                        csc,
                    )
                }
            }
        }
    };
}

impl_scalar!(f32, matrixmultiply::sgemm);
impl_scalar!(f64, matrixmultiply::dgemm);
