//! The `ffgpu` command line.

pub mod args;
pub mod bench;
pub mod eval;
pub mod info;
pub mod progress;
pub mod report;
pub mod select;
pub mod train;

use std::time::Instant;

use ffgpu::data::{self, Dataset};
use ffgpu::{Error, Result};

use self::args::DataArgs;

/// Loads `--dataset` and applies the limits.
pub fn load_data(args: &DataArgs) -> Result<Dataset> {
    let start = Instant::now();
    let mut data = data::load(&args.dataset, args.data_dir.as_deref())?;
    data.limit(args.train_limit, args.test_limit);
    if data.train.is_empty() || data.test.is_empty() {
        return Err(Error::Config(
            "--train-limit/--test-limit leave an empty split: use at least 1".into(),
        ));
    }
    eprintln!(
        "loaded {} in {:.1}s",
        data.name,
        start.elapsed().as_secs_f64()
    );
    Ok(data)
}

/// `--predict-layers 1,3` as a bit mask; all layers when absent.
pub fn parse_predict_layers(spec: Option<&str>, layers: usize) -> Result<u32> {
    let Some(spec) = spec else {
        return Ok((1u32 << layers) - 1);
    };
    let mut mask = 0u32;
    for part in spec.split(',') {
        let i: usize = part.trim().parse().map_err(|_| {
            Error::Config(format!(
                "--predict-layers {spec:?}: {part:?} is not a layer number (1..={layers})"
            ))
        })?;
        if i == 0 || i > layers {
            return Err(Error::Config(format!(
                "--predict-layers {spec:?}: layer {i} does not exist (the network has layers 1..={layers})"
            )));
        }
        mask |= 1 << (i - 1);
    }
    Ok(mask)
}
