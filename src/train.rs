//! The training loop, written once above the `Backend` ops: batching and
//! negatives from one seeded RNG (so every backend sees the same batches),
//! the layer/network procedures, statistics and evaluation.

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng, seq::SliceRandom};
use serde::Serialize;

use crate::backend::{Backend, STAT_COLS, SplitId};
use crate::config::{Negatives, Procedure, TrainConfig};
use crate::data::{Dataset, Split};
use crate::error::{Error, Result};
use crate::eval::{self, EvalReport, EvalSums};
use crate::workspace::Workspace;

/// Samples per evaluation chunk: large enough to keep a GPU busy, small
/// enough for a browser's memory.
pub const EVAL_ROWS: usize = 1000;

/// One pass over the training data: which layers it updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pass {
    /// 0-based index of this pass in the whole schedule
    pub index: usize,
    pub layers: Vec<usize>,
}

/// The passes a run makes. Network procedure (Algorithm 2): `epochs`
/// passes that update every layer on every batch. Layer procedure
/// (Algorithm 1): `epochs` passes for layer 1, then for layer 2, ...
pub fn schedule(cfg: &TrainConfig, layers: usize) -> Vec<Pass> {
    let plan: Vec<Vec<usize>> = match cfg.procedure {
        Procedure::Network => vec![(0..layers).collect(); cfg.epochs],
        Procedure::Layer => (0..layers)
            .flat_map(|i| std::iter::repeat_n(vec![i], cfg.epochs))
            .collect(),
    };
    plan.into_iter()
        .enumerate()
        .map(|(index, layers)| Pass { index, layers })
        .collect()
}

/// SplitMix64: derives an independent seed for each pass, so a resumed run
/// draws exactly what an uninterrupted one would.
fn mix(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniformly random wrong label for each true label.
pub fn random_wrong_labels(rng: &mut ChaCha8Rng, labels: &[u32], classes: usize) -> Vec<u32> {
    let classes = classes as u32;
    labels
        .iter()
        .map(|&y| (y + 1 + rng.random_range(0..classes - 1)) % classes)
        .collect()
}

/// Per-layer means over the steps since the last read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LayerStats {
    pub loss: Vec<f64>,
    pub goodness_positive: Vec<f64>,
    pub goodness_negative: Vec<f64>,
}

impl LayerStats {
    fn from_sums(sums: &[f32], layers: usize) -> Self {
        let row = |i: usize| &sums[i * STAT_COLS..(i + 1) * STAT_COLS];
        let div = |a: f32, b: f32| if b > 0.0 { (a / b) as f64 } else { f64::NAN };
        LayerStats {
            loss: (0..layers)
                .map(|i| div(row(i)[0], row(i)[3] + row(i)[4]))
                .collect(),
            goodness_positive: (0..layers).map(|i| div(row(i)[1], row(i)[3])).collect(),
            goodness_negative: (0..layers).map(|i| div(row(i)[2], row(i)[4])).collect(),
        }
    }
}

/// Where a pass stands: its batches and negative-label stream, and the next step.
pub struct PassCursor {
    pub pass: Pass,
    rng: ChaCha8Rng,
    pub batches: Vec<Vec<u32>>,
    /// steps done
    pub next: usize,
}

pub struct Trainer<B: Backend> {
    pub backend: B,
    pub cfg: TrainConfig,
    train_labels: Vec<u8>,
    test_labels: Vec<u8>,
    ws: Workspace<B>,
    eval_ws: Workspace<B>,
    dgoodness: B::Tensor,
    stats: B::Tensor,
    /// passes finished (also those of a resumed checkpoint)
    pub passes_done: usize,
}

impl<B: Backend> Trainer<B> {
    /// Uploads the data and allocates every buffer a run needs.
    pub fn new(mut backend: B, cfg: TrainConfig, data: &Dataset) -> Result<Self> {
        cfg.validate()?;
        let net = backend.net().clone();
        net.validate()?;
        if data.train.is_empty() {
            return Err(Error::Config("the training split is empty".into()));
        }
        backend.upload_split(SplitId::Train, &data.train)?;
        backend.upload_split(SplitId::Test, &data.test)?;
        let layers = net.num_layers();
        let rows = 2 * cfg.batch;
        let ws = Workspace::new(&mut backend, rows, layers)?;
        let eval_ws = Workspace::new(&mut backend, EVAL_ROWS, net.classes * layers)?;
        let dgoodness = backend.tensor(rows, 1)?;
        let stats = backend.tensor(layers, STAT_COLS)?;
        Ok(Trainer {
            backend,
            cfg,
            train_labels: data.train.labels.clone(),
            test_labels: data.test.labels.clone(),
            ws,
            eval_ws,
            dgoodness,
            stats,
            passes_done: 0,
        })
    }

