//! The WGSL compute backend through wgpu: native (Vulkan, Metal, DX12) and
//! the browser (WebGPU) from the same code.

pub mod backend;
pub mod context;
pub mod kernels;
pub mod recorder;

pub use backend::GpuBackend;
pub use context::GpuContext;
pub use recorder::GpuTensor;
