//! IDX and CIFAR-10 readers: valid files load, every malformed one gets an
//! error naming the file and the problem.

mod common;

use std::path::Path;

use common::{gzip, idx_images, idx_labels};
use ffgpu::data::{self, DatasetSpec, cifar, idx};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A valid 4-file IDX folder with `n` 2x3 images.
fn idx_folder(dir: &Path, n: usize, gz: bool) {
    let pixels: Vec<u8> = (0..n * 6).map(|i| i as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let enc = |b: Vec<u8>| if gz { gzip(&b) } else { b };
    let ext = if gz { ".gz" } else { "" };
    for (name, bytes) in [
        (
            "train-images-idx3-ubyte",
            idx_images(n as u32, 2, 3, &pixels),
        ),
        ("train-labels-idx1-ubyte", idx_labels(&labels)),
        (
            "t10k-images-idx3-ubyte",
            idx_images(n as u32, 2, 3, &pixels),
        ),
        ("t10k-labels-idx1-ubyte", idx_labels(&labels)),
    ] {
        write(dir, &format!("{name}{ext}"), &enc(bytes));
    }
}

fn err_of<T: std::fmt::Debug>(r: ffgpu::Result<T>) -> String {
    r.expect_err("should fail").to_string()
}

#[test]
fn valid_folders_load_plain_and_gzipped() {
    for gz in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        idx_folder(dir.path(), 7, gz);
        let d = data::load_idx_folder(dir.path(), "tiny", 10).unwrap();
        assert_eq!(d.train.len(), 7);
        assert_eq!(d.pixels(), 6);
        assert_eq!(d.train.image(1), &[6, 7, 8, 9, 10, 11]);
        assert_eq!(d.test.labels[3], 3);
        // --dataset <folder> resolves to the same thing
        let spec: DatasetSpec = dir.path().to_str().unwrap().parse().unwrap();
        assert_eq!(data::load(&spec, None).unwrap().train.len(), 7);
    }
}

#[test]
fn embedded_mnist_matches_its_published_statistics() {
    let d = data::embedded_mnist().unwrap();
    assert_eq!(
        (d.train.len(), d.test.len(), d.pixels()),
        (60000, 10000, 784)
    );
    let mut counts = [0usize; 10];
    d.train.labels.iter().for_each(|&l| counts[l as usize] += 1);
    assert_eq!(
        counts,
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    let mean =
        d.train.images.iter().map(|&p| p as f64).sum::<f64>() / d.train.images.len() as f64 / 255.0;
    assert!((mean - 0.1307).abs() < 1e-3, "pixel mean {mean}");
}

#[test]
fn wrong_magic_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "x-images", &idx_labels(&[1, 2]));
    let e = err_of(idx::read_images(&p));
    assert!(
        e.contains("x-images") && e.contains("bad magic number 2049"),
        "{e}"
    );
    let p = write(dir.path(), "x-labels", &idx_images(1, 1, 1, &[0]));
    let e = err_of(idx::read_labels(&p, 10));
    assert!(e.contains("bad magic number 2051"), "{e}");
}

#[test]
fn truncated_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = idx_images(3, 2, 2, &[0; 12]);
    bytes.truncate(bytes.len() - 5);
    let p = write(dir.path(), "short-images", &bytes);
    let e = err_of(idx::read_images(&p));
    assert!(e.contains("short-images") && e.contains("truncated"), "{e}");
    let p = write(dir.path(), "short-header", &[0, 0, 8, 3, 0, 0]);
    assert!(err_of(idx::read_images(&p)).contains("truncated header"));
    let mut long = idx_labels(&[1, 2]);
    long.push(0);
    let p = write(dir.path(), "long-labels", &long);
    assert!(err_of(idx::read_labels(&p, 10)).contains("beyond"));
}

#[test]
fn empty_and_non_gzip_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "empty-images", &[]);
    assert!(err_of(idx::read_images(&p)).contains("empty"));
    let p = write(dir.path(), "plain.gz", &idx_labels(&[1]));
    let e = err_of(idx::read_labels(&p, 10));
    assert!(e.contains("plain.gz") && e.contains("not gzip"), "{e}");
    let mut gz = gzip(&idx_labels(&[1, 2, 3]));
    gz.truncate(gz.len() / 2);
    let p = write(dir.path(), "cut.gz", &gz);
    assert!(err_of(idx::read_labels(&p, 10)).contains("corrupt or truncated"));
    let p = write(dir.path(), "zero-images", &idx_images(0, 28, 28, &[]));
    assert!(err_of(idx::read_images(&p)).contains("empty data set"));
}

#[test]
fn out_of_range_label_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad-labels", &idx_labels(&[1, 2, 10]));
    let e = err_of(idx::read_labels(&p, 10));
    assert!(
        e.contains("bad-labels") && e.contains("label 10 at index 2"),
        "{e}"
    );
}

#[test]
fn count_mismatch_is_named() {
    let dir = tempfile::tempdir().unwrap();
    idx_folder(dir.path(), 4, false);
    write(
        dir.path(),
        "t10k-labels-idx1-ubyte",
        &idx_labels(&[1, 2, 3]),
    );
    let e = err_of(data::load_idx_folder(dir.path(), "x", 10));
    assert!(
        e.contains("t10k-labels-idx1-ubyte") && e.contains("3 labels but"),
        "{e}"
    );
}

#[test]
fn missing_files_and_unknown_datasets_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_of(data::load_idx_folder(dir.path(), "x", 10));
    assert!(e.contains("train-images-idx3-ubyte"), "{e}");
    let e = err_of("nonsense".parse::<DatasetSpec>());
    assert!(
        e.contains("--dataset") && e.contains("fashion-mnist"),
        "{e}"
    );
    let e = err_of(data::load(&DatasetSpec::Cifar10, None));
    assert!(e.contains("--data-dir"), "{e}");
    let e = err_of(data::load(&DatasetSpec::FashionMnist, Some(dir.path())));
    assert!(e.contains("dataset-fashion-mnist"), "{e}");
}

fn cifar_record(label: u8, fill: u8) -> Vec<u8> {
    let mut r = vec![label];
    r.extend(std::iter::repeat_n(fill, cifar::PIXELS));
    r
}

#[test]
fn cifar_batches_load_and_reject_bad_records() {
    let dir = tempfile::tempdir().unwrap();
    let good: Vec<u8> = [cifar_record(3, 7), cifar_record(9, 200)].concat();
    for name in cifar::TRAIN_FILES.iter().chain([&cifar::TEST_FILE]) {
        write(dir.path(), name, &good);
    }
    let d = data::load(&DatasetSpec::Cifar10, Some(dir.path())).unwrap();
    assert_eq!((d.train.len(), d.test.len(), d.pixels()), (10, 2, 3072));
    assert_eq!(d.test.labels, vec![3, 9]);
    assert_eq!(d.test.image(1)[3071], 200);

    let p = write(dir.path(), "test_batch.bin", &good[..good.len() - 1]);
    let e = err_of(data::load(&DatasetSpec::Cifar10, Some(dir.path())));
    assert!(
        e.contains(&p.display().to_string()) && e.contains("whole number"),
        "{e}"
    );
    write(dir.path(), "test_batch.bin", &cifar_record(10, 0));
    let e = err_of(data::load(&DatasetSpec::Cifar10, Some(dir.path())));
    assert!(e.contains("label 10"), "{e}");
}
