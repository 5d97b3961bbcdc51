//! IDX files (the MNIST format): a big-endian header, then raw u8 data.
//! `2051` = images (count, rows, cols), `2049` = labels (count).
//! Files may be gzipped; a name ending in `.gz` must be.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

const IMAGES_MAGIC: u32 = 2051;
const LABELS_MAGIC: u32 = 2049;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Images from one IDX file: `count` images of `rows * cols` u8 pixels, row-major.
#[derive(Debug, Clone)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

/// Decompresses `bytes` if they are gzip (required when `path` ends in `.gz`).
pub fn decompress(path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if bytes.is_empty() {
        return Err(Error::data(path, "the file is empty"));
    }
    let named_gz = path.extension().is_some_and(|e| e == "gz");
    let is_gz = bytes.starts_with(&GZIP_MAGIC);
    if named_gz && !is_gz {
        return Err(Error::data(
            path,
            "named .gz but is not gzip data (no 1f 8b header)",
        ));
    }
    if !is_gz {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| Error::data(path, format!("gzip data is corrupt or truncated: {e}")))?;
    if out.is_empty() {
        return Err(Error::data(path, "the file decompresses to nothing"));
    }
    Ok(out)
}

fn header(path: &Path, bytes: &[u8], words: usize) -> Result<Vec<usize>> {
    if bytes.len() < 4 * words {
        return Err(Error::data(
            path,
            format!(
                "truncated header: {} bytes, an IDX header here needs {}",
                bytes.len(),
                4 * words
            ),
        ));
    }
    Ok(bytes[..4 * words]
        .chunks_exact(4)
        .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]) as usize)
        .collect())
}

fn check_magic(path: &Path, bytes: &[u8], want: u32, what: &str) -> Result<()> {
    let got = header(path, bytes, 1)?[0] as u32;
    if got != want {
        return Err(Error::data(
            path,
            format!("bad magic number {got}: an IDX {what} file starts with {want}"),
        ));
    }
    Ok(())
}

fn check_length(path: &Path, bytes: &[u8], header_len: usize, body: usize) -> Result<()> {
    let have = bytes.len() - header_len;
    if have < body {
        return Err(Error::data(
            path,
            format!("truncated: the header promises {body} data bytes, the file has {have}"),
        ));
    }
    if have > body {
        return Err(Error::data(
            path,
            format!(
                "{} bytes beyond the {body} data bytes the header promises",
                have - body
            ),
        ));
    }
    Ok(())
}

/// Parses an IDX image file's (decompressed) bytes.
pub fn parse_images(path: &Path, bytes: &[u8]) -> Result<IdxImages> {
    check_magic(path, bytes, IMAGES_MAGIC, "images")?;
    let h = header(path, bytes, 4)?;
    let (count, rows, cols) = (h[1], h[2], h[3]);
    if count == 0 || rows == 0 || cols == 0 {
        return Err(Error::data(
            path,
            format!("empty data set: {count} images of {rows}x{cols}"),
        ));
    }
    check_length(path, bytes, 16, count * rows * cols)?;
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: bytes[16..].to_vec(),
    })
}

/// Parses an IDX label file's (decompressed) bytes; every label must be below `classes`.
pub fn parse_labels(path: &Path, bytes: &[u8], classes: usize) -> Result<Vec<u8>> {
    check_magic(path, bytes, LABELS_MAGIC, "labels")?;
    let count = header(path, bytes, 2)?[1];
    if count == 0 {
        return Err(Error::data(path, "empty data set: 0 labels"));
    }
    check_length(path, bytes, 8, count)?;
    let labels = bytes[8..].to_vec();
    if let Some((i, &bad)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| l as usize >= classes)
    {
        return Err(Error::data(
            path,
            format!("label {bad} at index {i} is out of range: expected 0..{classes}"),
        ));
    }
    Ok(labels)
}

/// Reads a file whole, naming it in the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::data(path, format!("cannot read: {e}")))
}

/// Reads and parses an image file from disk (plain or gzipped).
pub fn read_images(path: &Path) -> Result<IdxImages> {
    let bytes = decompress(path, read_file(path)?)?;
    parse_images(path, &bytes)
}

/// Reads and parses a label file from disk (plain or gzipped).
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<u8>> {
    let bytes = decompress(path, read_file(path)?)?;
    parse_labels(path, &bytes, classes)
}
