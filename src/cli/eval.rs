//! `ffgpu eval`: evaluate a saved model.

use std::time::Instant;

use ffgpu::backend::{Backend, SplitId};
use ffgpu::checkpoint;
use ffgpu::data::Dataset;
use ffgpu::eval::{self, EvalReport, layer_sets};
use ffgpu::workspace::Workspace;
use ffgpu::{Error, Result};
use serde_json::json;

use super::args::EvalArgs;
use super::report::print_full;
use super::select::{self, Job};
use super::{load_data, parse_predict_layers};

pub fn run(args: EvalArgs) -> Result<()> {
    let ck = checkpoint::load(&args.model)?;
    let data = load_data(&args.data)?;
    if ck.meta.net.pixels != data.pixels() || ck.meta.net.classes != data.classes {
        return Err(Error::checkpoint(
            &args.model,
            format!(
                "the model takes {} pixels and {} classes, --dataset {} has {} and {}",
                ck.meta.net.pixels,
                ck.meta.net.classes,
                data.name,
                data.pixels(),
                data.classes
            ),
        ));
    }
    let predict_set =
        parse_predict_layers(args.predict_layers.as_deref(), ck.meta.net.num_layers())?;
    let job = EvalJob {
        data: &data,
        predict_set,
    };
    let (report, backend, seconds) = select::run_on(args.backend, &ck.meta.net, &ck.state, job)?;
    println!(
        "ffgpu eval: {} ({}, {} objective, {} passes) on {} with {}",
        args.model.display(),
        ck.meta.dataset,
        ck.meta.train.objective,
        ck.meta.passes_done,
        data.name,
        backend
    );
    print_full("test", &report);
    if args.json {
        println!(
            "{}",
            json!({
                "model": args.model.display().to_string(),
                "backend": backend,
                "test_error": report.error,
                "per_layer_test_error": report.per_layer_error,
                "per_set_test_error": report.per_set_error,
                "entropy": report.entropy,
                "samples": report.samples,
                "eval_seconds": seconds,
            })
        );
    }
    Ok(())
}

struct EvalJob<'a> {
    data: &'a Dataset,
    predict_set: u32,
}

impl Job for EvalJob<'_> {
    type Output = (EvalReport, String, f64);

    fn run<B: Backend>(self, mut backend: B) -> Result<Self::Output> {
        let start = Instant::now();
        backend.upload_split(SplitId::Test, &self.data.test)?;
        let net = backend.net().clone();
        let mut ws = Workspace::new(
            &mut backend,
            ffgpu::train::EVAL_ROWS,
            net.classes * net.num_layers(),
        )?;
        let sets = layer_sets(net.num_layers());
        let sums = eval::evaluate(
            &mut backend,
            &mut ws,
            SplitId::Test,
            &self.data.test.labels,
            &sets,
        )?;
        let report = EvalReport::from_sums(&sums, &sets, self.predict_set);
        Ok((report, backend.name(), start.elapsed().as_secs_f64()))
    }
}
