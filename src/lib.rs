//! ffgpu: Forward-Forward and Collaborative Forward-Forward training
//! ("Layer Collaboration in the Forward-Forward Algorithm", Lorberbom et al.)
//! with one training loop over interchangeable CPU and GPU backends.

pub mod activation;
pub mod backend;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod error;
pub mod eval;
pub mod gpu;
pub mod model;
pub mod objective;
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod web;
pub mod workspace;

pub use error::{Error, Result};
