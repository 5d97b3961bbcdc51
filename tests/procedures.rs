//! The training procedures, hard negatives and the evaluation arithmetic.

mod common;

use common::{random_dataset, tiny_net};
use ffgpu::backend::cpu::CpuBackend;
use ffgpu::backend::{Backend, SplitId};
use ffgpu::config::{
    Activation, AdamConfig, Init, Negatives, Norm, Objective, Procedure, ThetaScaling, TrainConfig,
};
use ffgpu::eval::{self, Entropy, EvalReport, EvalSums, GoodnessSums, layer_sets};
use ffgpu::model::ModelState;
use ffgpu::train::{Trainer, schedule};

fn cfg(procedure: Procedure, negatives: Negatives) -> TrainConfig {
    TrainConfig {
        objective: Objective::Ff,
        procedure,
        theta: 10.0,
        theta_scaling: ThetaScaling::None,
        adam: AdamConfig::default(),
        batch: 10,
        epochs: 2,
        seed: 1,
        negatives,
        init: Init::Kaiming,
    }
}

#[test]
fn schedules_follow_algorithms_1_and_2() {
    let net_passes = schedule(&cfg(Procedure::Network, Negatives::Random), 3);
    assert_eq!(net_passes.len(), 2);
    assert!(net_passes.iter().all(|p| p.layers == vec![0, 1, 2]));
    let layer_passes = schedule(&cfg(Procedure::Layer, Negatives::Random), 3);
    let order: Vec<Vec<usize>> = layer_passes.iter().map(|p| p.layers.clone()).collect();
    assert_eq!(
        order,
        vec![vec![0], vec![0], vec![1], vec![1], vec![2], vec![2]]
    );
}

#[test]
fn the_layer_procedure_trains_one_layer_at_a_time() {
    let data = random_dataset(40, 12, 10, 3);
    let net = tiny_net(12, 10, &[8, 8, 8], Activation::Relu, Norm::Rms);
    let init = ModelState::init(&net, Init::Kaiming, 1);
    let c = cfg(Procedure::Layer, Negatives::Random);
    let mut t = Trainer::new(
        CpuBackend::<f32>::new(&net, &init).unwrap(),
        c.clone(),
        &data,
    )
    .unwrap();
    let passes = schedule(&c, 3);
    for pass in &passes[..2] {
        t.run_pass(pass, &mut |_, _| {}).unwrap();
    }
    let after_layer_1 = t.backend.state().unwrap();
    assert_ne!(after_layer_1.layers[0], init.layers[0], "layer 1 trained");
    assert_eq!(after_layer_1.layers[1], init.layers[1], "layer 2 untouched");
    assert_eq!(after_layer_1.layers[2], init.layers[2], "layer 3 untouched");
    assert_eq!(
        after_layer_1.layers[0].adam.step, 8,
        "2 passes of 4 batches"
    );
    t.run_pass(&passes[2], &mut |_, _| {}).unwrap();
    let next = t.backend.state().unwrap();
    assert_eq!(next.layers[0], after_layer_1.layers[0], "layer 1 frozen");
    assert_ne!(next.layers[1], init.layers[1], "layer 2 trained");
}

#[test]
fn every_pass_is_a_fresh_shuffle_of_every_image() {
    let data = random_dataset(50, 12, 10, 3);
    let net = tiny_net(12, 10, &[8], Activation::Relu, Norm::Rms);
    let init = ModelState::init(&net, Init::Kaiming, 1);
    let c = cfg(Procedure::Network, Negatives::Random);
    let t = Trainer::new(CpuBackend::<f32>::new(&net, &init).unwrap(), c, &data).unwrap();
    let (_, b0) = t.batches(0);
    let (_, b1) = t.batches(1);
    assert_ne!(b0, b1);
    let mut all: Vec<u32> = b0.concat();
    all.sort();
    assert_eq!(
        all,
        (0..50).collect::<Vec<u32>>(),
        "each image once per pass"
    );
    assert_eq!(b0.len(), 5);
}

#[test]
fn random_negatives_are_uniform_over_the_wrong_labels() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(0);
    let labels: Vec<u32> = (0..20000).map(|i| i % 10).collect();
    let neg = ffgpu::train::random_wrong_labels(&mut rng, &labels, 10);
    let mut counts = [[0u32; 10]; 10];
    for (&y, &n) in labels.iter().zip(&neg) {
        assert_ne!(y, n, "a negative is never the true label");
        counts[y as usize][n as usize] += 1;
    }
    // 2000 per true label spread over 9 wrong ones: ~222 each
    for row in counts.iter() {
        for &c in row.iter().filter(|&&c| c > 0) {
            assert!((150..300).contains(&c), "{row:?}");
        }
        assert_eq!(row.iter().filter(|&&c| c > 0).count(), 9);
    }
}

