//! Activation functions and their derivatives (the reference for the WGSL ones).

use num_traits::Float;

use crate::config::Activation;

/// Negative-side slope of `leaky-relu`.
pub const LEAKY_SLOPE: f64 = 0.01;
/// sqrt(2 / pi), for the tanh form of GELU.
const GELU_K: f64 = 0.797_884_560_802_865_4;
const GELU_C: f64 = 0.044715;

fn c<T: Float>(x: f64) -> T {
    T::from(x).expect("a float converts to a float")
}

impl Activation {
    pub fn apply<T: Float>(self, z: T) -> T {
        match self {
            Activation::Relu => z.max(T::zero()),
            Activation::LeakyRelu => {
                if z > T::zero() {
                    z
                } else {
                    c::<T>(LEAKY_SLOPE) * z
                }
            }
            Activation::Gelu => {
                let inner = c::<T>(GELU_K) * (z + c::<T>(GELU_C) * z * z * z);
                c::<T>(0.5) * z * (T::one() + inner.tanh())
            }
            Activation::Tanh => z.tanh(),
        }
    }

    /// d apply(z) / dz
    pub fn derivative<T: Float>(self, z: T) -> T {
        match self {
            Activation::Relu => {
                if z > T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            }
            Activation::LeakyRelu => {
                if z > T::zero() {
                    T::one()
                } else {
                    c::<T>(LEAKY_SLOPE)
                }
            }
            Activation::Gelu => {
                let k = c::<T>(GELU_K);
                let cc = c::<T>(GELU_C);
                let inner = k * (z + cc * z * z * z);
                let t = inner.tanh();
                let half = c::<T>(0.5);
                half * (T::one() + t)
                    + half * z * (T::one() - t * t) * k * (T::one() + c::<T>(3.0) * cc * z * z)
            }
            Activation::Tanh => {
                let t = z.tanh();
                T::one() - t * t
            }
        }
    }
}
