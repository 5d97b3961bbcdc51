//! `ffgpu info`: what this build can run on.

pub fn run() {
    println!("ffgpu {}", env!("CARGO_PKG_VERSION"));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("backends: cpu ({threads} threads)");
    println!("gpu: not built yet");
}
