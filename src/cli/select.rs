//! Picks the backend `--backend` asks for and runs a generic job on it.

use ffgpu::backend::Backend;
use ffgpu::backend::cpu::CpuBackend;
use ffgpu::config::NetConfig;
use ffgpu::model::ModelState;
use ffgpu::{Error, Result};

use super::args::BackendChoice;

/// A job that runs on whichever backend was chosen.
pub trait Job {
    type Output;
    fn run<B: Backend>(self, backend: B) -> Result<Self::Output>;
}

/// Builds the chosen backend for `net` with `state` and runs `job` on it.
pub fn run_on<J: Job>(
    choice: BackendChoice,
    net: &NetConfig,
    state: &ModelState,
    job: J,
) -> Result<J::Output> {
    match choice {
        BackendChoice::Cpu | BackendChoice::Auto => job.run(CpuBackend::<f32>::new(net, state)?),
        BackendChoice::Gpu => Err(Error::Gpu(
            "the GPU backend is not built yet: use --backend cpu".into(),
        )),
    }
}
