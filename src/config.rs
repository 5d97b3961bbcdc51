//! What a run is: the network (`NetConfig`) and how it is trained (`TrainConfig`).
//! Both are stored in every checkpoint, so a model file says how it was made.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Declares a settings enum with its flag spellings, parsed and printed the same way.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $flag:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(Error::Config(format!(
                        "{} {other:?}: expected one of {}",
                        $flag,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }
    };
}

named_enum!(
    /// The local loss each layer minimises.
    Objective, "--objective" {
        /// Eq. 4-5: p = sigma(g_i - theta).
        Ff = "ff",
        /// Eq. 6-8 with gamma = sum over t != i of the other layers' (detached) goodness.
        Cff = "cff",
        /// Eq. 6-8 with gamma_<t = sum over earlier layers t < i.
        CffLt = "cff-lt",
        /// Section 5.2, Eq. 13: functional entropy, no sigmoid and no theta.
        Entropy = "entropy",
        /// Eq. 13 on g_i + gamma (the other layers' detached goodness).
        EntropyCollab = "entropy-collab",
    }
);

impl Objective {
    /// Whether a layer's loss needs the goodness of the layers after it.
    pub fn needs_later_layers(self) -> bool {
        matches!(self, Objective::Cff | Objective::EntropyCollab)
    }
}

named_enum!(
    /// How layer updates are scheduled.
    Procedure, "--procedure" {
        /// Algorithm 2: every batch updates every layer.
        Network = "network",
        /// Algorithm 1: layer 1 for all its epochs, then layer 2, ...
        Layer = "layer",
    }
);

named_enum!(
    /// The nonlinearity after each layer's affine map.
    Activation, "--activation" {
        Relu = "relu",
        /// slope 0.01 for negative inputs
        LeakyRelu = "leaky-relu",
        /// tanh approximation (WGSL has no erf)
        Gelu = "gelu",
        Tanh = "tanh",
    }
);

named_enum!(
    /// How the label is put into the input.
    LabelEmbed, "--label-embed" {
        /// pixels followed by a one-hot vector (the paper)
        Concat = "concat",
        /// Hinton's: the one-hot replaces the first `classes` pixels
        Overlay = "overlay",
    }
);

named_enum!(
    /// How each layer's input is length-normalised.
    Norm, "--norm" {
        /// x / rms(x): every input row has mean square 1 (Hinton's code)
        Rms = "rms",
        /// x / ||x||: every input row has unit length
        L2 = "l2",
    }
);

named_enum!(
    /// How `--theta` becomes the threshold inside a layer's sigmoid.
    ThetaScaling, "--theta-scaling" {
        /// theta times the number of layers whose goodness the logit sums
        /// (1 for ff, all for cff, i for layer i with cff-lt)
        Layers = "layers",
        /// theta as it is, the paper's literal sigma(g_i + gamma - theta)
        None = "none",
    }
);

impl ThetaScaling {
    /// Checkpoints written before the setting existed used theta as it is.
    fn literal() -> Self {
        ThetaScaling::None
    }
}

named_enum!(
    /// How weights start.
    Init, "--init" {
        /// He/Kaiming normal: std sqrt(2 / inputs), zero bias
        Kaiming = "kaiming",
        /// PyTorch's nn.Linear default: uniform in +-1/sqrt(inputs), weights and bias
        Uniform = "uniform",
    }
);

named_enum!(
    /// How negative labels are chosen.
    Negatives, "--negatives" {
        /// a uniformly random wrong label, drawn anew every batch
        Random = "random",
        /// the wrong label the current network finds most plausible
        Hard = "hard",
    }
);

/// The network: shapes and the fixed functions between the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// pixels per image
    pub pixels: usize,
    pub classes: usize,
    pub layers: Vec<usize>,
    pub activation: Activation,
    pub label_embed: LabelEmbed,
    pub norm: Norm,
}

impl NetConfig {
    /// Width of the first layer's input: the image with its label.
    pub fn input_dim(&self) -> usize {
        match self.label_embed {
            LabelEmbed::Concat => self.pixels + self.classes,
            LabelEmbed::Overlay => self.pixels,
        }
    }

