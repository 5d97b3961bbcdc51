//! Every objective's local gradient against central finite differences in
//! f64, gamma carrying no gradient, and one step lowering the batch loss.

mod common;

use common::{random_split, tiny_net};
use ffgpu::backend::cpu::{CpuBackend, CpuTensor};
use ffgpu::backend::{Backend, STAT_COLS, SplitId};
use ffgpu::config::{Activation, AdamConfig, Init, NetConfig, Norm, Objective};
use ffgpu::model::ModelState;
use ffgpu::objective;
use ffgpu::workspace::Workspace;

const PIXELS: usize = 6;
const CLASSES: usize = 3;
const LAYERS: [usize; 3] = [5, 4, 3];
const N: usize = 4; // positives; as many negatives

struct Setup {
    b: CpuBackend<f64>,
    ws: Workspace<CpuBackend<f64>>,
    indices: Vec<u32>,
    labels: Vec<u32>,
}

fn setup(net: &NetConfig, seed: u64) -> Setup {
    let mut state = ModelState::init(net, Init::Uniform, seed);
    // Positive biases keep most ReLUs alive in these tiny layers.
    state
        .layers
        .iter_mut()
        .for_each(|l| l.bias.iter_mut().for_each(|b| *b = b.abs() + 0.5));
    let mut b = CpuBackend::<f64>::new(net, &state).unwrap();
    let split = random_split(N, PIXELS, CLASSES, seed);
    b.upload_split(SplitId::Train, &split).unwrap();
    let ws = Workspace::new(&mut b, 2 * N, net.num_layers()).unwrap();
    let pos: Vec<u32> = split.labels.iter().map(|&l| l as u32).collect();
    let neg: Vec<u32> = pos.iter().map(|&l| (l + 1) % CLASSES as u32).collect();
    let indices: Vec<u32> = (0..N as u32).chain(0..N as u32).collect();
    Setup {
        b,
        ws,
        indices,
        labels: pos.into_iter().chain(neg).collect(),
    }
}

impl Setup {
    /// Goodness `[2N, layers]` of the current weights.
    fn goodness(&mut self) -> Vec<f64> {
        let last = self.b.net().num_layers() - 1;
        self.b
            .embed(
                SplitId::Train,
                &self.indices,
                &self.labels,
                &mut self.ws.embed,
            )
            .unwrap();
        self.ws.forward(&mut self.b, 2 * N, last, |i| i).unwrap();
        self.ws.goodness.data.clone()
    }

    /// Layer `i`'s loss; with `frozen`, every other layer's goodness is taken from it.
    fn loss(&mut self, obj: Objective, theta: f64, i: usize, frozen: Option<&[f64]>) -> f64 {
        let mut g = self.goodness();
        let layers = self.b.net().num_layers();
        if let Some(f) = frozen {
            for r in 0..2 * N {
                for t in (0..layers).filter(|&t| t != i) {
                    g[r * layers + t] = f[r * layers + t];
                }
            }
        }
        let mut dg = vec![0.0; 2 * N];
        objective::loss_and_grad(obj, theta, i, &g, layers, N, &mut dg)
    }

    /// The backend's analytic gradient of layer `i` (weights then biases).
    fn analytic(&mut self, obj: Objective, theta: f32, i: usize) -> Vec<f64> {
        self.goodness();
        let mut dg = CpuTensor {
            rows: 2 * N,
            cols: 1,
            data: vec![0.0; 2 * N],
        };
        let layers = self.b.net().num_layers();
        let mut stats = self.b.tensor(layers, STAT_COLS).unwrap();
        self.b
            .loss_grad(
                obj,
                theta,
                i,
                2 * N,
                N,
                &self.ws.goodness,
                &mut dg,
                &mut stats,
            )
            .unwrap();
        self.b.weight_grad(i, 2 * N, &self.ws.acts[i], &dg).unwrap();
        let l = &self.b.layers[i];
        l.grad_weight.iter().chain(&l.grad_bias).copied().collect()
    }

    /// Central differences of layer `i`'s loss over all its weights and biases.
    fn numeric(&mut self, obj: Objective, theta: f64, i: usize, freeze_gamma: bool) -> Vec<f64> {
        let frozen = self.goodness();
        let frozen = freeze_gamma.then_some(frozen.as_slice());
        let (nw, nb) = (self.b.layers[i].weight.len(), self.b.layers[i].bias.len());
        let h = 1e-6;
        let mut out = Vec::with_capacity(nw + nb);
        for k in 0..nw + nb {
            let nudge = |b: &mut CpuBackend<f64>, d: f64| {
                let l = &mut b.layers[i];
                if k < nw {
                    l.weight[k] += d
                } else {
                    l.bias[k - nw] += d
                }
            };
            nudge(&mut self.b, h);
            let up = self.loss(obj, theta, i, frozen);
            nudge(&mut self.b, -2.0 * h);
            let down = self.loss(obj, theta, i, frozen);
            nudge(&mut self.b, h);
            out.push((up - down) / (2.0 * h));
        }
        out
    }
}

