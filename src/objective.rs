//! The local losses of every objective, as plain scalar math: the reference
//! the CPU backend uses directly and every WGSL loss kernel is tested against.
//!
//! A batch holds `rows` samples: the first `n_pos` are positive (true label),
//! the rest negative. `goodness` is row-major `[rows, layers]`. For layer `i`
//! each function returns the batch-mean loss and writes `dL/dg_i` per sample.
//! gamma (the other layers' goodness) is a constant here: it never receives a
//! gradient, exactly as the paper's `f-hat` copy with fixed parameters.
//!
//! ## Sigmoid objectives (`ff`, `cff`, `cff-lt`; Eq. 4-8)
//! With logit `u = g_i + gamma - theta`, a positive sample's loss is
//! `-log sigma(u) = softplus(-u)` and a negative's is `-log(1 - sigma(u)) =
//! softplus(u)`; `gamma = 0` for `ff`, `sum_{t != i} g_t` for `cff` and
//! `sum_{t < i} g_t` for `cff-lt`.
//!
//! ## Entropy objectives (`entropy`, `entropy-collab`; Section 5.2, Eq. 13)
//! The paper says only "maximise Ent[h(., ., i)] = E[h log(h / E h)]" with
//! the expectation over (x, y), no sigmoid, no theta, and "the opposite sign"
//! for negative samples as in Eq. 5. Our reading: over the batch (positives
//! and negatives pooled, so E h is the batch mean `m` of `v = g_i (+ gamma)`),
//! maximise
//!
//! `J = (1/n) sum_j s_j v_j log(v_j / m)`, `s_j = +1` positive, `-1` negative,
//!
//! i.e. positives add to the functional entropy and negatives subtract from
//! it. The loss is `-J`; its gradient (through `m` too) is
//! `dJ/dv_k = (1/n) [ s_k (log(v_k / m) + 1) - S / (n m) ]`, `S = sum_j s_j v_j`.
//! `entropy-collab` uses `v = g_i + sum_{t != i} g_t` (detached).
//! Values are clamped at `ENTROPY_FLOOR` so that a dead sample (g = 0) has a
//! finite log.

use num_traits::Float;

use crate::config::Objective;

/// Smallest goodness the entropy objectives take the log of.
pub const ENTROPY_FLOOR: f64 = 1e-12;

fn c<T: Float>(x: f64) -> T {
    T::from(x).expect("a float converts to a float")
}

/// `log(1 + e^x)` without overflow.
pub fn softplus<T: Float>(x: T) -> T {
    x.max(T::zero()) + (-x.abs()).exp().ln_1p()
}

/// `1 / (1 + e^-x)` without overflow.
pub fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// gamma for layer `i` of one sample: the other layers' goodness the objective adds.
pub fn gamma<T: Float>(objective: Objective, i: usize, goodness_row: &[T]) -> T {
    let sum = |range: &mut dyn Iterator<Item = usize>| {
        range.fold(T::zero(), |acc, t| acc + goodness_row[t])
    };
    match objective {
        Objective::Ff | Objective::Entropy => T::zero(),
        Objective::Cff | Objective::EntropyCollab => {
            sum(&mut (0..goodness_row.len()).filter(|&t| t != i))
        }
        Objective::CffLt => sum(&mut (0..i)),
    }
}

/// How many layers' goodness the logit of layer `i` sums (its own and gamma's).
pub fn summed_layers(objective: Objective, i: usize, layers: usize) -> usize {
    match objective {
        Objective::Ff | Objective::Entropy => 1,
        Objective::Cff | Objective::EntropyCollab => layers,
        Objective::CffLt => i + 1,
    }
}

/// Batch-mean loss of layer `i` and `dL/dg_i` for every sample (into `dg`).
pub fn loss_and_grad<T: Float>(
    objective: Objective,
    theta: T,
    i: usize,
    goodness: &[T],
    layers: usize,
    n_pos: usize,
    dg: &mut [T],
) -> T {
    let rows = dg.len();
    let row = |r: usize| &goodness[r * layers..(r + 1) * layers];
    let value = |r: usize| row(r)[i] + gamma(objective, i, row(r));
    let n = c::<T>(rows as f64);
    match objective {
        Objective::Ff | Objective::Cff | Objective::CffLt => {
            let mut loss = T::zero();
            for (r, d) in dg.iter_mut().enumerate() {
                let u = value(r) - theta;
                // positive: softplus(-u), d/du = -sigmoid(-u); negative: softplus(u), sigmoid(u)
                let (l, grad) = if r < n_pos {
                    (softplus(-u), -sigmoid(-u))
                } else {
                    (softplus(u), sigmoid(u))
                };
                loss = loss + l;
                *d = grad / n;
            }
            loss / n
        }
        Objective::Entropy | Objective::EntropyCollab => {
            let floor = c::<T>(ENTROPY_FLOOR);
            let v: Vec<T> = (0..rows).map(|r| value(r).max(floor)).collect();
            let sign = |r: usize| if r < n_pos { T::one() } else { -T::one() };
            let mean = (v.iter().fold(T::zero(), |a, &x| a + x) / n).max(floor);
            let signed_sum = (0..rows).fold(T::zero(), |a, r| a + sign(r) * v[r]);
            let mut j = T::zero();
            for (r, d) in dg.iter_mut().enumerate() {
                let log_ratio = (v[r] / mean).ln();
                j = j + sign(r) * v[r] * log_ratio;
                let dj = (sign(r) * (log_ratio + T::one()) - signed_sum / (n * mean)) / n;
                *d = -dj;
            }
            -j / n
        }
    }
}
