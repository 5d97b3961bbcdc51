//! Helpers shared by the integration tests: tiny synthetic data sets and networks.
#![allow(dead_code)]

use ffgpu::config::{Activation, LabelEmbed, NetConfig, Norm};
use ffgpu::data::{Dataset, Split};
use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};

/// `n` random images of `pixels` bytes with labels below `classes`.
pub fn random_split(n: usize, pixels: usize, classes: usize, seed: u64) -> Split {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Split {
        pixels,
        images: (0..n * pixels)
            .map(|_| rng.random_range(0..=255u8))
            .collect(),
        labels: (0..n).map(|_| rng.random_range(0..classes as u8)).collect(),
    }
}

pub fn random_dataset(n: usize, pixels: usize, classes: usize, seed: u64) -> Dataset {
    Dataset {
        name: "random".into(),
        classes,
        shape: [1, 1, pixels],
        train: random_split(n, pixels, classes, seed),
        test: random_split(n / 2 + 1, pixels, classes, seed + 1),
    }
}

pub fn tiny_net(
    pixels: usize,
    classes: usize,
    layers: &[usize],
    act: Activation,
    norm: Norm,
) -> NetConfig {
    NetConfig {
        pixels,
        classes,
        layers: layers.to_vec(),
        activation: act,
        label_embed: LabelEmbed::Concat,
        norm,
    }
}

/// Writes an IDX image file's bytes.
pub fn idx_images(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    for w in [2051u32, count, rows, cols] {
        v.extend(w.to_be_bytes());
    }
    v.extend(pixels);
    v
}

/// Writes an IDX label file's bytes.
pub fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    for w in [2049u32, labels.len() as u32] {
        v.extend(w.to_be_bytes());
    }
    v.extend(labels);
    v
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}
