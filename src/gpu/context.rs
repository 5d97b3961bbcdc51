//! The GPU context: instance, adapter, device and queue, chosen the way
//! wgpu's environment variables say (`WGPU_BACKEND`, `WGPU_ADAPTER_NAME`,
//! `WGPU_POWER_PREF`), with WebGPU's default limits requested everywhere so
//! nothing works natively that would fail in a browser. Device errors are
//! captured (never a panic) and returned by `check`.

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    errors: Arc<Mutex<Vec<String>>>,
}

/// What to do when no adapter is found, for the error message (the web has its own).
#[cfg(not(target_arch = "wasm32"))]
const NO_ADAPTER_HINT: &str = "no GPU adapter found. On a headless Linux machine install a \
    software Vulkan driver (`apt-get install mesa-vulkan-drivers`) or use --backend cpu";

fn instance() -> wgpu::Instance {
    // Vulkan, Metal, DX12 unless WGPU_BACKEND says otherwise: GL's compute
    // support is patchy and probing it on a headless box only prints noise.
    #[cfg(not(target_arch = "wasm32"))]
    let desc = wgpu::InstanceDescriptor {
        backends: wgpu::Backends::PRIMARY,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    }
    .with_env();
    #[cfg(target_arch = "wasm32")]
    let desc = wgpu::InstanceDescriptor {
        backends: wgpu::Backends::BROWSER_WEBGPU,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    };
    wgpu::Instance::new(desc)
}

/// Every adapter this machine offers (respecting `WGPU_BACKEND`).
#[cfg(not(target_arch = "wasm32"))]
pub fn adapters() -> Vec<wgpu::AdapterInfo> {
    let instance = instance();
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(|a| a.get_info())
        .collect()
}

/// A software rasteriser (llvmpipe, SwiftShader, WARP): slower than the CPU backend.
pub fn is_software(info: &wgpu::AdapterInfo) -> bool {
    info.device_type == wgpu::DeviceType::Cpu
}

/// "NVIDIA H200 (Vulkan, DiscreteGpu)"
pub fn describe(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
}

/// Picks the adapter: the one `WGPU_ADAPTER_NAME` names, else hardware
/// before software (`hardware_only` refuses software adapters).
async fn pick_adapter(instance: &wgpu::Instance, hardware_only: bool) -> Result<wgpu::Adapter> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let mut all = instance.enumerate_adapters(wgpu::Backends::all()).await;
        if let Ok(want) = std::env::var("WGPU_ADAPTER_NAME") {
            let want = want.to_lowercase();
            let names: Vec<String> = all.iter().map(|a| describe(&a.get_info())).collect();
            return all
                .into_iter()
                .find(|a| a.get_info().name.to_lowercase().contains(&want))
                .ok_or_else(|| {
                    Error::Gpu(format!(
                        "WGPU_ADAPTER_NAME={want:?} matches none of the adapters found: [{}]",
                        names.join(", ")
                    ))
                });
        }
        let rank = |a: &wgpu::Adapter| match a.get_info().device_type {
            wgpu::DeviceType::DiscreteGpu => 0,
            wgpu::DeviceType::IntegratedGpu => 1,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Other => 3,
            wgpu::DeviceType::Cpu => 4,
        };
        // Vulkan/Metal/DX12 before GL, which lacks what compute needs on some drivers.
        let backend_rank = |a: &wgpu::Adapter| (a.get_info().backend == wgpu::Backend::Gl) as u8;
        all.sort_by_key(|a| (rank(a), backend_rank(a)));
        let first = all.into_iter().next();
        match first {
            Some(a) if hardware_only && is_software(&a.get_info()) => Err(Error::Gpu(format!(
                "only a software adapter was found ({})",
                describe(&a.get_info())
            ))),
            Some(a) => Ok(a),
            None => Err(Error::Gpu(NO_ADAPTER_HINT.into())),
        }
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = hardware_only;
        instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| {
                Error::Gpu(format!(
                    "this browser offers no WebGPU adapter ({e}); try a current Chrome or Edge, \
                     or enable WebGPU in the browser's flags"
                ))
            })
    }
}

impl GpuContext {
    /// Opens a device. `hardware_only` makes a software adapter an error
    /// (what `--backend auto` wants before falling back to the CPU).
    pub async fn new(hardware_only: bool) -> Result<Self> {
        let instance = instance();
        let adapter = pick_adapter(&instance, hardware_only).await?;
        let info = adapter.get_info();
        let limits = wgpu::Limits::default();
        if !limits.check_limits(&adapter.limits()) {
            return Err(Error::Gpu(format!(
                "{} does not offer WebGPU's default limits",
                describe(&info)
            )));
        }
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("ffgpu"),
                required_limits: limits,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Gpu(format!("cannot open {}: {e}", describe(&info))))?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            let msg = match &e {
                wgpu::Error::OutOfMemory { .. } => format!("out of GPU memory: {e}"),
                _ => e.to_string(),
            };
            sink.lock().expect("error sink").push(msg);
        }));
        let sink = errors.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if reason != wgpu::DeviceLostReason::Destroyed {
                sink.lock()
                    .expect("error sink")
                    .push(format!("device lost ({reason:?}): {msg}"));
            }
        });
        Ok(GpuContext {
            device,
            queue,
            info,
            errors,
        })
    }

    /// The first device error since the last check, if any.
    pub fn check(&self) -> Result<()> {
        let mut errors = self.errors.lock().expect("error sink");
        if errors.is_empty() {
            return Ok(());
        }
        let first = errors.remove(0);
        let more = errors.len();
        errors.clear();
        Err(Error::Gpu(if more > 0 {
            format!("{first} (and {more} more errors)")
        } else {
            first
        }))
    }

    pub fn describe(&self) -> String {
        describe(&self.info)
    }
}
