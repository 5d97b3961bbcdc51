//! The browser demo's way into ffgpu: a thin `#[wasm_bindgen]` facade over
//! the same `Trainer` and `GpuBackend` the CLI drives, so the page trains
//! with exactly the native math (WGSL through the browser's WebGPU).
//!
//! JS calls `train` for a few steps per animation frame: it only records
//! and submits GPU work. Everything that reads the GPU returns a Promise,
//! because on the web a readback can only be awaited. While such a read is
//! in flight the run is checked out of its slot, so an overlapping call
//! gets a "busy" error instead of a panic; the page runs one GPU task at a
//! time. Every error reaches JS as an `Error` carrying ffgpu's message.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::backend::{Backend, SplitId};
use crate::checkpoint::{self, Checkpoint, CheckpointMeta};
use crate::config::{
    Activation, AdamConfig, Init, LabelEmbed, Negatives, NetConfig, Norm, Objective, Procedure,
    TrainConfig, default_theta, parse_layers,
};
use crate::data::{Dataset, IDX_FILES, Split, idx};
use crate::error::{Error, Result};
use crate::gpu::{GpuBackend, GpuContext};
use crate::model::ModelState;
use crate::train::{EVAL_ROWS, Pass, PassCursor, Trainer, schedule};

const MNIST_CLASSES: usize = 10;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The threshold ffgpu uses when none is given, for the page's hint.
#[wasm_bindgen(js_name = defaultTheta)]
pub fn default_theta_for(objective: &str, layers: &str) -> Result<f32, JsError> {
    let net = mnist_net(parse_layers(layers)?);
    net.validate()?;
    Ok(default_theta(objective.parse()?, &net))
}

#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}

/// What the page's controls and URL say about a new run.
#[derive(Debug, Deserialize)]
struct Settings {
    objective: Objective,
    /// `None`: ffgpu's default for the objective and layers
    theta: Option<f32>,
    lr: f32,
    batch: usize,
    layers: String,
    epochs: usize,
    seed: u64,
    /// training images used (the first N)
    train: usize,
    /// test images evaluated (the first N)
    test: usize,
}

impl Settings {
    fn parse(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::Config(format!("page settings: {e}")))
    }
}

/// The network the CLI trains on MNIST by default, with the page's widths.
fn mnist_net(layers: Vec<usize>) -> NetConfig {
    NetConfig {
        pixels: 28 * 28,
        classes: MNIST_CLASSES,
        layers,
        activation: Activation::Relu,
        label_embed: LabelEmbed::Concat,
        norm: Norm::Rms,
    }
}

/// The first `n` samples of a split.
fn first(split: &Split, n: usize) -> Split {
    let n = n.min(split.len());
    Split {
        pixels: split.pixels,
        images: split.images[..n * split.pixels].to_vec(),
        labels: split.labels[..n].to_vec(),
    }
}

/// Index of the largest score, the first one on ties (as the eval kernel).
fn argmax(scores: impl Iterator<Item = f32>) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, s) in scores.enumerate() {
        if s > best.1 {
            best = (i, s);
        }
    }
    best.0
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue> {
    let json = serde_json::to_string(value)
        .map_err(|e| Error::Config(format!("cannot encode a result for the page: {e}")))?;
    js_sys::JSON::parse(&json).map_err(|_| Error::Config("the page cannot parse a result".into()))
}

fn js_error(e: Error) -> JsValue {
    JsError::new(&e.to_string()).into()
}

/// What the page shows about a run once it is open.
#[derive(Serialize)]
struct RunInfo {
    adapter: String,
    adapter_backend: String,
    device_type: String,
    /// a software rasteriser (e.g. SwiftShader): expect ~1000x less speed
    software: bool,
    layers: Vec<usize>,
    parameters: usize,
    objective: Objective,
    procedure: Procedure,
    theta: f32,
    lr: f32,
    batch: usize,
    seed: u64,
    train: usize,
    test: usize,
    passes: usize,
    passes_done: usize,
    steps_per_pass: usize,
}

/// Where training stands after `train`.
#[derive(Serialize)]
struct Progress {
    /// steps done, counting the passes of a loaded checkpoint
    step: usize,
    steps_total: usize,
    /// 1-based pass the next step belongs to (passes_done + 1 between passes)
    pass: usize,
    passes: usize,
    /// layers (1-based) the current pass trains
    training_layers: Vec<usize>,
    /// training samples seen, in passes (fractional)
    progress_passes: f64,
    done: bool,
}

