//! Every corpus model in every weights mode against EIP-170 (issue 15): compiles each model (the
//! differential check cut to a few samples: only the circuit's shape matters here), builds its
//! verifier with the key in a contract of its own from a shape-only key (`prove::shape_vk`: no
//! setup, no SRS of the model's size), compiles it with solc and prints both runtime sizes.
//! A model that does not compile in a mode is listed as such: it has no verifier to deploy.
//!
//! `cargo run --release --example contract_sizes -- ../shared/corpus [--models a,b] [--json]`
use std::path::{Path, PathBuf};
use zkinfer::circuit::privacy::{Privacy, WeightsMode};
use zkinfer::evm::{self, key::Placement};
use zkinfer::fidelity::FidelityOptions;
use zkinfer::pipeline::{self, CompileOptions};

#[derive(serde::Serialize)]
struct Row {
    model: String,
    weights: String,
    k: Option<u32>,
    verifier_bytes: Option<usize>,
    key_bytes: Option<usize>,
    note: String,
}

/// The keyed verifier's and the key contract's runtime sizes for one compiled build.
fn sizes(dir: &Path) -> zkinfer::Result<(u32, usize, usize)> {
    let compiled = zkinfer::compile::Compiled::load(dir)?;
    let vk = zkinfer::prove::shape_vk(&compiled);
    // Any SRS serves: the keyed verifier reads only the generator and G2 points from it.
    let params = zkinfer::prove::dev_srs(1);
    let v = evm::verifier_solidity("ShapeVerifier", &compiled.settings, &vk, &params, Placement::Contract)?;
    let contracts = evm::compile(&[("ShapeVerifier.sol", v.source.as_str())])?;
    let runtime = contracts.iter().find(|c| c.name == "ShapeVerifier").map_or(0, |c| c.runtime_size);
    let points = vk.fixed_commitments().len() + vk.permutation().commitments().len();
    Ok((compiled.settings.k, runtime, 1 + 32 * (3 + 2 * points)))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(corpus) = args.get(1).map(PathBuf::from) else {
        eprintln!("usage: contract_sizes CORPUS/ [--models a,b] [--json]");
        std::process::exit(2);
    };
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--models")
        .and_then(|i| args.get(i + 1))
        .map(|m| m.split(',').map(String::from).collect());
    let mut models: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("network.onnx").exists()).collect())
        .unwrap_or_default();
    models.sort();
    let work = std::env::temp_dir().join("zkinfer-contract-sizes");
    let mut rows = vec![];
    for m in models {
        let name = m.file_name().unwrap_or_default().to_string_lossy().to_string();
        if only.as_ref().is_some_and(|o| !o.contains(&name)) {
            continue;
        }
        for weights in [WeightsMode::Fixed, WeightsMode::Hashed, WeightsMode::Private] {
            let dir = work.join(format!("{name}-{weights:?}"));
            let _ = std::fs::remove_dir_all(&dir);
            let opts = CompileOptions {
                privacy: Privacy { weights, ..Default::default() },
                fidelity: FidelityOptions { samples: 4, ..Default::default() },
                ..Default::default()
            };
            let weights = format!("{weights:?}").to_lowercase();
            eprintln!("contract_sizes: {name}, {weights}");
            // A panic is a zkinfer bug, listed as one; the survey goes on.
            let run = || {
                pipeline::compile(&m.join("network.onnx"), &m.join("input.json"), &dir, &opts).and_then(|_| sizes(&dir))
            };
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
                .unwrap_or_else(|_| Err(zkinfer::Error::Internal("panicked (a zkinfer bug)".into())));
            let row = match result {
                Ok((k, v, key)) => Row {
                    model: name.clone(),
                    weights,
                    k: Some(k),
                    verifier_bytes: Some(v),
                    key_bytes: Some(key),
                    note: if v.max(key) > evm::EIP170_LIMIT { "OVER EIP-170".into() } else { String::new() },
                },
                Err(e) => Row {
                    model: name.clone(),
                    weights,
                    k: None,
                    verifier_bytes: None,
                    key_bytes: None,
                    note: format!("not compiled: {}", zkinfer::error::clip(&e.to_string())),
                },
            };
            let _ = std::fs::remove_dir_all(&dir);
            rows.push(row);
        }
    }
    let over = rows.iter().filter(|r| r.note.starts_with("OVER")).count();
    if args.iter().any(|a| a == "--json") {
        println!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
    } else {
        println!("| model | weights | k | keyed verifier B | key B | |");
        println!("|---|---|---|---|---|---|");
        let show = |v: Option<usize>| v.map_or("-".into(), |v| v.to_string());
        for r in &rows {
            let k = r.k.map_or("-".into(), |k| k.to_string());
            println!(
                "| {} | {} | {k} | {} | {} | {} |",
                r.model,
                r.weights,
                show(r.verifier_bytes),
                show(r.key_bytes),
                r.note
            );
        }
        println!("{} builds, {over} over EIP-170 ({} bytes)", rows.len(), evm::EIP170_LIMIT);
    }
    std::process::exit(if over > 0 { 1 } else { 0 });
}
