//! The CPU reference of every op, on plain row-major slices. The CPU backend
//! calls these; the GPU tests compare each WGSL kernel against them.

use super::scalar::Scalar;
use crate::config::{Activation, AdamConfig, LabelEmbed, Norm};
use crate::data::Split;

/// Added to a row's norm before dividing, so an all-zero row stays zero.
pub const NORM_EPS: f64 = 1e-8;

/// Rows `0..indices.len()` of `out` (`[_, dim]`): image `indices[r]` scaled
/// to [0, 1] with label `labels[r]` concatenated or overlaid.
pub fn embed<T: Scalar>(
    split: &Split,
    mode: LabelEmbed,
    classes: usize,
    indices: &[u32],
    labels: &[u32],
    out: &mut [T],
) {
    let pixels = split.pixels;
    let dim = match mode {
        LabelEmbed::Concat => pixels + classes,
        LabelEmbed::Overlay => pixels,
    };
    let scale = T::of(1.0 / 255.0);
    for (r, (&index, &label)) in indices.iter().zip(labels).enumerate() {
        let row = &mut out[r * dim..(r + 1) * dim];
        for (o, &p) in row.iter_mut().zip(split.image(index as usize)) {
            *o = T::of(p as f64) * scale;
        }
        let one_hot = match mode {
            LabelEmbed::Concat => &mut row[pixels..],
            LabelEmbed::Overlay => &mut row[..classes],
        };
        for (c, o) in one_hot.iter_mut().enumerate() {
            *o = if c == label as usize {
                T::one()
            } else {
                T::zero()
            };
        }
    }
}

/// `out[r] = x[r] / (norm(x[r]) + eps)` for `rows` rows of `cols`.
pub fn normalize<T: Scalar>(norm: Norm, x: &[T], rows: usize, cols: usize, out: &mut [T]) {
    for r in 0..rows {
        let row = &x[r * cols..(r + 1) * cols];
        let sum_sq = row.iter().fold(T::zero(), |a, &v| a + v * v);
        let size = match norm {
            Norm::Rms => (sum_sq / T::of(cols as f64)).sqrt(),
            Norm::L2 => sum_sq.sqrt(),
        };
        let inv = T::one() / (size + T::of(NORM_EPS));
        for (o, &v) in out[r * cols..(r + 1) * cols].iter_mut().zip(row) {
            *o = v * inv;
        }
    }
}

/// The shapes of one layer's forward pass.
#[derive(Debug, Clone, Copy)]
pub struct LayerDims {
    pub rows: usize,
    pub inputs: usize,
    pub outputs: usize,
}

/// `pre = xn W^T + b`, `out = act(pre)`, and each row's goodness
/// `sum out^2` into `goodness[r * g_stride + g_col]`.
#[allow(clippy::too_many_arguments)]
pub fn affine_act_goodness<T: Scalar>(
    act: Activation,
    d: LayerDims,
    xn: &[T],
    weight: &[T],
    bias: &[T],
    pre: &mut [T],
    out: &mut [T],
    goodness: &mut [T],
    g_stride: usize,
    g_col: usize,
) {
    let (i, o) = (d.inputs as isize, d.outputs as isize);
    T::gemm(
        d.rows,
        d.inputs,
        d.outputs,
        (xn, i, 1),
        (weight, 1, i),
        T::zero(),
        (pre, o, 1),
    );
    for r in 0..d.rows {
        let span = r * d.outputs..(r + 1) * d.outputs;
        let mut g = T::zero();
        for ((z, h), &b) in pre[span.clone()].iter_mut().zip(&mut out[span]).zip(bias) {
            *z = *z + b;
            *h = act.apply(*z);
            g = g + *h * *h;
        }
        goodness[r * g_stride + g_col] = g;
    }
}

/// Gradient of the layer loss through `g = sum out^2`:
/// `dpre = dg * 2 out * act'(pre)`, `gw = dpre^T xn`, `gb = sum_r dpre`.
#[allow(clippy::too_many_arguments)]
pub fn weight_grad<T: Scalar>(
    act: Activation,
    d: LayerDims,
    xn: &[T],
    pre: &[T],
    out: &[T],
    dgoodness: &[T],
    gw: &mut [T],
    gb: &mut [T],
) {
    let mut dpre = vec![T::zero(); d.rows * d.outputs];
    gb.iter_mut().for_each(|b| *b = T::zero());
    let two = T::of(2.0);
    for (r, &dg) in dgoodness.iter().enumerate().take(d.rows) {
        let span = r * d.outputs..(r + 1) * d.outputs;
        for (((dz, &z), &h), b) in dpre[span.clone()]
            .iter_mut()
            .zip(&pre[span.clone()])
            .zip(&out[span])
            .zip(gb.iter_mut())
        {
            *dz = dg * two * h * act.derivative(z);
            *b = *b + *dz;
        }
    }
    let (i, o) = (d.inputs as isize, d.outputs as isize);
    T::gemm(
        d.outputs,
        d.rows,
        d.inputs,
        (&dpre, 1, o),
        (xn, i, 1),
        T::zero(),
        (gw, i, 1),
    );
}

/// One Adam step with bias correction; `step` is the step number after this one (1-based).
pub fn adam<T: Scalar>(
    cfg: &AdamConfig,
    step: u32,
    param: &mut [T],
    grad: &[T],
    m: &mut [T],
    v: &mut [T],
) {
    let (b1, b2) = (T::of(cfg.beta1 as f64), T::of(cfg.beta2 as f64));
    let correct1 = T::one() - b1.powi(step as i32);
    let correct2 = T::one() - b2.powi(step as i32);
    let (lr, eps) = (T::of(cfg.lr as f64), T::of(cfg.eps as f64));
    for (((p, &g), m), v) in param.iter_mut().zip(grad).zip(m).zip(v) {
        *m = b1 * *m + (T::one() - b1) * g;
        *v = b2 * *v + (T::one() - b2) * g * g;
        let m_hat = *m / correct1;
        let v_hat = *v / correct2;
        *p = *p - lr * m_hat / (v_hat.sqrt() + eps);
    }
}
