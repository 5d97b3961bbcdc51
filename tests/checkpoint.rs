//! Checkpoints round-trip exactly, are written atomically, reject foreign
//! files, and a resumed run continues exactly where an uninterrupted one goes.

mod common;

use common::{random_dataset, tiny_net};
use ffgpu::backend::Backend;
use ffgpu::backend::cpu::CpuBackend;
use ffgpu::checkpoint::{self, Checkpoint, CheckpointMeta};
use ffgpu::config::{
    Activation, AdamConfig, Init, Negatives, NetConfig, Norm, Objective, Procedure, ThetaScaling,
    TrainConfig,
};
use ffgpu::model::ModelState;
use ffgpu::train::{Trainer, schedule};

fn cfg(epochs: usize) -> TrainConfig {
    TrainConfig {
        objective: Objective::Cff,
        procedure: Procedure::Network,
        theta: 20.0,
        theta_scaling: ThetaScaling::None,
        adam: AdamConfig::default(),
        batch: 8,
        epochs,
        seed: 5,
        negatives: Negatives::Random,
        init: Init::Kaiming,
    }
}

fn net() -> NetConfig {
    tiny_net(12, 4, &[8, 6], Activation::Relu, Norm::Rms)
}

fn train(state: &ModelState, cfg: TrainConfig, skip: usize) -> ModelState {
    let data = random_dataset(40, 12, 4, 1);
    let backend = CpuBackend::<f32>::new(&net(), state).unwrap();
    let mut t = Trainer::new(backend, cfg.clone(), &data).unwrap();
    for pass in schedule(&cfg, 2).iter().skip(skip) {
        t.run_pass(pass, &mut |_, _| {}).unwrap();
    }
    t.backend.state().unwrap()
}

fn checkpoint_of(state: ModelState, passes: usize) -> Checkpoint {
    Checkpoint {
        meta: CheckpointMeta {
            net: net(),
            train: cfg(passes),
            passes_done: passes,
            dataset: "random".into(),
        },
        state,
    }
}

#[test]
fn round_trip_is_exact() {
    let state = train(&ModelState::init(&net(), Init::Uniform, 1), cfg(1), 0);
    let ck = checkpoint_of(state, 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    checkpoint::save(&path, &ck).unwrap();
    assert_eq!(checkpoint::load(&path).unwrap(), ck);
    // only the checkpoint is left: the temporary file was renamed
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn resumed_training_matches_uninterrupted_training() {
    let init = ModelState::init(&net(), Init::Uniform, 1);
    let straight = train(&init, cfg(3), 0);
    let first = train(&init, cfg(1), 0);
    let bytes = checkpoint::to_bytes(&checkpoint_of(first, 1)).unwrap();
    let ck = checkpoint::from_bytes(std::path::Path::new("mem"), &bytes).unwrap();
    let resumed = train(&ck.state, cfg(3), ck.meta.passes_done);
    assert_eq!(resumed, straight);
}

#[test]
fn foreign_and_damaged_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("junk.safetensors");
    std::fs::write(&p, b"not a model").unwrap();
    let e = checkpoint::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("junk.safetensors") && e.contains("not a safetensors"),
        "{e}"
    );
    let missing = dir.path().join("missing.safetensors");
    let e = checkpoint::load(&missing).unwrap_err().to_string();
    assert!(
        e.contains("missing.safetensors") && e.contains("cannot read"),
        "{e}"
    );
    let ck = checkpoint_of(ModelState::init(&net(), Init::Uniform, 2), 0);
    let mut bytes = checkpoint::to_bytes(&ck).unwrap();
    bytes.truncate(bytes.len() - 10);
    let e = checkpoint::from_bytes(&p, &bytes).unwrap_err().to_string();
    assert!(e.contains("junk.safetensors"), "{e}");
}
