//! Checkpoints as safetensors: `layers.{i}.weight` `[out, in]`,
//! `layers.{i}.bias`, Adam's `layers.{i}.adam.{m,v}_{weight,bias}` and
//! `layers.{i}.adam.step` (one u32); the network and training configuration,
//! the passes done and the ffgpu version in the metadata. Written to a
//! temporary file and renamed, so a crash never leaves half a model.

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};

use crate::config::{NetConfig, TrainConfig};
use crate::error::{Error, Result};
use crate::model::{AdamMoments, LayerState, ModelState};

pub const FORMAT: &str = "ffgpu-1";

/// Everything a checkpoint holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub meta: CheckpointMeta,
    pub state: ModelState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    pub net: NetConfig,
    pub train: TrainConfig,
    pub passes_done: usize,
    pub dataset: String,
}

fn f32_bytes(v: &[f32]) -> &[u8] {
    bytemuck::cast_slice(v)
}

/// Serialises a checkpoint to safetensors bytes.
pub fn to_bytes(ck: &Checkpoint) -> Result<Vec<u8>> {
    let mut tensors: Vec<(String, TensorView<'_>)> = Vec::new();
    let steps: Vec<[u8; 4]> = ck
        .state
        .layers
        .iter()
        .map(|l| l.adam.step.to_le_bytes())
        .collect();
    fn view(shape: Vec<usize>, data: &[f32]) -> TensorView<'_> {
        TensorView::new(Dtype::F32, shape, f32_bytes(data)).expect("shape matches data")
    }
    for (i, (l, step)) in ck.state.layers.iter().zip(&steps).enumerate() {
        let w = vec![l.outputs, l.inputs];
        let b = vec![l.outputs];
        tensors.push((format!("layers.{i}.weight"), view(w.clone(), &l.weight)));
        tensors.push((format!("layers.{i}.bias"), view(b.clone(), &l.bias)));
        tensors.push((
            format!("layers.{i}.adam.m_weight"),
            view(w.clone(), &l.adam.m_weight),
        ));
        tensors.push((
            format!("layers.{i}.adam.v_weight"),
            view(w, &l.adam.v_weight),
        ));
        tensors.push((
            format!("layers.{i}.adam.m_bias"),
            view(b.clone(), &l.adam.m_bias),
        ));
        tensors.push((format!("layers.{i}.adam.v_bias"), view(b, &l.adam.v_bias)));
        tensors.push((
            format!("layers.{i}.adam.step"),
            TensorView::new(Dtype::U32, vec![1], step).expect("one u32"),
        ));
    }
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), FORMAT.to_string());
    meta.insert(
        "ffgpu_version".to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    );
    meta.insert(
        "config".to_string(),
        serde_json::to_string(&ck.meta).expect("config serialises"),
    );
    safetensors::serialize(tensors, Some(meta))
        .map_err(|e| Error::Config(format!("cannot serialise checkpoint: {e}")))
}

/// Parses safetensors bytes written by `to_bytes`; `path` names them in errors.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Checkpoint> {
    let bad = |p: String| Error::checkpoint(path, p);
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let meta = header
        .metadata()
        .as_ref()
        .ok_or_else(|| bad("no metadata: not an ffgpu checkpoint".into()))?;
    match meta.get("format") {
        Some(f) if f == FORMAT => {}
        other => {
            return Err(bad(format!(
                "format {other:?}, expected {FORMAT:?} (written by ffgpu train --save)"
            )));
        }
    }
    let config = meta
        .get("config")
        .ok_or_else(|| bad("metadata has no \"config\"".into()))?;
    let meta: CheckpointMeta =
        serde_json::from_str(config).map_err(|e| bad(format!("config metadata: {e}")))?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| bad(format!("tensors: {e}")))?;
    let get = |name: String, shape: &[usize]| -> Result<Vec<f32>> {
        let t = st
            .tensor(&name)
            .map_err(|_| bad(format!("missing tensor {name}")))?;
        if t.dtype() != Dtype::F32 || t.shape() != shape {
            return Err(bad(format!(
                "{name} is {:?} {:?}, expected F32 {shape:?}",
                t.dtype(),
                t.shape()
            )));
        }
        Ok(t.data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    };
    let mut layers = Vec::new();
    for i in 0..meta.net.num_layers() {
        let (inputs, outputs) = meta.net.layer_shape(i);
        let (w, b) = ([outputs, inputs], [outputs]);
        let step_name = format!("layers.{i}.adam.step");
        let step = st
            .tensor(&step_name)
            .ok()
            .filter(|t| t.dtype() == Dtype::U32 && t.data().len() == 4)
            .map(|t| u32::from_le_bytes(t.data().try_into().expect("4 bytes")))
            .ok_or_else(|| bad(format!("missing or malformed {step_name}")))?;
        layers.push(LayerState {
            inputs,
            outputs,
            weight: get(format!("layers.{i}.weight"), &w)?,
            bias: get(format!("layers.{i}.bias"), &b)?,
            adam: AdamMoments {
                m_weight: get(format!("layers.{i}.adam.m_weight"), &w)?,
                v_weight: get(format!("layers.{i}.adam.v_weight"), &w)?,
                m_bias: get(format!("layers.{i}.adam.m_bias"), &b)?,
                v_bias: get(format!("layers.{i}.adam.v_bias"), &b)?,
                step,
            },
        });
    }
    Ok(Checkpoint {
        meta,
        state: ModelState { layers },
    })
}

/// Writes a checkpoint atomically: a temporary file beside `path`, then a rename.
#[cfg(not(target_arch = "wasm32"))]
pub fn save(path: &Path, ck: &Checkpoint) -> Result<()> {
    let bytes = to_bytes(ck)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Error::checkpoint(path, "not a file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let io = |e: std::io::Error| Error::checkpoint(path, format!("cannot write: {e}"));
    std::fs::write(&tmp, &bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

#[cfg(not(target_arch = "wasm32"))]
pub fn load(path: &Path) -> Result<Checkpoint> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::checkpoint(path, format!("cannot read: {e}")))?;
    from_bytes(path, &bytes)
}
