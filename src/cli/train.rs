//! `ffgpu train`: train, evaluate as it goes, log, save.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use ffgpu::backend::{Backend, SplitId};
use ffgpu::checkpoint::{self, Checkpoint, CheckpointMeta};
use ffgpu::config::{AdamConfig, NetConfig, TrainConfig, default_theta, parse_layers};
use ffgpu::data::Dataset;
use ffgpu::eval::{EvalReport, layer_sets};
use ffgpu::train::{Trainer, schedule};
use ffgpu::{Error, Result};
use serde_json::json;

use super::args::TrainArgs;
use super::progress::Progress;
use super::report::{error_line, pct, print_full};
use super::select::{self, Job};
use super::{load_data, parse_predict_layers};

pub fn run(args: TrainArgs) -> Result<()> {
    let data = load_data(&args.data)?;
    let (net, cfg, state, passes_done) = match &args.resume {
        Some(path) => {
            let ck = checkpoint::load(path)?;
            if ck.meta.net.pixels != data.pixels() {
                return Err(Error::checkpoint(
                    path,
                    format!(
                        "the model takes {} pixels, --dataset {} has {}",
                        ck.meta.net.pixels,
                        data.name,
                        data.pixels()
                    ),
                ));
            }
            let mut cfg = ck.meta.train.clone();
            cfg.epochs = args.epochs;
            (ck.meta.net, cfg, ck.state, ck.meta.passes_done)
        }
        None => {
            let net = NetConfig {
                pixels: data.pixels(),
                classes: data.classes,
                layers: parse_layers(&args.layers)?,
                activation: args.activation,
                label_embed: args.label_embed,
                norm: args.norm,
            };
            net.validate()?;
            let cfg = TrainConfig {
                objective: args.objective,
                procedure: args.procedure,
                theta: args
                    .theta
                    .unwrap_or_else(|| default_theta(args.objective, &net)),
                theta_scaling: args.theta_scaling,
                adam: AdamConfig {
                    lr: args.lr,
                    ..AdamConfig::default()
                },
                batch: args.batch,
                epochs: args.epochs,
                seed: args.seed,
                negatives: args.negatives,
                init: args.init,
            };
            cfg.validate()?;
            let state = ffgpu::model::ModelState::init(&net, cfg.init, cfg.seed);
            (net, cfg, state, 0)
        }
    };
    let predict_set = parse_predict_layers(args.predict_layers.as_deref(), net.num_layers())?;
    let job = TrainJob {
        args: &args,
        data: &data,
        net: net.clone(),
        cfg,
        passes_done,
        predict_set,
    };
    select::run_on(args.backend, &net, &state, job)
}

struct TrainJob<'a> {
    args: &'a TrainArgs,
    data: &'a Dataset,
    net: NetConfig,
    cfg: TrainConfig,
    passes_done: usize,
    predict_set: u32,
}

fn open_log(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::Config(format!("--log {}: cannot open: {e}", path.display())))
}

