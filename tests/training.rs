//! A short run on a few thousand MNIST images (the committed copy) learns:
//! test error far below chance (90%) for FF and CFF, on the CPU backend.

use ffgpu::backend::SplitId;
use ffgpu::backend::cpu::CpuBackend;
use ffgpu::config::{
    Activation, AdamConfig, Init, LabelEmbed, Negatives, NetConfig, Norm, Objective, Procedure,
    ThetaScaling, TrainConfig,
};
use ffgpu::eval::layer_sets;
use ffgpu::model::ModelState;
use ffgpu::train::{Trainer, schedule};

fn short_run(objective: Objective, theta: f32) -> f64 {
    let mut data = ffgpu::data::embedded_mnist().unwrap();
    data.limit(Some(3000), Some(1000));
    let net = NetConfig {
        pixels: 784,
        classes: 10,
        layers: vec![200, 200],
        activation: Activation::Relu,
        label_embed: LabelEmbed::Concat,
        norm: Norm::Rms,
    };
    let cfg = TrainConfig {
        objective,
        procedure: Procedure::Network,
        theta,
        theta_scaling: ThetaScaling::None,
        adam: AdamConfig {
            lr: 3e-3,
            ..AdamConfig::default()
        },
        batch: 100,
        epochs: 5,
        seed: 0,
        negatives: Negatives::Random,
        init: Init::Kaiming,
    };
    let state = ModelState::init(&net, cfg.init, cfg.seed);
    let backend = CpuBackend::<f32>::new(&net, &state).unwrap();
    let mut t = Trainer::new(backend, cfg.clone(), &data).unwrap();
    for pass in schedule(&cfg, 2) {
        t.run_pass(&pass, &mut |_, _| {}).unwrap();
    }
    let sets = layer_sets(2);
    t.evaluate(SplitId::Test, None, &sets, 0b11).unwrap().error
}

#[test]
fn ff_learns_mnist_quickly() {
    let e = short_run(Objective::Ff, 200.0);
    assert!(e < 0.5, "FF test error {e} after 5 short epochs");
}

#[test]
fn cff_learns_mnist_quickly() {
    let e = short_run(Objective::Cff, 400.0);
    assert!(e < 0.5, "CFF test error {e} after 5 short epochs");
}