/// Per-label, per-layer goodness of one image and what it predicts.
#[derive(Serialize)]
struct Probe {
    /// `goodness[label][layer]`
    goodness: Vec<Vec<f32>>,
    /// argmax over labels of the goodness summed over layers
    prediction: usize,
    /// each layer's own argmax
    per_layer_prediction: Vec<usize>,
}

#[derive(Serialize)]
struct TestPredictions {
    predictions: Vec<usize>,
    labels: Vec<u8>,
}

/// One training run on the GPU: the trainer, its schedule and where it is.
struct Run {
    trainer: Trainer<GpuBackend>,
    net: NetConfig,
    plan: Vec<Pass>,
    cursor: Option<PassCursor>,
    steps_per_pass: usize,
    train_len: usize,
    /// labels of the test images evaluated
    test_labels: Vec<u8>,
    /// layer sets evaluated: each layer alone, then all of them
    sets: Vec<u32>,
}

impl Run {
    async fn open(
        data: &Dataset,
        net: NetConfig,
        cfg: TrainConfig,
        state: ModelState,
        passes_done: usize,
        (train, test): (usize, usize),
    ) -> Result<Self> {
        let subset = Dataset {
            name: data.name.clone(),
            classes: data.classes,
            shape: data.shape,
            train: first(&data.train, train),
            test: first(&data.test, test),
        };
        if subset.test.is_empty() {
            return Err(Error::Config("test: evaluate at least 1 test image".into()));
        }
        let ctx = GpuContext::new(false).await?;
        let backend = GpuBackend::with_context(ctx, &net, &state).await?;
        let plan = schedule(&cfg, net.num_layers());
        let steps_per_pass = subset.train.len().div_ceil(cfg.batch);
        let mut trainer = Trainer::new(backend, cfg, &subset)?;
        trainer.passes_done = passes_done;
        let all = (1u32 << net.num_layers()) - 1;
        let mut sets: Vec<u32> = (0..net.num_layers()).map(|i| 1 << i).collect();
        sets.retain(|&s| s != all);
        sets.push(all);
        Ok(Run {
            trainer,
            net,
            plan,
            cursor: None,
            steps_per_pass,
            train_len: subset.train.len(),
            test_labels: subset.test.labels,
            sets,
        })
    }

    fn info(&self, parameters: usize) -> RunInfo {
        let a = self.trainer.backend.adapter();
        let cfg = &self.trainer.cfg;
        RunInfo {
            adapter: a.name.clone(),
            adapter_backend: format!("{:?}", a.backend),
            device_type: format!("{:?}", a.device_type),
            software: self.trainer.backend.is_software(),
            layers: self.net.layers.clone(),
            parameters,
            objective: cfg.objective,
            procedure: cfg.procedure,
            theta: cfg.theta,
            lr: cfg.adam.lr,
            batch: cfg.batch,
            seed: cfg.seed,
            train: self.train_len,
            test: self.test_labels.len(),
            passes: self.plan.len(),
            passes_done: self.trainer.passes_done,
            steps_per_pass: self.steps_per_pass,
        }
    }

    /// Records and submits one training step; false when the schedule is done.
    fn step(&mut self) -> Result<bool> {
        if self.cursor.is_none() {
            match self.plan.get(self.trainer.passes_done) {
                Some(pass) => self.cursor = Some(self.trainer.start_pass(pass)),
                None => return Ok(false),
            }
        }
        let cursor = self.cursor.as_mut().expect("a pass was started above");
        let stepped = self.trainer.advance(cursor)?;
        if cursor.next >= cursor.batches.len() {
            self.trainer.passes_done = self.trainer.passes_done.max(cursor.pass.index + 1);
            self.cursor = None;
        }
        Ok(stepped)
    }