/// max |a - b| / (|a| + |b| + floor) over all entries
fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let scale = a
        .iter()
        .chain(b)
        .fold(0.0f64, |m, x| m.max(x.abs()))
        .max(1e-12);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / scale)
        .fold(0.0, f64::max)
}

/// A theta that puts the logits near the sigmoid's slope for this setup.
fn theta_for(s: &mut Setup, obj: Objective, i: usize) -> f64 {
    let g = s.goodness();
    let layers = LAYERS.len();
    (0..2 * N)
        .map(|r| g[r * layers + i] + objective::gamma(obj, i, &g[r * layers..(r + 1) * layers]))
        .sum::<f64>()
        / (2 * N) as f64
        + 0.3
}

#[test]
fn every_objective_gradient_matches_finite_differences() {
    for &obj in Objective::ALL {
        for &act in Activation::ALL {
            for &norm in Norm::ALL {
                let net = tiny_net(PIXELS, CLASSES, &LAYERS, act, norm);
                let mut s = setup(&net, 7);
                for i in 0..LAYERS.len() {
                    let theta = theta_for(&mut s, obj, i);
                    let a = s.analytic(obj, theta as f32, i);
                    let n = s.numeric(obj, theta as f32 as f64, i, true);
                    let e = rel_err(&a, &n);
                    assert!(
                        e < 1e-6,
                        "{obj} {act} {norm} layer {i}: relative error {e:e}\nanalytic {a:?}\nnumeric {n:?}"
                    );
                    assert!(
                        a.iter().any(|x| x.abs() > 1e-6),
                        "{obj} {act} layer {i}: zero gradient {a:?} {:?}",
                        s.goodness()
                    );
                }
            }
        }
    }
}

#[test]
fn gamma_carries_no_gradient() {
    // Layer 1's weights change layers 2 and 3 (its output feeds them), so the
    // full derivative of its cff loss differs from the local one; the
    // backend must give the local one (other layers' goodness held fixed).
    for obj in [Objective::Cff, Objective::EntropyCollab] {
        let net = tiny_net(PIXELS, CLASSES, &LAYERS, Activation::Relu, Norm::Rms);
        let mut s = setup(&net, 11);
        let theta = theta_for(&mut s, obj, 0);
        let a = s.analytic(obj, theta as f32, 0);
        let local = s.numeric(obj, theta as f32 as f64, 0, true);
        let through_gamma = s.numeric(obj, theta as f32 as f64, 0, false);
        assert!(rel_err(&a, &local) < 1e-6, "{obj}: local gradient mismatch");
        assert!(
            rel_err(&a, &through_gamma) > 1e-3,
            "{obj}: the test cannot tell a detached gamma from an attached one"
        );
    }
}

#[test]
fn one_adam_step_lowers_each_layer_loss() {
    for &obj in Objective::ALL {
        let net = tiny_net(PIXELS, CLASSES, &LAYERS, Activation::Relu, Norm::Rms);
        for i in 0..LAYERS.len() {
            let mut s = setup(&net, 3);
            let theta = theta_for(&mut s, obj, i);
            let frozen = s.goodness();
            let before = s.loss(obj, theta, i, Some(&frozen));
            s.analytic(obj, theta as f32, i);
            let adam = AdamConfig {
                lr: 1e-3,
                ..AdamConfig::default()
            };
            s.b.adam_step(i, &adam).unwrap();
            let after = s.loss(obj, theta, i, Some(&frozen));
            assert!(after < before, "{obj} layer {i}: loss {before} -> {after}");
        }
    }
}

#[test]
fn softplus_and_sigmoid_are_stable_at_extremes() {
    assert_eq!(objective::softplus(1000.0f32), 1000.0);
    assert!(objective::softplus(-1000.0f32) >= 0.0);
    assert_eq!(objective::sigmoid(-1000.0f32), 0.0);
    assert_eq!(objective::sigmoid(1000.0f32), 1.0);
    assert!((objective::softplus(0.0f64) - 2f64.ln()).abs() < 1e-15);
}
