//! The committed fixture verifiers (`contracts/generated/Fixture*.sol`) are what the forge tests
//! run against, so the generator must still produce them byte for byte: any change to the
//! emitted contract, however harmless it looks, shows up here and must be regenerated on purpose
//! (`make fixtures`). Regenerating needs no proof: the dev SRS is seeded (`prove::DEV_SRS_SEED`)
//! and keygen is deterministic, so compile + setup give the same verifying key, and the same
//! text, that `examples/fixtures.rs` committed.

mod common;

use std::path::Path;
use zkinfer::circuit::privacy::{Privacy, Visibility, WeightsMode};
use zkinfer::compile::write_json;
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions};

#[path = "../examples/common/forecaster.rs"]
#[allow(dead_code)]
mod forecaster;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Options as `examples/fixtures.rs` sets them for each family.
fn options(weights: Option<WeightsMode>) -> CompileOptions {
    match weights {
        None => {
            let privacy = Privacy { input: Visibility::Packed, output: Visibility::Packed, ..Default::default() };
            CompileOptions { privacy, ..Default::default() }
        }
        Some(w) => {
            // The private-weights pair keeps one public value per element (see fixtures.rs).
            let clear = Privacy { weights: w, input: Visibility::Public, output: Visibility::Public, salted: false };
            let privacy = if w == WeightsMode::Private { clear } else { Privacy { weights: w, ..Default::default() } };
            CompileOptions { lanes: Some(4), scale_bits: Some(10), privacy, ..Default::default() }
        }
    }
}

/// Generates the verifier for a build directory already set up, the way `pipeline::solidity`
/// does but without solc: this test is about the text, not the bytecode.
fn render(build: &Path, name: &str) -> String {
    let (compiled, params, keys) = pipeline::load(build).unwrap();
    zkinfer::evm::verifier_solidity(name, &compiled.settings, keys.vk(), &params, zkinfer::evm::key::Placement::Inline)
        .unwrap()
        .source
}

fn mlp_verifier(tag: &str, seed: u64, opts: CompileOptions, name: &str) -> String {
    let dir = common::scratch(&format!("golden-{tag}"));
    let model = dir.join("model.onnx");
    write::save(&write::mlp_model(&[4, 8, 2], seed), &model).unwrap();
    let input = dir.join("input.json");
    write_json(&input, &write::random_input(4, seed + 100)).unwrap();
    let build = dir.join("build");
    pipeline::compile(&model, &input, &build, &opts).unwrap();
    pipeline::setup(&build, None).unwrap();
    render(&build, name)
}

fn assert_golden(name: &str, generated: &str) {
    let path = Path::new(ROOT).join(format!("contracts/generated/{name}.sol"));
    let committed = std::fs::read_to_string(&path).unwrap();
    if committed == generated {
        return;
    }
    let (mut got, mut want) = (generated.lines(), committed.lines());
    let mut line = 1;
    loop {
        match (got.next(), want.next()) {
            (Some(g), Some(w)) if g == w => line += 1,
            (g, w) => panic!(
                "{name}: generated verifier differs from {} at line {line}\n  generated: {}\n  committed: {}\n\
                 run `make fixtures` if the change is intended",
                path.display(),
                g.unwrap_or("<end of file>"),
                w.unwrap_or("<end of file>"),
            ),
        }
    }
}

#[test]
fn fixture_verifier_a() {
    assert_golden("FixtureVerifierA", &mlp_verifier("a", 11, options(None), "FixtureVerifierA"));
}

#[test]
fn fixture_verifier_b() {
    assert_golden("FixtureVerifierB", &mlp_verifier("b", 12, options(None), "FixtureVerifierB"));
}

#[test]
fn fixture_hashed_a() {
    let opts = options(Some(WeightsMode::Hashed));
    assert_golden("FixtureHashedA", &mlp_verifier("hashed_a", 11, opts, "FixtureHashedA"));
}

#[test]
fn fixture_hashed_b() {
    let opts = options(Some(WeightsMode::Hashed));
    assert_golden("FixtureHashedB", &mlp_verifier("hashed_b", 12, opts, "FixtureHashedB"));
}

#[test]
fn fixture_private_a() {
    let opts = options(Some(WeightsMode::Private));
    assert_golden("FixturePrivateA", &mlp_verifier("private_a", 11, opts, "FixturePrivateA"));
}

#[test]
fn fixture_forecaster() {
    let dir = common::scratch("golden-forecast");
    let (answers, coeffs, intercept) = forecaster::market(1);
    forecaster::build(&dir, &coeffs, intercept, &answers[..forecaster::WINDOW]).unwrap();
    let build = dir.join("build");
    pipeline::setup(&build, None).unwrap();
    assert_golden("FixtureForecaster", &render(&build, "FixtureForecaster"));
}