    /// Batches of pass `pass`: a fresh shuffle of the training set.
    pub fn batches(&self, pass: usize) -> (ChaCha8Rng, Vec<Vec<u32>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.cfg.seed, pass as u64));
        let mut order: Vec<u32> = (0..self.train_labels.len() as u32).collect();
        order.shuffle(&mut rng);
        let batches = order.chunks(self.cfg.batch).map(<[u32]>::to_vec).collect();
        (rng, batches)
    }

    /// Runs one pass, calling `progress(step, steps)` after every step.
    pub fn run_pass(
        &mut self,
        pass: &Pass,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<LayerStats> {
        let mut cursor = self.start_pass(pass);
        while self.advance(&mut cursor)? {
            progress(cursor.next, cursor.batches.len());
        }
        self.take_stats()
    }

    /// Starts a pass to be run one step at a time with `advance` (the
    /// browser runs a few steps per animation frame).
    pub fn start_pass(&self, pass: &Pass) -> PassCursor {
        let (rng, batches) = self.batches(pass.index);
        PassCursor {
            pass: pass.clone(),
            rng,
            batches,
            next: 0,
        }
    }

    /// Runs the cursor's next step; false when the pass is over.
    pub fn advance(&mut self, cursor: &mut PassCursor) -> Result<bool> {
        let Some(batch) = cursor.batches.get(cursor.next).cloned() else {
            return Ok(false);
        };
        let negatives = self.negatives(&mut cursor.rng, &batch)?;
        self.step(&batch, &negatives, &cursor.pass.layers)?;
        cursor.next += 1;
        if cursor.next == cursor.batches.len() {
            self.passes_done = cursor.pass.index + 1;
        }
        Ok(true)
    }

    /// Negative labels for a batch: random wrong ones, or the hardest.
    fn negatives(&mut self, rng: &mut ChaCha8Rng, batch: &[u32]) -> Result<Vec<u32>> {
        let classes = self.backend.net().classes;
        let labels: Vec<u32> = batch
            .iter()
            .map(|&i| self.train_labels[i as usize] as u32)
            .collect();
        // Random draws are made in both modes, so both see the same stream.
        let random = random_wrong_labels(rng, &labels, classes);
        if self.cfg.negatives == Negatives::Random {
            return Ok(random);
        }
        self.hardest_wrong_labels(batch)
    }

    /// The wrong label with the highest summed goodness, per sample.
    pub fn hardest_wrong_labels(&mut self, batch: &[u32]) -> Result<Vec<u32>> {
        let (classes, layers) = (self.backend.net().classes, self.backend.net().num_layers());
        let mut out = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(self.eval_ws.rows) {
            let table = self.read_goodness_table(SplitId::Train, chunk)?;
            for (r, &i) in chunk.iter().enumerate() {
                let y = self.train_labels[i as usize] as usize;
                let row = &table[r * classes * layers..(r + 1) * classes * layers];
                let score = |c: usize| row[c * layers..(c + 1) * layers].iter().sum::<f32>();
                let best = (0..classes)
                    .filter(|&c| c != y)
                    .max_by(|&a, &b| score(a).total_cmp(&score(b)).then(b.cmp(&a)))
                    .expect("at least two classes");
                out.push(best as u32);
            }
        }
        Ok(out)
    }

    /// One training step: positives and negatives through the network, then
    /// each layer in `train` updated from its local loss.
    pub fn step(&mut self, batch: &[u32], negatives: &[u32], train: &[usize]) -> Result<()> {
        let n = batch.len();
        let indices: Vec<u32> = batch.iter().chain(batch).copied().collect();
        let labels: Vec<u32> = batch
            .iter()
            .map(|&i| self.train_labels[i as usize] as u32)
            .chain(negatives.iter().copied())
            .collect();
        let layers = self.backend.net().num_layers();
        let last = if self.cfg.objective.needs_later_layers() {
            layers - 1
        } else {
            *train.iter().max().expect("a pass trains a layer")
        };
        let b = &mut self.backend;
        b.embed(SplitId::Train, &indices, &labels, &mut self.ws.embed)?;
        self.ws.forward(b, 2 * n, last, |i| i)?;
        for &i in train {
            b.loss_grad(
                self.cfg.objective,
                self.cfg.theta_for(i, layers),
                i,
                2 * n,
                n,
                &self.ws.goodness,
                &mut self.dgoodness,
                &mut self.stats,
            )?;
            b.weight_grad(i, 2 * n, &self.ws.acts[i], &self.dgoodness)?;
            b.adam_step(i, &self.cfg.adam)?;
        }
        b.flush()
    }

    /// Mean loss and goodness per layer since the last call (a readback on the GPU).
    pub fn take_stats(&mut self) -> Result<LayerStats> {
        let sums = self.backend.read(&self.stats)?;
        self.clear_stats()?;
        Ok(self.layer_stats(&sums))
    }

    /// Evaluates the first `limit` samples of a split (all when `None`).
    pub fn evaluate(
        &mut self,
        id: SplitId,
        limit: Option<usize>,
        sets: &[u32],
        predict_set: u32,
    ) -> Result<EvalReport> {
        let acc = self.record_evaluation(id, limit, sets)?;
        let flat = self.backend.read(&acc)?;
        Ok(self.eval_report(&flat, sets, predict_set))
    }

    /// Records the evaluation of a split's first `limit` samples into a new
    /// accumulator without reading it (the browser reads it asynchronously).
    pub fn record_evaluation(
        &mut self,
        id: SplitId,
        limit: Option<usize>,
        sets: &[u32],
    ) -> Result<B::Tensor> {
        let labels = match id {
            SplitId::Train => &self.train_labels,
            SplitId::Test => &self.test_labels,
            SplitId::Probe => {
                return Err(Error::Config(
                    "the probe split has no labels to evaluate".into(),
                ));
            }
        };
        let n = limit.unwrap_or(labels.len()).min(labels.len());
        let labels = labels[..n].to_vec();
        let layers = self.backend.net().num_layers();
        let mut acc = self
            .backend
            .tensor(1, EvalSums::flat_len(sets.len(), layers))?;
        eval::record_evaluation(
            &mut self.backend,
            &mut self.eval_ws,
            id,
            &labels,
            sets,
            &mut acc,
        )?;
        Ok(acc)
    }

    /// The report from an accumulator `record_evaluation` filled.
    pub fn eval_report(&self, flat: &[f32], sets: &[u32], predict_set: u32) -> EvalReport {
        let sums = EvalSums::from_flat(flat, sets.len(), self.backend.net().num_layers());
        EvalReport::from_sums(&sums, sets, predict_set)
    }

    /// Records the goodness of every label and layer for images `indices`
    /// of a split into the evaluation workspace's table (`goodness_table`),
    /// e.g. for a digit drawn in the browser uploaded as the probe split.
    pub fn record_goodness_table(&mut self, id: SplitId, indices: &[u32]) -> Result<()> {
        eval::goodness_table(&mut self.backend, &mut self.eval_ws, id, indices)
    }

    /// The table `record_goodness_table` fills: `[rows, classes * layers]`.
    pub fn goodness_table(&self) -> &B::Tensor {
        &self.eval_ws.goodness
    }

    /// Records and reads the goodness table for `indices` (native; the
    /// browser reads `goodness_table()` asynchronously).
    pub fn read_goodness_table(&mut self, id: SplitId, indices: &[u32]) -> Result<Vec<f32>> {
        self.record_goodness_table(id, indices)?;
        self.backend.read(&self.eval_ws.goodness)
    }

    /// The per-layer statistics accumulator (`[layers, STAT_COLS]`), for
    /// asynchronous reads; `clear_stats` zeroes it.
    pub fn stats_tensor(&self) -> &B::Tensor {
        &self.stats
    }

    pub fn clear_stats(&mut self) -> Result<()> {
        let layers = self.backend.net().num_layers();
        self.backend
            .write(&mut self.stats, &vec![0.0; layers * STAT_COLS])
    }

    /// Means per layer from the statistics accumulator's values.
    pub fn layer_stats(&self, sums: &[f32]) -> LayerStats {
        LayerStats::from_sums(sums, self.backend.net().num_layers())
    }
}

/// Labels of a split as the u32s the backend ops take.
pub fn labels_u32(split: &Split) -> Vec<u32> {
    split.labels.iter().map(|&l| l as u32).collect()
}
