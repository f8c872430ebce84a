//! Regenerates the forge fixtures: two models of one architecture (other weights), their
//! verifiers (`contracts/generated/FixtureVerifier{A,B}.sol`) and a proof of each
//! (`test/fixtures/proof_{a,b}.json`). Run with `make fixtures`.

use std::path::Path;
use zkinfer::compile::write_json;
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions};

fn main() -> zkinfer::Result<()> {
    for (tag, seed) in [("a", 11u64), ("b", 12u64)] {
        let dir = Path::new("build/fixtures").join(tag);
        let model = dir.join("model.onnx");
        write::save(&write::mlp_model(&[4, 8, 2], seed), &model)?;
        let input = dir.join("input.json");
        write_json(&input, &write::random_input(4, seed + 100))?;
        let build = dir.join("build");
        pipeline::compile(&model, &input, &build, &CompileOptions::default())?;
        pipeline::setup(&build, None)?;
        let proof = pipeline::prove(&build, &input)?;
        pipeline::verify(&build, &proof)?;
        let name = format!("FixtureVerifier{}", tag.to_uppercase());
        let out = pipeline::solidity(&build, Path::new("contracts/generated"), &name)?;
        write_json(&Path::new("test/fixtures").join(format!("proof_{tag}.json")), &proof)?;
        println!("{name}: {} ({} proof bytes)", out.path.display(), proof.proof_bytes()?.len());
    }
    Ok(())
}
