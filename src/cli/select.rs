//! Picks the backend `--backend` asks for and runs a generic job on it.

use ffgpu::Result;
use ffgpu::backend::Backend;
use ffgpu::backend::cpu::CpuBackend;
use ffgpu::config::NetConfig;
use ffgpu::gpu::GpuBackend;
use ffgpu::model::ModelState;

use super::args::BackendChoice;

/// A job that runs on whichever backend was chosen.
pub trait Job {
    type Output;
    fn run<B: Backend>(self, backend: B) -> Result<Self::Output>;
}

/// Builds the chosen backend for `net` with `state` and runs `job` on it.
/// `auto` takes a hardware GPU adapter when there is one; a software one
/// (llvmpipe, SwiftShader) is slower than the CPU backend, so it falls back.
pub fn run_on<J: Job>(
    choice: BackendChoice,
    net: &NetConfig,
    state: &ModelState,
    job: J,
) -> Result<J::Output> {
    match choice {
        BackendChoice::Cpu => job.run(CpuBackend::<f32>::new(net, state)?),
        BackendChoice::Gpu => {
            let gpu = GpuBackend::new(false, net, state)?;
            if gpu.is_software() {
                eprintln!(
                    "note: {} is a software adapter, usually slower than --backend cpu",
                    gpu.name()
                );
            }
            job.run(gpu)
        }
        BackendChoice::Auto => match GpuBackend::new(true, net, state) {
            Ok(gpu) => {
                eprintln!("backend auto: picked {}", gpu.name());
                job.run(gpu)
            }
            Err(e) => {
                eprintln!("backend auto: picked the CPU ({e})");
                job.run(CpuBackend::<f32>::new(net, state)?)
            }
        },
    }
}
