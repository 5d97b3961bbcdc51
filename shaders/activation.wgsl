// Activation functions shared by the forward and gradient kernels; the ids
// and formulas match `crate::activation` (0 relu, 1 leaky-relu, 2 gelu, 3 tanh).

const LEAKY_SLOPE: f32 = 0.01;
const GELU_K: f32 = 0.7978845608028654; // sqrt(2 / pi)
const GELU_C: f32 = 0.044715;

// tanh saturates in f32 long before 15; clamping keeps exp-based
// implementations from overflowing to NaN.
fn safe_tanh(x: f32) -> f32 {
    return tanh(clamp(x, -15.0, 15.0));
}

fn activate(act: u32, z: f32) -> f32 {
    switch act {
        case 1u: { return select(LEAKY_SLOPE * z, z, z > 0.0); }
        case 2u: {
            let t = safe_tanh(GELU_K * (z + GELU_C * z * z * z));
            return 0.5 * z * (1.0 + t);
        }
        case 3u: { return safe_tanh(z); }
        default: { return max(z, 0.0); }
    }
}

fn activate_derivative(act: u32, z: f32) -> f32 {
    switch act {
        case 1u: { return select(LEAKY_SLOPE, 1.0, z > 0.0); }
        case 2u: {
            let t = safe_tanh(GELU_K * (z + GELU_C * z * z * z));
            return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_K * (1.0 + 3.0 * GELU_C * z * z);
        }
        case 3u: {
            let t = safe_tanh(z);
            return 1.0 - t * t;
        }
        default: { return select(0.0, 1.0, z > 0.0); }
    }
}