#[test]
fn hard_negatives_are_the_most_plausible_wrong_labels() {
    let data = random_dataset(30, 12, 10, 4);
    let net = tiny_net(12, 10, &[8, 6], Activation::Relu, Norm::Rms);
    let init = ModelState::init(&net, Init::Kaiming, 2);
    let c = cfg(Procedure::Network, Negatives::Hard);
    let mut t = Trainer::new(CpuBackend::<f32>::new(&net, &init).unwrap(), c, &data).unwrap();
    let batch: Vec<u32> = (0..12).collect();
    let hard = t.hardest_wrong_labels(&batch).unwrap();
    let table = t.read_goodness_table(SplitId::Train, &batch).unwrap();
    for (r, (&i, &h)) in batch.iter().zip(&hard).enumerate() {
        let y = data.train.labels[i as usize] as usize;
        assert_ne!(h as usize, y);
        let score = |c: usize| table[r * 20 + 2 * c] + table[r * 20 + 2 * c + 1];
        for c in (0..10).filter(|&c| c != y) {
            assert!(
                score(h as usize) >= score(c),
                "sample {r}: {h} is not the hardest"
            );
        }
    }
}

#[test]
fn entropy_decomposes_into_across_and_within_layers() {
    let mut layers = vec![GoodnessSums::default(); 3];
    for (i, l) in layers.iter_mut().enumerate() {
        for k in 0..50 {
            l.add(((k * 7 + i * 13) % 11) as f64 * (i + 1) as f64);
        }
    }
    let e = Entropy::of(&layers);
    assert!((e.total - (e.across_layers + e.within_layers)).abs() < 1e-9);
    assert!(e.total > 0.0 && e.across_layers > 0.0 && e.within_layers > 0.0);
    // a direct evaluation of Eq. 9 over all (z = sample, layer) pairs
    let mut values = Vec::new();
    for (i, _) in layers.iter().enumerate() {
        for k in 0..50 {
            values.push(((k * 7 + i * 13) % 11) as f64 * (i + 1) as f64);
        }
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let direct = values
        .iter()
        .map(|&h| if h > 0.0 { h * (h / mean).ln() } else { 0.0 })
        .sum::<f64>()
        / values.len() as f64;
    assert!((e.total - direct).abs() < 1e-9, "{} vs {direct}", e.total);
    let mut flat = vec![GoodnessSums::default(); 2];
    for l in &mut flat {
        (0..5).for_each(|_| l.add(4.0));
    }
    let c = Entropy::of(&flat);
    assert!(c.total.abs() < 1e-12, "a constant has no entropy");
}

#[test]
fn errors_per_layer_set_follow_the_summed_goodness_vote() {
    // 2 samples, 3 classes, 2 layers; column c * 2 + i
    let table = [
        // sample 0 (label 1): layer 1 prefers class 1, layer 2 prefers class 2
        0.0, 0.0, 5.0, 1.0, 1.0, 9.0, //
        // sample 1 (label 0): both prefer 0
        3.0, 3.0, 1.0, 1.0, 2.0, 2.0,
    ];
    let sets = layer_sets(2);
    assert_eq!(sets, vec![0b01, 0b10, 0b11]);
    let s = EvalSums::from_table(&table, 2, 3, 2, &[1, 0], &sets);
    assert_eq!(s.errors, vec![0, 1, 1]); // {1} right, {2} wrong, {1,2}: 6 vs 10 -> wrong
    let r = EvalReport::from_sums(&s, &sets, 0b11);
    assert_eq!(r.per_layer_error, vec![0.0, 0.5]);
    assert_eq!(r.error, 0.5);
    assert_eq!(eval::set_name(0b101), "{1,3}");
    let round = EvalSums::from_flat(&s.to_flat(), sets.len(), 2);
    assert_eq!(round.errors, s.errors);
    assert_eq!(round.samples, 2);
}

#[test]
fn theta_scales_with_the_layers_a_logit_sums() {
    let mut c = cfg(Procedure::Network, Negatives::Random);
    c.theta_scaling = ThetaScaling::Layers;
    c.objective = Objective::Cff;
    assert_eq!(c.theta_for(0, 3), 30.0);
    c.objective = Objective::CffLt;
    assert_eq!(
        (0..3).map(|i| c.theta_for(i, 3)).collect::<Vec<_>>(),
        vec![10.0, 20.0, 30.0]
    );
    c.objective = Objective::Ff;
    assert_eq!(c.theta_for(2, 3), 10.0);
    c.theta_scaling = ThetaScaling::None;
    c.objective = Objective::Cff;
    assert_eq!(c.theta_for(1, 3), 10.0);
}
