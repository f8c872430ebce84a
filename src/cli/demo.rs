//! `zkinfer demo` and `zkinfer example`: the example MLP, and the whole pipeline over it
//! against an Anvil the demo starts.

use crate::output::{self, print_rows};
use std::path::{Path, PathBuf};
use std::time::Instant;
use zkinfer::chain::build::DeployOptions;
use zkinfer::chain::{self, Client, ClientConfig};
use zkinfer::compile::write_json;
use zkinfer::pipeline::{self, CompileOptions};
use zkinfer::Result;

pub(crate) fn write_example(out: &Path, sizes: &[usize], seed: u64) -> Result<(PathBuf, PathBuf)> {
    use zkinfer::onnx::write;
    let model = out.join("model.onnx");
    write::save(&write::mlp_model(sizes, seed), &model)?;
    let input = out.join("input.json");
    write_json(&input, &write::random_input(sizes[0], seed + 100))?;
    Ok((model, input))
}

/// compile → setup → prove → verify → solidity → anvil → deploy → submit → read back.
pub(crate) async fn demo(out: &Path, json: bool) -> Result<()> {
    let t = Instant::now();
    let step = |s: &str| {
        if !output::quiet() {
            eprintln!("[{:6.2}s] {s}", t.elapsed().as_secs_f64())
        }
    };
    // Anvil first: without it the demo cannot finish, so it stops before writing anything.
    let anvil = chain::spawn_anvil()?;
    let (model, input) = write_example(out, &[8, 16, 16, 2], 1)?;
    step(&format!("wrote example MLP 8→16→16→2 to {}", model.display()));
    let build = out.join("build");
    let c = pipeline::compile(&model, &input, &build, &CompileOptions::default())?;
    step(&format!("compiled: k = {}, {} rows, scale 2^{}", c.settings.k, c.settings.rows, c.settings.scale_bits));
    let (c, _, _, _) = pipeline::setup(&build, None)?;
    step(&format!("setup done (INSECURE dev SRS: for demos only); MODEL_HASH {}", c.settings.model_hash));
    let proof = pipeline::prove(&build, &input)?;
    write_json(&build.join("proof.json"), &proof)?;
    step(&format!("proved in {:.2}s ({} bytes)", proof.prove_seconds, proof.proof_bytes()?.len()));
    pipeline::verify(&build, &proof)?;
    step("verified in Rust");
    step(&format!("anvil at {}", anvil.endpoint()));
    let (d, sol) =
        zkinfer::pipeline::deploy(&build, &ClientConfig::new(&anvil.endpoint()), &DeployOptions::plain()).await?;
    let b = zkinfer::evm::Binding::of(&c.settings);
    step(&format!(
        "deployed verifier {} and consumer {} (pinned to MODEL_HASH; weights {}, inputs {}, outputs {})",
        d.verifier, d.consumer, b.weights, b.inputs, b.outputs
    ));
    let client = Client::connect(&anvil.endpoint()).await?;
    let inst = chain::instances_u256(&proof.instances)?;
    let (ok, verify_gas) = client.verify_call(d.verifier, &proof.proof_bytes()?, &inst).await?;
    let sub = client.submit(d.consumer, &proof.proof_bytes()?, &inst).await?;
    step(&format!("submitted: tx {}", sub.tx_hash));
    let (onchain, block) = client.latest(d.consumer).await?;
    let scale = (1u64 << c.settings.scale_bits) as f64;
    let onchain_f: Vec<f64> =
        onchain.iter().map(|v| v.to_string().parse::<f64>().unwrap_or(f64::NAN) / scale).collect();
    let size = |n: &str| sol.runtime_size(n);
    print_rows(
        json,
        &[
            ("model", model.display().to_string()),
            ("k / rows", format!("{} / {}", c.settings.k, c.settings.rows)),
            ("prove seconds", format!("{:.3}", proof.prove_seconds)),
            ("proof bytes", proof.proof_bytes()?.len().to_string()),
            ("verifyProof (eth_call)", ok.to_string()),
            ("verification gas (estimate, incl. 21k + calldata)", verify_gas.to_string()),
            ("submit tx gas used", sub.gas_used.to_string()),
            ("verifier runtime bytes", size("ZkinferVerifier").to_string()),
            ("consumer runtime bytes", size("VerifiedInference").to_string()),
            ("outputs (Rust)", format!("{:?}", proof.outputs[0])),
            ("outputs (on chain)", format!("{onchain_f:?} at block {block}")),
            ("verifier binds", b.statement.join("; ")),
            ("EZKL 1l_mlp for scale", "k 15, prove 3.5 s, proof 3072 B, verifier 13408 B, ≈546500 gas".into()),
        ],
    );
    Ok(())
}
