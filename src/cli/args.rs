//! Command-line flags. Values are parsed by the library's own `FromStr`
//! impls, so a bad value gets the same message everywhere.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use ffgpu::config::{
    Activation, Init, LabelEmbed, Negatives, Norm, Objective, Procedure, ThetaScaling,
};
use ffgpu::data::DatasetSpec;

#[derive(Parser, Debug)]
#[command(
    name = "ffgpu",
    version,
    about = "Forward-Forward and Collaborative Forward-Forward training on GPU (WGSL) and CPU"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a network and evaluate it on the test split.
    Train(Box<TrainArgs>),
    /// Evaluate a saved model.
    Eval(EvalArgs),
    /// Version, backends and the GPU adapters found.
    Info,
    /// Time training steps and evaluation of the paper's network.
    Bench(BenchArgs),
}

/// Which backend runs the math.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// a hardware GPU adapter if there is one, else the CPU
    Auto,
    Cpu,
    Gpu,
}

#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// mnist (built in), fashion-mnist, cifar10, or a folder of IDX files.
    #[arg(long, default_value = "mnist", value_parser = clap::value_parser!(DatasetSpec))]
    pub dataset: DatasetSpec,
    /// Folder to read the data set from (required for cifar10).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Use only the first N training images.
    #[arg(long, value_name = "N")]
    pub train_limit: Option<usize>,
    /// Use only the first N test images.
    #[arg(long, value_name = "N")]
    pub test_limit: Option<usize>,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Hidden layer widths, comma-separated.
    #[arg(long, default_value = "500,500,500")]
    pub layers: String,
    /// Local loss: ff | cff (gamma = all other layers) | cff-lt (gamma = earlier layers) | entropy | entropy-collab.
    #[arg(long, default_value = "cff", value_parser = clap::value_parser!(Objective))]
    pub objective: Objective,
    /// network: all layers every batch (Algorithm 2); layer: one layer at a time (Algorithm 1).
    #[arg(long, default_value = "network", value_parser = clap::value_parser!(Procedure))]
    pub procedure: Procedure,
    /// Goodness threshold per layer summed (default: the mean layer width; see README).
    #[arg(long, allow_hyphen_values = true)]
    pub theta: Option<f32>,
    /// layers: the sigmoid's threshold is theta times the layers its logit sums (cff: all, cff-lt: i) | none: theta as given.
    #[arg(long, default_value = "layers", value_parser = clap::value_parser!(ThetaScaling))]
    pub theta_scaling: ThetaScaling,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3, allow_hyphen_values = true)]
    pub lr: f32,
    /// Positive samples per batch (as many negatives go with them).
    #[arg(long, default_value_t = 200)]
    pub batch: usize,
    /// Passes over the training data (per layer with --procedure layer).
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Seeds initialisation, batch order and negative labels.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// relu | leaky-relu | gelu | tanh.
    #[arg(long, default_value = "relu", value_parser = clap::value_parser!(Activation))]
    pub activation: Activation,
    /// concat (one-hot after the pixels, as in the paper) | overlay (one-hot over the first pixels, Hinton's).
    #[arg(long, default_value = "concat", value_parser = clap::value_parser!(LabelEmbed))]
    pub label_embed: LabelEmbed,
    /// Length normalisation of each layer's input: rms (x / rms(x)) | l2 (x / ||x||).
    #[arg(long, default_value = "rms", value_parser = clap::value_parser!(Norm))]
    pub norm: Norm,
    /// random (a uniformly random wrong label) | hard (the wrong label the network likes best).
    #[arg(long, default_value = "random", value_parser = clap::value_parser!(Negatives))]
    pub negatives: Negatives,
    /// Weight initialisation: kaiming (normal, std sqrt(2/inputs)) | uniform (PyTorch's Linear default).
    #[arg(long, default_value = "kaiming", value_parser = clap::value_parser!(Init))]
    pub init: Init,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Write the trained model here (safetensors; temp file + rename).
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Continue from a checkpoint (its network and training settings; --epochs is the new total).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Append one JSON line per epoch to this file.
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Print one JSON object with the results as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    /// Evaluate on the test split every N epochs (and always after the last).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub eval_every: usize,
    /// Training images (the first N) on which train error is measured; 0 skips it.
    #[arg(long, default_value_t = 10000, value_name = "N")]
    pub train_eval: usize,
    /// Layers whose summed goodness predicts the label (1-based, e.g. 1,2); default all.
    #[arg(long)]
    pub predict_layers: Option<String>,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A checkpoint written by `ffgpu train --save`.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Layers whose summed goodness predicts the label (1-based, e.g. 1,2); default all.
    #[arg(long)]
    pub predict_layers: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    #[arg(long, default_value = "500,500,500")]
    pub layers: String,
    #[arg(long, default_value_t = 200)]
    pub batch: usize,
    /// Timed training steps (after warm-up).
    #[arg(long, default_value_t = 30)]
    pub steps: usize,
    /// Test images in the timed evaluation.
    #[arg(long, default_value_t = 2000)]
    pub eval_samples: usize,
    #[arg(long, default_value = "cff", value_parser = clap::value_parser!(Objective))]
    pub objective: Objective,
    #[arg(long)]
    pub json: bool,
}
