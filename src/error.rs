//! One error type for the library: every message names the file, flag or
//! device it is about and says what was expected.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data file is missing, unreadable or malformed.
    #[error("{path}: {problem}")]
    Data { path: String, problem: String },
    /// A flag or setting has a value we cannot use.
    #[error("{0}")]
    Config(String),
    /// A checkpoint could not be written or read.
    #[error("checkpoint {path}: {problem}")]
    Checkpoint { path: String, problem: String },
    /// The GPU backend failed: no adapter, device lost, out of memory, bad shader.
    #[error("GPU: {0}")]
    Gpu(String),
}

impl Error {
    pub fn data(path: impl AsRef<Path>, problem: impl Into<String>) -> Self {
        Error::Data {
            path: path.as_ref().display().to_string(),
            problem: problem.into(),
        }
    }

    pub fn checkpoint(path: impl AsRef<Path>, problem: impl Into<String>) -> Self {
        Error::Checkpoint {
            path: path.as_ref().display().to_string(),
            problem: problem.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
