//! The trainable state of a network: weights, biases and Adam's moments,
//! plain f32 on the host, the same for every backend.

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};

use crate::config::{Init, NetConfig};

/// One layer: `weight` is `[outputs, inputs]` row-major (PyTorch's layout).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerState {
    pub inputs: usize,
    pub outputs: usize,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub adam: AdamMoments,
}

/// Adam's first and second moments and the number of steps taken.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdamMoments {
    pub m_weight: Vec<f32>,
    pub v_weight: Vec<f32>,
    pub m_bias: Vec<f32>,
    pub v_bias: Vec<f32>,
    pub step: u32,
}

impl AdamMoments {
    pub fn zeros(inputs: usize, outputs: usize) -> Self {
        AdamMoments {
            m_weight: vec![0.0; inputs * outputs],
            v_weight: vec![0.0; inputs * outputs],
            m_bias: vec![0.0; outputs],
            v_bias: vec![0.0; outputs],
            step: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelState {
    pub layers: Vec<LayerState>,
}

/// Seed-stream offset for initialisation.
const INIT_STREAM: u64 = 0x1a17;

/// A standard normal draw (Box-Muller; `rand` alone has no normal distribution).
fn normal(rng: &mut ChaCha8Rng) -> f32 {
    let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

impl ModelState {
    /// Fresh weights for `net`, drawn from `seed` (a stream of its own, so
    /// initialisation never shares draws with batching).
    pub fn init(net: &NetConfig, init: Init, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ INIT_STREAM);
        let layers = (0..net.num_layers())
            .map(|i| {
                let (inputs, outputs) = net.layer_shape(i);
                let (weight, bias) = match init {
                    Init::Kaiming => {
                        let std = (2.0 / inputs as f32).sqrt();
                        let w = (0..inputs * outputs)
                            .map(|_| std * normal(&mut rng))
                            .collect();
                        (w, vec![0.0; outputs])
                    }
                    Init::Uniform => {
                        let bound = 1.0 / (inputs as f32).sqrt();
                        let mut draw = |n: usize| -> Vec<f32> {
                            (0..n).map(|_| rng.random_range(-bound..bound)).collect()
                        };
                        (draw(inputs * outputs), draw(outputs))
                    }
                };
                LayerState {
                    inputs,
                    outputs,
                    weight,
                    bias,
                    adam: AdamMoments::zeros(inputs, outputs),
                }
            })
            .collect();
        ModelState { layers }
    }

    /// Checks that this state has the layers and shapes `net` needs.
    pub fn check_fits(&self, net: &NetConfig) -> crate::Result<()> {
        if self.layers.len() != net.num_layers() {
            return Err(crate::Error::Config(format!(
                "the model has {} layers, the network {}",
                self.layers.len(),
                net.num_layers()
            )));
        }
        for (i, l) in self.layers.iter().enumerate() {
            let (inputs, outputs) = net.layer_shape(i);
            if (l.inputs, l.outputs) != (inputs, outputs) {
                return Err(crate::Error::Config(format!(
                    "layer {i} is {}x{}, the network needs {outputs}x{inputs}",
                    l.outputs, l.inputs
                )));
            }
        }
        Ok(())
    }

    pub fn parameter_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.len() + l.bias.len())
            .sum()
    }
}
