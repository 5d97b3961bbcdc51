//! The `ffgpu` binary: bad input gets a clear message and a non-zero exit;
//! a tiny run prints its JSON summary, saves a model that `eval` reads.

use std::process::Command;

fn ffgpu(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ffgpu"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fails_with(args: &[&str], words: &[&str]) {
    let (ok, _, err) = ffgpu(args);
    assert!(!ok, "{args:?} should fail");
    for w in words {
        assert!(err.contains(w), "{args:?}: {w:?} not in {err:?}");
    }
}

#[test]
fn bad_flags_are_explained() {
    fails_with(&["train", "--lr", "-1"], &["--lr", "positive"]);
    fails_with(&["train", "--layers", ""], &["--layers", "empty"]);
    fails_with(
        &["train", "--layers", "500,x"],
        &["--layers", "whole number"],
    );
    fails_with(&["train", "--theta", "abc"], &["--theta"]);
    fails_with(&["train", "--dataset", "nope"], &["--dataset", "mnist"]);
    fails_with(&["train", "--objective", "bp"], &["--objective", "cff-lt"]);
    fails_with(&["train", "--batch", "0"], &["--batch"]);
    fails_with(
        &["train", "--predict-layers", "9", "--train-limit", "10"],
        &["--predict-layers", "layer 9"],
    );
    fails_with(
        &["eval", "--model", "/nonexistent/m.safetensors"],
        &["cannot read"],
    );
}

#[test]
fn tiny_run_saves_a_model_that_eval_reads() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.safetensors");
    let log = dir.path().join("log.jsonl");
    let (ok, out, err) = ffgpu(&[
        "train",
        "--backend",
        "cpu",
        "--layers",
        "32,32",
        "--epochs",
        "2",
        "--train-limit",
        "600",
        "--test-limit",
        "200",
        "--train-eval",
        "100",
        "--objective",
        "ff",
        "--json",
        "--save",
        model.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let last = out.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    let e = v["test_error"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&e));
    assert_eq!(v["per_layer_test_error"].as_array().unwrap().len(), 2);
    assert_eq!(v["epochs"], 2);
    assert!(v["train_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 2);

    let (ok, out, err) = ffgpu(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--backend",
        "cpu",
        "--test-limit",
        "200",
        "--json",
    ]);
    assert!(ok, "{err}");
    let v2: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(
        v2["test_error"], v["test_error"],
        "eval of the saved model agrees"
    );
}

#[test]
fn gpu_and_cpu_backends_give_the_same_test_error() {
    if ffgpu::gpu::context::adapters().is_empty() {
        assert!(
            !std::env::var("FFGPU_REQUIRE_GPU").is_ok_and(|v| v == "1"),
            "FFGPU_REQUIRE_GPU=1 but no GPU adapter exists"
        );
        eprintln!("SKIPPED: no GPU adapter");
        return;
    }
    let run = |backend: &str| -> serde_json::Value {
        let (ok, out, err) = ffgpu(&[
            "train",
            "--backend",
            backend,
            "--layers",
            "24,24",
            "--epochs",
            "2",
            "--train-limit",
            "400",
            "--test-limit",
            "150",
            "--train-eval",
            "0",
            "--batch",
            "50",
            "--lr",
            "0.003",
            "--json",
        ]);
        assert!(ok, "{backend}: {err}");
        serde_json::from_str(out.lines().last().unwrap()).unwrap()
    };
    let (cpu, gpu) = (run("cpu"), run("gpu"));
    assert!(gpu["backend"].as_str().unwrap().starts_with("gpu"));
    let (ec, eg) = (
        cpu["test_error"].as_f64().unwrap(),
        gpu["test_error"].as_f64().unwrap(),
    );
    // 16 steps in f32 with different summation orders: at most a couple of the 150 flip
    assert!((ec - eg).abs() <= 2.0 / 150.0 + 1e-9, "cpu {ec} gpu {eg}");
}
