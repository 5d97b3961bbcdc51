//! The operations a Forward-Forward training step and an evaluation sweep
//! are made of. The training loop (`crate::train`) and evaluation
//! (`crate::eval`) are written once against this trait; the CPU backend
//! computes each op at once, the GPU backend records it into a command
//! encoder and submits on `flush`.
//!
//! Batches keep positives and negatives in one tensor: rows `0..n_pos` are
//! positive, the rest negative, so every matmul sees the whole batch.

pub mod cpu;

use crate::config::{AdamConfig, NetConfig, Objective};
use crate::data::Split;
use crate::error::Result;
use crate::eval::EvalSums;
use crate::model::ModelState;

/// Which resident data split an op reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitId {
    Train,
    Test,
    /// a few images of the user's (e.g. a digit drawn in the browser)
    Probe,
}

/// Per-layer statistics `loss_grad` accumulates, one row per layer:
/// loss * rows, sum of positive goodness, sum of negative goodness, positive
/// rows, negative rows.
pub const STAT_COLS: usize = 5;

/// A tensor's `(rows, cols)`, so both backends share their argument checks.
pub trait Shaped {
    fn shape(&self) -> (usize, usize);
}

/// Checks that a tensor has room for `rows` rows of `cols`.
pub fn check_shape(what: &str, t: &impl Shaped, rows: usize, cols: usize) -> Result<()> {
    let have = t.shape();
    if have.0 < rows || have.1 != cols {
        return Err(crate::Error::Config(format!(
            "{what}: tensor is [{}, {}], the op needs [{rows}, {cols}]",
            have.0, have.1
        )));
    }
    Ok(())
}

/// Checks the arguments of `Backend::forward` for layer `i`.
pub fn check_forward<T: Shaped>(
    net: &NetConfig,
    i: usize,
    rows: usize,
    input: &T,
    acts: &LayerActs<T>,
    goodness: &T,
    col: usize,
) -> Result<()> {
    let (inputs, outputs) = net.layer_shape(i);
    check_shape("forward input", input, rows, inputs)?;
    check_shape("forward normalised input", &acts.input, rows, inputs)?;
    check_shape("forward pre-activation", &acts.pre, rows, outputs)?;
    check_shape("forward activity", &acts.out, rows, outputs)?;
    let (g_rows, g_cols) = goodness.shape();
    if g_rows < rows || col >= g_cols {
        return Err(crate::Error::Config(format!(
            "forward: goodness column {col} of a [{g_rows}, {g_cols}] tensor"
        )));
    }
    Ok(())
}

/// Checks the arguments of `Backend::loss_grad`.
pub fn check_loss<T: Shaped>(
    net: &NetConfig,
    objective: Objective,
    rows: usize,
    n_pos: usize,
    goodness: &T,
    dgoodness: &T,
    stats: &T,
) -> Result<()> {
    let layers = net.num_layers();
    check_shape("loss goodness", goodness, rows, layers)?;
    check_shape("loss dgoodness", dgoodness, rows, 1)?;
    check_shape("loss stats", stats, layers, STAT_COLS)?;
    check_pairs(objective, rows, n_pos)
}

/// Checks that a split's images are what `net` takes.
pub fn check_split(net: &NetConfig, id: SplitId, split: &Split) -> Result<()> {
    if split.pixels != net.pixels {
        return Err(crate::Error::Config(format!(
            "{id:?} split has {} pixels per image, the network expects {}",
            split.pixels, net.pixels
        )));
    }
    Ok(())
}

/// The entropy objectives pair row `r` with row `r + n_pos` (same image).
pub fn check_pairs(objective: Objective, rows: usize, n_pos: usize) -> Result<()> {
    let paired = matches!(objective, Objective::Entropy | Objective::EntropyCollab);
    if paired && rows != 2 * n_pos {
        return Err(crate::Error::Config(format!(
            "{objective} pairs each positive with a negative: {rows} rows for {n_pos} positives"
        )));
    }
    Ok(())
}

/// One layer's activity on a batch, kept for its weight gradient.
pub struct LayerActs<T> {
    /// the normalised input `x / norm(x)`
    pub input: T,
    /// the pre-activation `W x + b`
    pub pre: T,
    /// the activity `act(W x + b)`, the next layer's raw input
    pub out: T,
}

