//! The trainable state of a network: weights, biases and Adam's moments,
//! plain f32 on the host, the same for every backend.

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};

use crate::config::NetConfig;

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

/// Seed-stream offset so initialisation never shares draws with batching.
const INIT_STREAM: u64 = 0x1a17;

impl ModelState {
    /// Initialises every layer like PyTorch's `nn.Linear`: weights and biases
    /// uniform in `+-1/sqrt(inputs)`, so pre-activations start at O(1) for
    /// RMS-normalised inputs.
    pub fn init(net: &NetConfig, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ INIT_STREAM);
        let layers = (0..net.num_layers())
            .map(|i| {
                let (inputs, outputs) = net.layer_shape(i);
                let bound = 1.0 / (inputs as f32).sqrt();
                let mut draw = |n: usize| -> Vec<f32> {
                    (0..n).map(|_| rng.random_range(-bound..bound)).collect()
                };
                let weight = draw(inputs * outputs);
                let bias = draw(outputs);
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

    pub fn parameter_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.len() + l.bias.len())
            .sum()
    }
}
