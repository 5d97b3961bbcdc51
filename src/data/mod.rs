//! Data sets: u8 images with u8 labels, split into train and test.
//! Pixels stay u8 until a batch is embedded (the GPU keeps them packed too).

pub mod cifar;
pub mod idx;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One split: `len()` images of `pixels` bytes each, and their labels.
#[derive(Debug, Clone)]
pub struct Split {
    pub pixels: usize,
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Split {
    pub fn empty(pixels: usize) -> Self {
        Split {
            pixels,
            images: Vec::new(),
            labels: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * self.pixels..(i + 1) * self.pixels]
    }

    /// Keeps only the first `limit` samples (`--train-limit`, `--test-limit`).
    pub fn truncate(&mut self, limit: usize) {
        let n = limit.min(self.len());
        self.labels.truncate(n);
        self.images.truncate(n * self.pixels);
    }

    /// Builds a split from an IDX image file and an IDX label file (decompressed bytes).
    pub fn from_idx(
        images_path: &Path,
        images: &[u8],
        labels_path: &Path,
        labels: &[u8],
        classes: usize,
    ) -> Result<Split> {
        let images = idx::parse_images(images_path, images)?;
        let labels = idx::parse_labels(labels_path, labels, classes)?;
        if images.count != labels.len() {
            return Err(Error::data(
                labels_path,
                format!(
                    "{} labels but {} has {} images",
                    labels.len(),
                    images_path.display(),
                    images.count
                ),
            ));
        }
        Ok(Split {
            pixels: images.rows * images.cols,
            images: images.pixels,
            labels,
        })
    }
}

/// A labelled data set with a train and a test split.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub classes: usize,
    /// channels, rows, cols
    pub shape: [usize; 3],
    pub train: Split,
    pub test: Split,
}

impl Dataset {
    pub fn pixels(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn limit(&mut self, train: Option<usize>, test: Option<usize>) {
        if let Some(n) = train {
            self.train.truncate(n);
        }
        if let Some(n) = test {
            self.test.truncate(n);
        }
    }
}

/// Which data set `--dataset` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetSpec {
    Mnist,
    FashionMnist,
    Cifar10,
    Folder(PathBuf),
}

impl std::str::FromStr for DatasetSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "mnist" => Ok(DatasetSpec::Mnist),
            "fashion-mnist" | "fashion_mnist" | "fmnist" => Ok(DatasetSpec::FashionMnist),
            "cifar10" | "cifar-10" => Ok(DatasetSpec::Cifar10),
            other if Path::new(other).is_dir() => Ok(DatasetSpec::Folder(other.into())),
            other => Err(Error::Config(format!(
                "--dataset {other:?}: expected mnist, fashion-mnist, cifar10 or a folder holding IDX files"
            ))),
        }
    }
}

pub const IDX_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Finds `name` or `name.gz` in `dir`.
fn find_idx(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(format!("{name}.gz")), dir.join(name)]
        .into_iter()
        .find(|p| p.is_file())
}

/// Loads the four standard IDX files from a folder (plain or gzipped).
pub fn load_idx_folder(dir: &Path, name: &str, classes: usize) -> Result<Dataset> {
    let mut paths = Vec::new();
    for file in IDX_FILES {
        paths.push(find_idx(dir, file).ok_or_else(|| {
            Error::data(
                dir,
                format!(
                    "no {file} or {file}.gz here: an IDX data set folder holds {}",
                    IDX_FILES.join(", ")
                ),
            )
        })?);
    }
    let read = |p: &Path| idx::decompress(p, idx::read_file(p)?);
    let split = |i: usize, l: usize| -> Result<Split> {
        Split::from_idx(
            &paths[i],
            &read(&paths[i])?,
            &paths[l],
            &read(&paths[l])?,
            classes,
        )
    };
    let (train, test) = (split(0, 1)?, split(2, 3)?);
    dataset_from_idx_splits(name, dir, train, test, classes)
}