pub trait Backend {
    /// A 2-D f32 array resident on the backend, `[rows, cols]` row-major.
    type Tensor: Shaped;

    /// The device in words, e.g. "cpu (2 threads)" or "gpu: NVIDIA H200 (Vulkan)".
    fn name(&self) -> String;
    fn net(&self) -> &NetConfig;

    /// Makes a data split resident (the GPU keeps it as packed u8).
    fn upload_split(&mut self, id: SplitId, split: &Split) -> Result<()>;
    /// Replaces weights, biases and Adam state.
    fn set_state(&mut self, state: &ModelState) -> Result<()>;
    /// Reads weights, biases and Adam state back.
    fn state(&mut self) -> Result<ModelState>;

    /// A zero-filled tensor.
    fn tensor(&mut self, rows: usize, cols: usize) -> Result<Self::Tensor>;
    fn read(&mut self, t: &Self::Tensor) -> Result<Vec<f32>>;
    fn write(&mut self, t: &mut Self::Tensor, data: &[f32]) -> Result<()>;

    /// Gathers images `indices` of split `id`, scales pixels to [0, 1] and
    /// adds `labels` (one per index) into rows `0..indices.len()` of `out`.
    fn embed(
        &mut self,
        id: SplitId,
        indices: &[u32],
        labels: &[u32],
        out: &mut Self::Tensor,
    ) -> Result<()>;

    /// Layer `i` on `rows` rows of `input` (the embedding for layer 0, the
    /// previous layer's `out` otherwise): length-normalises it into
    /// `acts.input`, computes `acts.pre` and `acts.out`, and writes every
    /// row's goodness (sum of squared activity) into column `col` of `goodness`.
    fn forward(
        &mut self,
        i: usize,
        rows: usize,
        input: &Self::Tensor,
        acts: &mut LayerActs<Self::Tensor>,
        goodness: &mut Self::Tensor,
        col: usize,
    ) -> Result<()>;

    /// `dL/dg_i` of `objective` for `rows` samples (`n_pos` positives first),
    /// from `goodness` (`[rows, layers]`), into `dgoodness` (`[rows, 1]`);
    /// adds layer `i`'s statistics into row `i` of `stats` (`[layers, STAT_COLS]`).
    #[allow(clippy::too_many_arguments)]
    fn loss_grad(
        &mut self,
        objective: Objective,
        theta: f32,
        i: usize,
        rows: usize,
        n_pos: usize,
        goodness: &Self::Tensor,
        dgoodness: &mut Self::Tensor,
        stats: &mut Self::Tensor,
    ) -> Result<()>;

    /// Layer `i`'s weight and bias gradient (kept in the backend) from its
    /// activity and `dL/dg`; no gradient flows to the layer's input.
    fn weight_grad(
        &mut self,
        i: usize,
        rows: usize,
        acts: &LayerActs<Self::Tensor>,
        dgoodness: &Self::Tensor,
    ) -> Result<()>;

    /// One Adam step (with bias correction) on layer `i` from its gradient.
    fn adam_step(&mut self, i: usize, adam: &AdamConfig) -> Result<()>;

    /// Layer `i`'s last gradient (weight, bias): for tests across backends.
    fn gradient(&mut self, i: usize) -> Result<(Vec<f32>, Vec<f32>)>;

    /// Makes queued work run; the CPU has nothing queued.
    fn flush(&mut self) -> Result<()>;

    /// Adds a goodness table's evaluation sums (`EvalSums` in its flat
    /// layout) into `acc`: error counts per layer set and goodness sums for
    /// the entropy. The table is `[rows, classes * layers]` (column
    /// `c * layers + i`), `sets` are bit masks of layers. The default reads
    /// the table back; the GPU reduces it in place so only `acc` comes back.
    fn eval_accumulate(
        &mut self,
        table: &Self::Tensor,
        rows: usize,
        labels: &[u32],
        sets: &[u32],
        acc: &mut Self::Tensor,
    ) -> Result<()> {
        let data = self.read(table)?;
        let net = self.net();
        let sums = EvalSums::from_table(&data, rows, net.classes, net.num_layers(), labels, sets);
        let mut flat = self.read(acc)?;
        for (a, b) in flat.iter_mut().zip(sums.to_flat()) {
            *a += b;
        }
        self.write(acc, &flat)
    }
}
