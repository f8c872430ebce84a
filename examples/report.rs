//! Measures the whole pipeline per model and prints a markdown table (or JSON with `--json`):
//! k, rows, prove seconds, proof bytes, verification gas on Anvil, runtime bytecode sizes.
//!
//! `cargo run --example report` runs the example MLP and, where `../shared/corpus` exists, the
//! corpus models given as arguments (default: the issue-2 set). `--weights fixed,private,hashed`
//! measures each model in each weights mode (the cost table of docs/privacy.md).

use std::path::{Path, PathBuf};
use zkinfer::chain::{self, Client};
use zkinfer::circuit::privacy::{Privacy, WeightsMode};
use zkinfer::compile::write_json;
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions};

#[derive(serde::Serialize)]
struct Row {
    model: String,
    weights: WeightsMode,
    private_params: usize,
    k: u32,
    rows: usize,
    prove_seconds: f64,
    proof_bytes: usize,
    verify_gas: u64,
    submit_gas: u64,
    verifier_bytes: usize,
    consumer_bytes: usize,
    max_rel_error: Option<f64>,
}

/// The issue-2 models, then one of each newer family: a lookup table (sigmoid), softmax, a tree
/// ensemble (comparisons, keyed lookups, argmax), a matmul of two activations.
const DEFAULT: [&str; 12] = [
    "1l_mlp",
    "1l_relu",
    "2l_relu_fc",
    "1l_linear",
    "linear_regression",
    "1l_flatten",
    "1l_reshape",
    "accuracy",
    "1l_sigmoid",
    "1l_softmax",
    "decision_tree",
    "large_op_graph",
];

async fn measure(
    client: &Client,
    name: &str,
    model: &Path,
    input: &Path,
    expected: Option<Vec<Vec<f64>>>,
    weights: WeightsMode,
) -> zkinfer::Result<Row> {
    let dir = Path::new("build/report").join(format!("{name}-{weights:?}"));
    let opts = CompileOptions { privacy: Privacy { weights, ..Default::default() }, ..Default::default() };
    let c = pipeline::compile(model, input, &dir, &opts)?;
    pipeline::setup(&dir, None)?;
    let p = pipeline::prove(&dir, input)?;
    pipeline::verify(&dir, &p)?;
    let sol = pipeline::solidity(&dir, &dir.join("sol"), "ZkinferVerifier")?;
    let code = |n: &str| sol.contracts.iter().find(|c| c.name == n).unwrap().clone();
    // The consumer pins this build's model; a private-weights verifier binds no weights and is
    // deployed only because this report measures every mode, explicitly.
    let pin = chain::ModelPin::of(&pipeline::load(&dir)?.0.settings, weights == WeightsMode::Private)?;
    let d = client.deploy_pair(sol.verifier_code()?, code("VerifiedInference").bytecode, &pin).await?;
    let proof = p.proof_bytes()?;
    let inst = chain::instances_u256(&p.instances)?;
    let (ok, verify_gas) = client.verify_call(d.verifier, &proof, &inst).await?;
    assert!(ok, "{name}: verifier rejected an honest proof");
    let s = client.submit(d.consumer, &proof, &inst).await?;
    let max_rel_error = expected.and_then(|e| zkinfer::conformance::compare(&p.outputs, &e)).map(|(_, rel)| rel);
    Ok(Row {
        model: name.into(),
        weights,
        private_params: c.settings.private_weights,
        k: c.settings.k,
        rows: c.settings.rows,
        prove_seconds: p.prove_seconds,
        proof_bytes: proof.len(),
        verify_gas,
        submit_gas: s.gas_used,
        verifier_bytes: code("ZkinferVerifier").runtime_size,
        consumer_bytes: code("VerifiedInference").runtime_size,
        max_rel_error,
    })
}

#[tokio::main]
async fn main() -> zkinfer::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let modes: Vec<WeightsMode> = match args.iter().position(|a| a == "--weights") {
        Some(i) => args[i + 1]
            .split(',')
            .map(|m| {
                clap::ValueEnum::from_str(m, true)
                    .map_err(|e| zkinfer::Error::Usage { flag: "--weights".into(), reason: e })
            })
            .collect::<zkinfer::Result<_>>()?,
        None => vec![WeightsMode::Fixed],
    };
    let skip = args.iter().position(|a| a == "--weights").map(|i| i + 1);
    let mut names: Vec<String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| *a != "--json" && *a != "--weights" && Some(*i) != skip)
        .map(|(_, a)| a.clone())
        .collect();
    if names.is_empty() {
        names = DEFAULT.iter().map(|s| s.to_string()).collect();
    }
    let anvil = chain::spawn_anvil()?;
    let client = Client::connect(&anvil.endpoint()).await?;
    let mut rows = vec![];
    let ex = Path::new("build/report/example_mlp");
    write::save(&write::mlp_model(&[8, 16, 16, 2], 1), &ex.join("model.onnx"))?;
    write_json(&ex.join("input.json"), &write::random_input(8, 101))?;
    for &m in &modes {
        rows.push(
            measure(&client, "example_mlp_8_16_16_2", &ex.join("model.onnx"), &ex.join("input.json"), None, m).await?,
        );
    }
    let corpus = PathBuf::from("../shared/corpus");
    if corpus.exists() {
        for n in &names {
            let dir = corpus.join(n);
            let expected = zkinfer::conformance::expected(&dir)?;
            for &m in &modes {
                let r =
                    measure(&client, n, &dir.join("network.onnx"), &dir.join("input.json"), Some(expected.clone()), m)
                        .await?;
                eprintln!("{n} ({m:?}): k {} rows {} prove {:.2} s gas {}", r.k, r.rows, r.prove_seconds, r.verify_gas);
                rows.push(r);
            }
        }
    } else {
        eprintln!("../shared/corpus not found: only the example model is measured");
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows).unwrap());
        return Ok(());
    }
    println!("| model | weights | private params | k | rows | prove s | proof B | verify gas | submit gas | verifier B | consumer B | max err / max(1,|ref|) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.3} | {} | {} | {} | {} | {} | {} |",
            r.model,
            format!("{:?}", r.weights).to_lowercase(),
            r.private_params,
            r.k,
            r.rows,
            r.prove_seconds,
            r.proof_bytes,
            r.verify_gas,
            r.submit_gas,
            r.verifier_bytes,
            r.consumer_bytes,
            r.max_rel_error.map_or("-".into(), |e| format!("{e:.4}"))
        );
    }
    println!(
        "\nEZKL 23.0.5 on 1l_mlp (this machine): k 15, prove 3.5 s, proof 3072 B, verifier 13408 B, ≈546,500 gas."
    );
    Ok(())
}
