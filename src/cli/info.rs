//! `ffgpu info`: version, backends and every GPU adapter found.

use ffgpu::gpu::context::{adapters, is_software};

pub fn run() {
    println!("ffgpu {}", env!("CARGO_PKG_VERSION"));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("backends: cpu ({threads} threads), gpu (wgpu: Vulkan, Metal, DX12, GL)");
    let found = adapters();
    if found.is_empty() {
        println!(
            "GPU adapters: none (on headless Linux: apt-get install mesa-vulkan-drivers for a software one)"
        );
    }
    for a in &found {
        println!(
            "GPU adapter: {} | backend {:?} | type {:?}{} | driver {} {}",
            a.name,
            a.backend,
            a.device_type,
            if is_software(a) {
                " (software: --backend auto prefers the CPU)"
            } else {
                ""
            },
            a.driver,
            a.driver_info
        );
    }
}