    /// (inputs, outputs) of layer `i`.
    pub fn layer_shape(&self, i: usize) -> (usize, usize) {
        let inputs = if i == 0 {
            self.input_dim()
        } else {
            self.layers[i - 1]
        };
        (inputs, self.layers[i])
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    pub fn validate(&self) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::Config(
                "--layers is empty: give at least one width, e.g. 500,500,500".into(),
            ));
        }
        if let Some(w) = self.layers.iter().find(|&&w| w == 0) {
            return Err(Error::Config(format!(
                "--layers has a width of {w}: every layer needs at least one unit"
            )));
        }
        if self.layers.len() > 16 {
            return Err(Error::Config(format!(
                "--layers has {} layers: at most 16 are supported",
                self.layers.len()
            )));
        }
        if self.label_embed == LabelEmbed::Overlay && self.pixels < self.classes {
            return Err(Error::Config(format!(
                "--label-embed overlay needs at least {} pixels per image, the data has {}",
                self.classes, self.pixels
            )));
        }
        Ok(())
    }
}

/// Adam's constants (Kingma & Ba defaults, as in the paper).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// How the network is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub objective: Objective,
    pub procedure: Procedure,
    pub theta: f32,
    #[serde(default = "ThetaScaling::literal")]
    pub theta_scaling: ThetaScaling,
    pub adam: AdamConfig,
    pub batch: usize,
    /// Network procedure: passes over the data. Layer procedure: passes per layer.
    pub epochs: usize,
    pub seed: u64,
    pub negatives: Negatives,
    pub init: Init,
}

impl TrainConfig {
    /// The threshold inside layer `i`'s sigmoid (of `layers`).
    pub fn theta_for(&self, i: usize, layers: usize) -> f32 {
        match self.theta_scaling {
            ThetaScaling::None => self.theta,
            ThetaScaling::Layers => {
                self.theta * crate::objective::summed_layers(self.objective, i, layers) as f32
            }
        }
    }

    pub fn validate(&self) -> Result<()> {
        let lr = self.adam.lr;
        if !(lr.is_finite() && lr > 0.0) {
            return Err(Error::Config(format!(
                "--lr {lr}: expected a positive, finite learning rate such as 0.001"
            )));
        }
        if !self.theta.is_finite() {
            return Err(Error::Config(format!(
                "--theta {}: expected a finite number",
                self.theta
            )));
        }
        if self.batch == 0 {
            return Err(Error::Config(
                "--batch 0: expected at least 1 sample per batch".into(),
            ));
        }
        Ok(())
    }
}

/// Parses a comma-separated list of layer widths ("500,500,500").
pub fn parse_layers(s: &str) -> Result<Vec<usize>> {
    if s.trim().is_empty() {
        return Err(Error::Config(
            "--layers is empty: give widths such as 500,500,500".into(),
        ));
    }
    s.split(',')
        .map(|w| {
            w.trim().parse::<usize>().map_err(|_| {
                Error::Config(format!(
                    "--layers {s:?}: {w:?} is not a whole number of units (expected e.g. 500,500,500)"
                ))
            })
        })
        .collect()
}

/// The per-layer threshold used when `--theta` is not given: the mean
/// layer width. With RMS-normalised inputs and Kaiming initialisation a
/// layer's goodness starts near its width; with `--theta-scaling layers` a
/// logit that sums k layers' goodness gets k times this. In the sweep N/2
/// and N tie for the paper's 3x500 (ff 3.00% vs 3.13% after 12 epochs, cff
/// 4.35% vs 4.50%), while on small networks N learns and N/2 stays near
/// chance (64,64 after 3 epochs on 2000 images: ff 68.6% vs 87.4%).
/// The entropy objectives have no theta (0).
pub fn default_theta(objective: Objective, net: &NetConfig) -> f32 {
    match objective {
        Objective::Entropy | Objective::EntropyCollab => 0.0,
        _ => net.layers.iter().sum::<usize>() as f32 / net.num_layers() as f32,
    }
}
