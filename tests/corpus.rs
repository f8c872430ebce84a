//! The issue-2 models from `../shared/corpus`, end to end in Rust: compile, setup, prove, verify,
//! outputs within 0.05·max(1, max|ref|) of the float reference, and every generated contract
//! within EIP-170.

mod common;

use zkinfer::conformance;
use zkinfer::pipeline::{self, CompileOptions};

const MODELS: [&str; 8] =
    ["1l_mlp", "1l_relu", "2l_relu_fc", "1l_linear", "linear_regression", "1l_flatten", "1l_reshape", "accuracy"];

fn run(name: &str) {
    let Some(corpus) = common::corpus() else { return };
    let dir = corpus.join(name);
    let build = common::scratch(&format!("corpus-{name}"));
    let c = pipeline::compile(&dir.join("network.onnx"), &dir.join("input.json"), &build, &CompileOptions::default())
        .unwrap_or_else(|e| panic!("{name}: compile: {e}"));
    pipeline::setup(&build, None).unwrap_or_else(|e| panic!("{name}: setup: {e}"));
    let proof = pipeline::prove(&build, &dir.join("input.json")).unwrap_or_else(|e| panic!("{name}: prove: {e}"));
    pipeline::verify(&build, &proof).unwrap_or_else(|e| panic!("{name}: verify: {e}"));
    let sol = pipeline::solidity(&build, &build.join("sol"), "ZkinferVerifier")
        .unwrap_or_else(|e| panic!("{name}: solidity: {e}"));
    for c in &sol.contracts {
        assert!(c.runtime_size <= zkinfer::evm::EIP170_LIMIT, "{name}: {} is {} bytes", c.name, c.runtime_size);
    }
    let expected = conformance::expected(&dir).unwrap();
    let (abs, rel) =
        conformance::compare(&proof.outputs, &expected).unwrap_or_else(|| panic!("{name}: output shapes differ"));
    assert!(rel <= conformance::TOLERANCE, "{name}: out of tolerance: max abs error {abs}, relative {rel}");
    eprintln!(
        "{name}: k={} rows={} prove={:.2}s proof={}B max_rel_err={rel:.4}",
        c.settings.k,
        c.settings.rows,
        proof.prove_seconds,
        proof.proof_bytes().unwrap().len()
    );
}

#[test]
fn corpus_1l_mlp() {
    run(MODELS[0]);
}
#[test]
fn corpus_1l_relu() {
    run(MODELS[1]);
}
#[test]
fn corpus_2l_relu_fc() {
    run(MODELS[2]);
}
#[test]
fn corpus_1l_linear() {
    run(MODELS[3]);
}
#[test]
fn corpus_linear_regression() {
    run(MODELS[4]);
}
#[test]
fn corpus_1l_flatten() {
    run(MODELS[5]);
}
#[test]
fn corpus_1l_reshape() {
    run(MODELS[6]);
}
#[test]
fn corpus_accuracy() {
    run(MODELS[7]);
}