impl Job for TrainJob<'_> {
    type Output = ();

    fn run<B: Backend>(self, backend: B) -> Result<()> {
        let TrainJob {
            args,
            data,
            net,
            cfg,
            passes_done,
            predict_set,
        } = self;
        let backend_name = backend.name();
        let mut trainer = Trainer::new(backend, cfg.clone(), data)?;
        trainer.passes_done = passes_done;
        let layers = net.num_layers();
        let sets = layer_sets(layers);
        let plan = schedule(&cfg, layers);
        let widths: Vec<String> = net.layers.iter().map(|w| w.to_string()).collect();
        println!(
            "ffgpu train: {} ({} train / {} test), layers {}, objective {}, theta {}, procedure {}, {} epochs{}, backend {}",
            data.name,
            data.train.len(),
            data.test.len(),
            widths.join(","),
            cfg.objective,
            cfg.theta,
            cfg.procedure,
            cfg.epochs,
            if cfg.procedure == ffgpu::config::Procedure::Layer {
                " per layer"
            } else {
                ""
            },
            backend_name
        );
        if passes_done >= plan.len() {
            println!(
                "the checkpoint has done all {} passes: raise --epochs to train more",
                plan.len()
            );
        }
        let mut log = args.log.as_deref().map(open_log).transpose()?;
        let (mut train_seconds, mut eval_seconds) = (0.0, 0.0);
        let mut last_test: Option<EvalReport> = None;
        let mut last_train: Option<EvalReport> = None;
        let samples = data.train.len() as u64;
        for pass in plan.iter().skip(passes_done) {
            let label = format!(
                "epoch {}/{}{}",
                pass.index + 1,
                plan.len(),
                match cfg.procedure {
                    ffgpu::config::Procedure::Layer => format!(" (layer {})", pass.layers[0] + 1),
                    ffgpu::config::Procedure::Network => String::new(),
                }
            );
            let mut bar = Progress::new(&label, samples, "samples");
            let batch = cfg.batch as u64;
            let start = Instant::now();
            let stats = trainer.run_pass(pass, &mut |step, _| {
                bar.set((step as u64 * batch).min(samples))
            })?;
            let seconds = start.elapsed().as_secs_f64();
            train_seconds += seconds;
            bar.finish();
            let last = pass.index + 1 == plan.len();
            let evaluate = last || (pass.index + 1) % args.eval_every.max(1) == 0;
            let mut line = format!(
                "{label}: {seconds:.1}s, {:.0} samples/s, loss {}",
                samples as f64 / seconds,
                stats
                    .loss
                    .iter()
                    .map(|l| format!("{l:.4}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            if evaluate {
                let t = Instant::now();
                let test = trainer.evaluate(SplitId::Test, None, &sets, predict_set)?;
                let train = (args.train_eval > 0)
                    .then(|| {
                        trainer.evaluate(SplitId::Train, Some(args.train_eval), &sets, predict_set)
                    })
                    .transpose()?;
                eval_seconds += t.elapsed().as_secs_f64();
                line += &format!(", test error {}", error_line(&test));
                if let Some(tr) = &train {
                    line += &format!(", train error {}", pct(tr.error));
                }
                last_test = Some(test);
                last_train = train;
            }
            println!("{line}");
            if let Some(f) = log.as_mut() {
                let record = json!({
                    "epoch": pass.index + 1,
                    "layers_trained": pass.layers.iter().map(|i| i + 1).collect::<Vec<_>>(),
                    "seconds": seconds,
                    "samples_per_second": samples as f64 / seconds,
                    "loss": stats.loss,
                    "goodness_positive": stats.goodness_positive,
                    "goodness_negative": stats.goodness_negative,
                    "test": if evaluate { json!(last_test) } else { json!(null) },
                    "train": if evaluate { json!(last_train) } else { json!(null) },
                });
                writeln!(f, "{record}")
                    .map_err(|e| Error::Config(format!("--log: cannot write: {e}")))?;
            }
            if let Some(path) = &args.save {
                let state = trainer.backend.state()?;
                checkpoint::save(
                    path,
                    &Checkpoint {
                        meta: CheckpointMeta {
                            net: net.clone(),
                            train: cfg.clone(),
                            passes_done: trainer.passes_done,
                            dataset: data.name.clone(),
                        },
                        state,
                    },
                )?;
            }
        }
        if let Some(test) = &last_test {
            print_full("test", test);
        }
        if let Some(path) = &args.save {
            println!("saved {}", path.display());
        }
        if args.json {
            let result = json!({
                "dataset": data.name,
                "backend": trainer.backend.name(),
                "objective": cfg.objective,
                "procedure": cfg.procedure,
                "theta": cfg.theta,
                "layers": net.layers,
                "epochs": cfg.epochs,
                "passes": trainer.passes_done,
                "test_error": last_test.as_ref().map(|t| t.error),
                "per_layer_test_error": last_test.as_ref().map(|t| t.per_layer_error.clone()),
                "per_set_test_error": last_test.as_ref().map(|t| t.per_set_error.clone()),
                "train_error": last_train.as_ref().map(|t| t.error),
                "entropy": last_test.as_ref().map(|t| t.entropy.clone()),
                "train_seconds": train_seconds,
                "eval_seconds": eval_seconds,
            });
            println!("{result}");
        }
        Ok(())
    }
}
