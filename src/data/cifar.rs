//! CIFAR-10 "binary version": records of 1 label byte + 3072 pixel bytes
//! (1024 red, 1024 green, 1024 blue, each 32x32 row-major).

use std::path::Path;

use super::Split;
use crate::error::{Error, Result};

pub const RECORD: usize = 1 + PIXELS;
pub const PIXELS: usize = 3 * 32 * 32;
pub const CLASSES: usize = 10;
pub const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
pub const TEST_FILE: &str = "test_batch.bin";

/// Parses one batch file's bytes, appending its records to `split`.
pub fn parse_batch(path: &Path, bytes: &[u8], split: &mut Split) -> Result<()> {
    if bytes.is_empty() {
        return Err(Error::data(path, "the file is empty"));
    }
    if !bytes.len().is_multiple_of(RECORD) {
        return Err(Error::data(
            path,
            format!(
                "{} bytes is not a whole number of {RECORD}-byte CIFAR-10 records (truncated?)",
                bytes.len()
            ),
        ));
    }
    for (i, record) in bytes.chunks_exact(RECORD).enumerate() {
        let label = record[0];
        if label as usize >= CLASSES {
            return Err(Error::data(
                path,
                format!("record {i} has label {label}: expected 0..{CLASSES}"),
            ));
        }
        split.labels.push(label);
        split.images.extend_from_slice(&record[1..]);
    }
    Ok(())
}

/// Reads the listed batch files of `dir` into one split.
pub fn read_split(dir: &Path, files: &[&str]) -> Result<Split> {
    let mut split = Split::empty(PIXELS);
    for name in files {
        let path = dir.join(name);
        let bytes = super::idx::read_file(&path)?;
        parse_batch(&path, &bytes, &mut split)?;
    }
    Ok(split)
}
