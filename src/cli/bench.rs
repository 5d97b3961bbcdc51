//! `ffgpu bench`: step time, projected epoch time, evaluation time and
//! GFLOP/s for a network on MNIST (the paper's 3x500 by default).

use std::time::Instant;

use ffgpu::Result;
use ffgpu::backend::{Backend, SplitId};
use ffgpu::config::{
    Activation, AdamConfig, Init, LabelEmbed, Negatives, NetConfig, Norm, Procedure, ThetaScaling,
    TrainConfig, default_theta, parse_layers,
};
use ffgpu::data::Dataset;
use ffgpu::eval::layer_sets;
use ffgpu::model::ModelState;
use ffgpu::train::Trainer;
use serde_json::json;

use super::args::{BenchArgs, DataArgs};
use super::load_data;
use super::select::{self, Job};

pub fn run(args: BenchArgs) -> Result<()> {
    let data = load_data(&DataArgs {
        dataset: ffgpu::data::DatasetSpec::Mnist,
        data_dir: None,
        train_limit: None,
        test_limit: Some(args.eval_samples),
    })?;
    let net = NetConfig {
        pixels: data.pixels(),
        classes: data.classes,
        layers: parse_layers(&args.layers)?,
        activation: Activation::Relu,
        label_embed: LabelEmbed::Concat,
        norm: Norm::Rms,
    };
    net.validate()?;
    let cfg = TrainConfig {
        objective: args.objective,
        procedure: Procedure::Network,
        theta: default_theta(args.objective, &net),
        theta_scaling: ThetaScaling::Layers,
        adam: AdamConfig::default(),
        batch: args.batch,
        epochs: 1,
        seed: 0,
        negatives: Negatives::Random,
        init: Init::Kaiming,
    };
    let state = ModelState::init(&net, cfg.init, 0);
    select::run_on(
        args.backend,
        &net,
        &state,
        BenchJob {
            args: &args,
            data: &data,
            cfg,
        },
    )
}

struct BenchJob<'a> {
    args: &'a BenchArgs,
    data: &'a Dataset,
    cfg: TrainConfig,
}

/// Multiply-adds of one forward pass of one sample through every layer.
fn macs_per_sample(net: &NetConfig) -> f64 {
    (0..net.num_layers())
        .map(|i| {
            let (a, b) = net.layer_shape(i);
            (a * b) as f64
        })
        .sum()
}

impl Job for BenchJob<'_> {
    type Output = ();

    fn run<B: Backend>(self, backend: B) -> Result<()> {
        let BenchJob { args, data, cfg } = self;
        let name = backend.name();
        let net = backend.net().clone();
        let mut trainer = Trainer::new(backend, cfg.clone(), data)?;
        let layers: Vec<usize> = (0..net.num_layers()).collect();
        let (_, batches) = trainer.batches(0);
        let negatives = |b: &[u32]| -> Vec<u32> {
            b.iter()
                .map(|&i| (data.train.labels[i as usize] as u32 + 1) % 10)
                .collect()
        };
        // warm-up: first dispatches compile pipelines and fault in memory
        for b in batches.iter().take(3) {
            trainer.step(b, &negatives(b), &layers)?;
        }
        trainer.take_stats()?;
        let start = Instant::now();
        for b in batches.iter().cycle().take(args.steps) {
            trainer.step(b, &negatives(b), &layers)?;
        }
        trainer.take_stats()?; // waits for queued GPU work
        let step_s = start.elapsed().as_secs_f64() / args.steps as f64;
        // forward (2 FLOP per MAC) and weight gradient (same again), positives and negatives
        let step_flop = 2.0 * 2.0 * (2 * cfg.batch) as f64 * macs_per_sample(&net);
        let steps_per_epoch = data.train.len().div_ceil(cfg.batch);
        let sets = layer_sets(net.num_layers());
        let t = Instant::now();
        let report = trainer.evaluate(SplitId::Test, None, &sets, *sets.last().unwrap())?;
        let eval_s = t.elapsed().as_secs_f64();
        let eval_flop = 2.0 * net.classes as f64 * report.samples as f64 * macs_per_sample(&net);
        let per_10k = eval_s * 10_000.0 / report.samples as f64;
        println!("ffgpu bench on {name}");
        println!(
            "network {:?}, batch {} (+{} negatives), objective {}",
            net.layers, cfg.batch, cfg.batch, cfg.objective
        );
        println!(
            "train step: {:.2} ms, {:.1} GFLOP/s, {:.0} samples/s; epoch of {} steps: {:.1} s (projected)",
            step_s * 1e3,
            step_flop / step_s / 1e9,
            cfg.batch as f64 / step_s,
            steps_per_epoch,
            step_s * steps_per_epoch as f64
        );
        println!(
            "evaluation: {} images x {} labels in {:.2} s, {:.1} GFLOP/s; 10k test images: {:.1} s (projected)",
            report.samples,
            net.classes,
            eval_s,
            eval_flop / eval_s / 1e9,
            per_10k
        );
        if args.json {
            println!(
                "{}",
                json!({
                    "backend": name,
                    "layers": net.layers,
                    "batch": cfg.batch,
                    "step_ms": step_s * 1e3,
                    "step_gflops": step_flop / step_s / 1e9,
                    "samples_per_second": cfg.batch as f64 / step_s,
                    "epoch_seconds_projected": step_s * steps_per_epoch as f64,
                    "eval_images": report.samples,
                    "eval_seconds": eval_s,
                    "eval_gflops": eval_flop / eval_s / 1e9,
                    "eval_10k_seconds_projected": per_10k,
                })
            );
        }
        Ok(())
    }
}