    fn progress(&self) -> Progress {
        let done = self.trainer.passes_done;
        let in_pass = self.cursor.as_ref().map_or(0, |c| c.next);
        let seen = (in_pass * self.trainer.cfg.batch).min(self.train_len);
        let pass = self.plan.get(done);
        Progress {
            step: done * self.steps_per_pass + in_pass,
            steps_total: self.plan.len() * self.steps_per_pass,
            pass: (done + 1).min(self.plan.len()),
            passes: self.plan.len(),
            training_layers: pass.map_or(Vec::new(), |p| p.layers.iter().map(|i| i + 1).collect()),
            progress_passes: done as f64 + seen as f64 / self.train_len.max(1) as f64,
            done: pass.is_none(),
        }
    }

    /// Goodness of every label and layer for images `indices` of a split,
    /// read back row by row (`[row][label * layers + layer]`).
    async fn goodness_rows(&mut self, id: SplitId, indices: &[u32]) -> Result<Vec<Vec<f32>>> {
        self.trainer.record_goodness_table(id, indices)?;
        let table = self.trainer.goodness_table().clone();
        let flat = self.trainer.backend.read_async(&table).await?;
        let width = self.net.classes * self.net.num_layers();
        Ok(flat
            .chunks(width)
            .take(indices.len())
            .map(<[f32]>::to_vec)
            .collect())
    }

    fn sum_prediction(&self, row: &[f32]) -> usize {
        let layers = self.net.num_layers();
        argmax(row.chunks(layers).map(|g| g.iter().sum()))
    }
}

/// Where the current run is: none yet, ready, or checked out by a GPU read.
enum Slot {
    Empty,
    Ready(Box<Run>),
    Busy,
}

const BUSY: &str = "ffgpu is still busy with the previous GPU request: wait for it to finish";
const NO_RUN: &str = "no network is open: open one first";

/// MNIST in memory and the training run on the browser's GPU.
#[wasm_bindgen]
pub struct WebTrainer {
    data: Rc<Dataset>,
    slot: Rc<RefCell<Slot>>,
}

impl WebTrainer {
    /// Runs `work` on the ready run, synchronously.
    fn with_run<T>(&self, work: impl FnOnce(&mut Run) -> Result<T>) -> Result<T> {
        match &mut *self.slot.borrow_mut() {
            Slot::Ready(run) => work(run.as_mut()),
            Slot::Busy => Err(Error::Config(BUSY.into())),
            Slot::Empty => Err(Error::Config(NO_RUN.into())),
        }
    }

    /// Checks the run out of its slot for an awaited GPU task and back in after.
    fn run_task(&self, work: impl AsyncFnOnce(&mut Run) -> Result<JsValue> + 'static) -> Promise {
        let slot = self.slot.clone();
        future_to_promise(async move {
            let taken = std::mem::replace(&mut *slot.borrow_mut(), Slot::Busy);
            let mut run = match taken {
                Slot::Ready(run) => run,
                other => {
                    let message = if matches!(other, Slot::Busy) {
                        BUSY
                    } else {
                        NO_RUN
                    };
                    *slot.borrow_mut() = other;
                    return Err(js_error(Error::Config(message.into())));
                }
            };
            let result = work(run.as_mut()).await;
            *slot.borrow_mut() = Slot::Ready(run);
            result.map_err(js_error)
        })
    }

    /// Replaces the run with one opened from `net`, `cfg` and `state`.
    fn open_run(
        &self,
        net: NetConfig,
        cfg: TrainConfig,
        state: ModelState,
        passes_done: usize,
        sizes: (usize, usize),
    ) -> Promise {
        let (slot, data) = (self.slot.clone(), self.data.clone());
        future_to_promise(async move {
            if matches!(*slot.borrow(), Slot::Busy) {
                return Err(js_error(Error::Config(BUSY.into())));
            }
            // The old run's buffers go before the new run allocates its own.
            *slot.borrow_mut() = Slot::Busy;
            let parameters = state.parameter_count();
            let opened = Run::open(&data, net, cfg, state, passes_done, sizes).await;
            match opened {
                Ok(run) => {
                    let info = to_js(&run.info(parameters));
                    *slot.borrow_mut() = Slot::Ready(Box::new(run));
                    info.map_err(js_error)
                }
                Err(e) => {
                    *slot.borrow_mut() = Slot::Empty;
                    Err(js_error(e))
                }
            }
        })
    }
}

