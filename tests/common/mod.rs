//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod verifiers;

use std::path::{Path, PathBuf};

/// `../shared/corpus`, or `None` (with a message) where CI's sibling checkout is absent.
pub fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.join("index.json").exists() {
        Some(p)
    } else {
        // In CI a missing corpus is a failure: the conformance tests would pass by skipping.
        assert!(std::env::var_os("CI").is_none(), "../shared/corpus not found: CI must run the conformance tests");
        eprintln!("skipping: ../shared/corpus not found (clone the project with ../shared beside it to run the conformance tests)");
        None
    }
}

pub fn scratch(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// Writes a seeded example MLP and an input for it into a fresh scratch dir, compiles it into
/// `dir/b` and (if `setup`) generates keys. Returns (dir, model, input, build).
pub fn example_build(name: &str, sizes: &[usize], setup: bool) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    use zkinfer::{compile::write_json, onnx::write, pipeline};
    let dir = scratch(name);
    let model = dir.join("m.onnx");
    write::save(&write::mlp_model(sizes, 1), &model).unwrap();
    let input = dir.join("in.json");
    write_json(&input, &write::random_input(sizes[0], 1)).unwrap();
    let build = dir.join("b");
    pipeline::compile(&model, &input, &build, &pipeline::CompileOptions::default()).unwrap();
    if setup {
        pipeline::setup(&build, None).unwrap();
    }
    (dir, model, input, build)
}

/// The 4→8→2 MLP with `seed`'s weights, compiled with hashed weights at a pinned scale and lane
/// width (what a model family shares, so every seed gets the same verifying key), set up and
/// proven once. Returns (build, input, proof).
pub fn hashed_build(name: &str, seed: u64) -> (PathBuf, PathBuf, zkinfer::prove::ProofFile) {
    use zkinfer::circuit::privacy::{Privacy, WeightsMode};
    use zkinfer::{compile::write_json, onnx::write, pipeline};
    let dir = scratch(name);
    let model = dir.join("m.onnx");
    write::save(&write::mlp_model(&[4, 8, 2], seed), &model).unwrap();
    let input = dir.join("in.json");
    write_json(&input, &write::random_input(4, 7)).unwrap();
    let build = dir.join("b");
    let privacy = Privacy { weights: WeightsMode::Hashed, ..Default::default() };
    let opts = pipeline::CompileOptions { lanes: Some(4), scale_bits: Some(10), privacy, ..Default::default() };
    pipeline::compile(&model, &input, &build, &opts).unwrap();
    pipeline::setup(&build, None).unwrap();
    let proof = pipeline::prove(&build, &input).unwrap();
    (build, input, proof)
}