fn dataset_from_idx_splits(
    name: &str,
    origin: &Path,
    train: Split,
    test: Split,
    classes: usize,
) -> Result<Dataset> {
    if train.pixels != test.pixels {
        return Err(Error::data(
            origin,
            format!(
                "train images have {} pixels, test images {}",
                train.pixels, test.pixels
            ),
        ));
    }
    let side = (train.pixels as f64).sqrt() as usize;
    let shape = if side * side == train.pixels {
        [1, side, side]
    } else {
        [1, 1, train.pixels]
    };
    Ok(Dataset {
        name: name.into(),
        classes,
        shape,
        train,
        test,
    })
}

/// MNIST from gzipped IDX bytes held in memory (the embedded copy, or bytes a browser fetched).
pub fn mnist_from_bytes(files: [&[u8]; 4]) -> Result<Dataset> {
    let p: Vec<PathBuf> = IDX_FILES
        .iter()
        .map(|f| PathBuf::from(format!("mnist/{f}.gz")))
        .collect();
    let d = |i: usize| idx::decompress(&p[i], files[i].to_vec());
    let train = Split::from_idx(&p[0], &d(0)?, &p[1], &d(1)?, 10)?;
    let test = Split::from_idx(&p[2], &d(2)?, &p[3], &d(3)?, 10)?;
    dataset_from_idx_splits("mnist", Path::new("mnist"), train, test, 10)
}

/// The MNIST files committed under `data/mnist/`, built into the binary.
#[cfg(not(target_arch = "wasm32"))]
pub fn embedded_mnist() -> Result<Dataset> {
    mnist_from_bytes([
        include_bytes!("../../data/mnist/train-images-idx3-ubyte.gz"),
        include_bytes!("../../data/mnist/train-labels-idx1-ubyte.gz"),
        include_bytes!("../../data/mnist/t10k-images-idx3-ubyte.gz"),
        include_bytes!("../../data/mnist/t10k-labels-idx1-ubyte.gz"),
    ])
}

/// Where Fashion-MNIST is looked for, in order.
pub fn fashion_mnist_dirs(data_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = data_dir.into_iter().map(Path::to_path_buf).collect();
    dirs.push("data/fashion-mnist".into());
    dirs.push("/usr/share/datasets/fashion-mnist".into());
    dirs
}

/// Loads the data set `--dataset` names.
#[cfg(not(target_arch = "wasm32"))]
pub fn load(spec: &DatasetSpec, data_dir: Option<&Path>) -> Result<Dataset> {
    match spec {
        DatasetSpec::Mnist => match data_dir {
            Some(dir) => load_idx_folder(dir, "mnist", 10),
            None => embedded_mnist(),
        },
        DatasetSpec::FashionMnist => {
            let dirs = fashion_mnist_dirs(data_dir);
            match dirs.iter().find(|d| find_idx(d, IDX_FILES[0]).is_some()) {
                Some(dir) => load_idx_folder(dir, "fashion-mnist", 10),
                None => Err(Error::Config(format!(
                    "--dataset fashion-mnist: no Fashion-MNIST IDX files in {}. \
                     Install them with `apt-get install dataset-fashion-mnist` (Debian), \
                     or put the four files ({}.gz, ...) in data/fashion-mnist/ or a folder named by --data-dir",
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    IDX_FILES[0]
                ))),
            }
        }
        DatasetSpec::Cifar10 => {
            let dir = data_dir.ok_or_else(|| {
                Error::Config(
                    "--dataset cifar10 needs --data-dir: a folder with the CIFAR-10 binary batches \
                     (data_batch_1.bin .. data_batch_5.bin, test_batch.bin)"
                        .into(),
                )
            })?;
            Ok(Dataset {
                name: "cifar10".into(),
                classes: cifar::CLASSES,
                shape: [3, 32, 32],
                train: cifar::read_split(dir, &cifar::TRAIN_FILES)?,
                test: cifar::read_split(dir, &[cifar::TEST_FILE])?,
            })
        }
        DatasetSpec::Folder(dir) => {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "idx".into());
            load_idx_folder(dir, &name, 10)
        }
    }
}