#[wasm_bindgen]
impl WebTrainer {
    /// Reads MNIST from the four IDX files as fetched (train images, train
    /// labels, test images, test labels): gzipped, or already inflated by a
    /// server that sent them with `Content-Encoding: gzip`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        train_images: Vec<u8>,
        train_labels: Vec<u8>,
        test_images: Vec<u8>,
        test_labels: Vec<u8>,
    ) -> Result<WebTrainer, JsError> {
        let files = [train_images, train_labels, test_images, test_labels];
        let mut plain = Vec::with_capacity(4);
        for (name, bytes) in IDX_FILES.iter().zip(files) {
            let path = Path::new("data/mnist").join(name);
            plain.push((idx::decompress(&path, bytes)?, path));
        }
        let split = |i: usize, l: usize| {
            Split::from_idx(
                &plain[i].1,
                &plain[i].0,
                &plain[l].1,
                &plain[l].0,
                MNIST_CLASSES,
            )
        };
        let (train, test) = (split(0, 1)?, split(2, 3)?);
        if train.pixels != 28 * 28 || test.pixels != 28 * 28 {
            return Err(Error::Config("MNIST images must be 28x28".into()).into());
        }
        Ok(WebTrainer {
            data: Rc::new(Dataset {
                name: "mnist".into(),
                classes: MNIST_CLASSES,
                shape: [1, 28, 28],
                train,
                test,
            }),
            slot: Rc::new(RefCell::new(Slot::Empty)),
        })
    }

    #[wasm_bindgen(getter, js_name = trainSize)]
    pub fn train_size(&self) -> usize {
        self.data.train.len()
    }

    #[wasm_bindgen(getter, js_name = testSize)]
    pub fn test_size(&self) -> usize {
        self.data.test.len()
    }

    /// The first `count` test images, 784 bytes each.
    #[wasm_bindgen(js_name = testImages)]
    pub fn test_images(&self, count: usize) -> Vec<u8> {
        first(&self.data.test, count).images
    }

    /// Opens a fresh network on the GPU (settings as JSON; see `Settings`).
    /// Resolves to the run's description, adapter included.
    pub fn open(&self, settings: &str) -> Promise {
        let opened = (|| -> Result<_> {
            let s = Settings::parse(settings)?;
            let net = mnist_net(parse_layers(&s.layers)?);
            net.validate()?;
            let cfg = TrainConfig {
                objective: s.objective,
                procedure: Procedure::Network,
                theta: s.theta.unwrap_or_else(|| default_theta(s.objective, &net)),
                theta_scaling: crate::config::ThetaScaling::Layers,
                adam: AdamConfig {
                    lr: s.lr,
                    ..AdamConfig::default()
                },
                batch: s.batch,
                epochs: s.epochs,
                seed: s.seed,
                negatives: Negatives::Random,
                init: Init::Kaiming,
            };
            cfg.validate()?;
            let state = ModelState::init(&net, cfg.init, cfg.seed);
            Ok((net, cfg, state, (s.train, s.test)))
        })();
        match opened {
            Ok((net, cfg, state, sizes)) => self.open_run(net, cfg, state, 0, sizes),
            Err(e) => Promise::reject(&js_error(e)),
        }
    }

    /// Opens a checkpoint (`ffgpu train --save`, or this page's save) with
    /// its network and training settings; `epochs` more passes can follow.
    /// The page's `train`, `test` and `epochs` settings apply.
    #[wasm_bindgen(js_name = openCheckpoint)]
    pub fn open_checkpoint(&self, name: &str, bytes: &[u8], settings: &str) -> Promise {
        let opened = (|| -> Result<_> {
            let s = Settings::parse(settings)?;
            let ck = checkpoint::from_bytes(Path::new(name), bytes)?;
            let net = ck.meta.net;
            if (net.pixels, net.classes) != (28 * 28, MNIST_CLASSES) {
                return Err(Error::checkpoint(
                    name,
                    format!(
                        "the model takes {} pixels and {} classes, MNIST has 784 and 10",
                        net.pixels, net.classes
                    ),
                ));
            }
            let mut cfg = ck.meta.train;
            // Hard negatives read the GPU mid-step, which the web cannot do synchronously.
            cfg.negatives = Negatives::Random;
            if cfg.procedure == Procedure::Network {
                cfg.epochs = ck.meta.passes_done + s.epochs;
            }
            Ok((net, cfg, ck.state, ck.meta.passes_done, (s.train, s.test)))
        })();
        match opened {
            Ok((net, cfg, state, done, sizes)) => self.open_run(net, cfg, state, done, sizes),
            Err(e) => Promise::reject(&js_error(e)),
        }
    }

    /// Records and submits up to `steps` training steps (no readback), and
    /// says where training stands.
    pub fn train(&self, steps: u32) -> Result<JsValue, JsError> {
        Ok(self.with_run(|run| {
            for _ in 0..steps {
                if !run.step()? {
                    break;
                }
            }
            to_js(&run.progress())
        })?)
    }

    /// Where training stands, without training.
    pub fn progress(&self) -> Result<JsValue, JsError> {
        Ok(self.with_run(|run| to_js(&run.progress()))?)
    }

    /// Resolves to the mean loss and positive/negative goodness per layer
    /// since the last call (`LayerStats`), and starts a new average. Also
    /// waits for the steps submitted so far to finish.
    #[wasm_bindgen(js_name = readStats)]
    pub fn read_stats(&self) -> Promise {
        self.run_task(async |run| {
            let stats = run.trainer.stats_tensor().clone();
            let sums = run.trainer.backend.read_async(&stats).await?;
            run.trainer.clear_stats()?;
            to_js(&run.trainer.layer_stats(&sums))
        })
    }

    /// Resolves to the evaluation (`EvalReport`) of the first `count` test
    /// images: error of all layers together and of each layer alone.
    pub fn evaluate(&self, count: usize) -> Promise {
        self.run_task(async move |run| {
            let sets = run.sets.clone();
            let all = *sets.last().expect("at least one layer set");
            let acc = run
                .trainer
                .record_evaluation(SplitId::Test, Some(count), &sets)?;
            let flat = run.trainer.backend.read_async(&acc).await?;
            to_js(&run.trainer.eval_report(&flat, &sets, all))
        })
    }

    /// Resolves to every label's goodness in every layer for one 28x28
    /// image (u8, 0 = background) and the label it predicts.
    pub fn probe(&self, pixels: Vec<u8>) -> Promise {
        self.run_task(async move |run| {
            if pixels.len() != run.net.pixels {
                return Err(Error::Config(format!(
                    "probe: {} pixels, a 28x28 image has {}",
                    pixels.len(),
                    run.net.pixels
                )));
            }
            let image = Split {
                pixels: run.net.pixels,
                images: pixels,
                labels: vec![0],
            };
            run.trainer.backend.upload_split(SplitId::Probe, &image)?;
            let row = run.goodness_rows(SplitId::Probe, &[0]).await?.remove(0);
            let layers = run.net.num_layers();
            let goodness: Vec<Vec<f32>> = row.chunks(layers).map(<[f32]>::to_vec).collect();
            let per_layer_prediction = (0..layers)
                .map(|i| argmax(goodness.iter().map(|g| g[i])))
                .collect();
            to_js(&Probe {
                prediction: run.sum_prediction(&row),
                per_layer_prediction,
                goodness,
            })
        })
    }

    /// Resolves to the predicted and true labels of the first `count` test images.
    #[wasm_bindgen(js_name = predictTest)]
    pub fn predict_test(&self, count: usize) -> Promise {
        self.run_task(async move |run| {
            let n = count.min(run.test_labels.len()).min(EVAL_ROWS);
            let indices: Vec<u32> = (0..n as u32).collect();
            let rows = run.goodness_rows(SplitId::Test, &indices).await?;
            to_js(&TestPredictions {
                predictions: rows.iter().map(|r| run.sum_prediction(r)).collect(),
                labels: run.test_labels[..n].to_vec(),
            })
        })
    }

    /// Resolves to the model as a safetensors checkpoint (`ffgpu eval --model` reads it).
    #[wasm_bindgen(js_name = saveCheckpoint)]
    pub fn save_checkpoint(&self) -> Promise {
        self.run_task(async |run| {
            let state = run.trainer.backend.state_async().await?;
            let bytes = checkpoint::to_bytes(&Checkpoint {
                meta: CheckpointMeta {
                    net: run.net.clone(),
                    train: run.trainer.cfg.clone(),
                    passes_done: run.trainer.passes_done,
                    dataset: "mnist".into(),
                },
                state,
            })?;
            Ok(Uint8Array::from(bytes.as_slice()).into())
        })
    }
}
