//! Every corpus model in every weights mode against EIP-170 (issue 15): compiles each model (the
//! differential check cut to a few samples: only the circuit's shape matters here), builds its
//! verifier from a shape-only key (`prove::shape_vk`: no setup, no SRS of the model's size) in
//! the first layout that fits EIP-170 (`pipeline::contract_sizes`), and prints the layout and
//! every contract's runtime size.
//! A model that does not compile in a mode is listed as such: it has no verifier to deploy.
//!
//! `cargo run --release --example contract_sizes -- ../shared/corpus [--models a,b] [--json]`
use std::path::PathBuf;
use zkinfer::circuit::privacy::{Privacy, WeightsMode};
use zkinfer::evm;
use zkinfer::fidelity::FidelityOptions;
use zkinfer::pipeline::{self, CompileOptions};

#[derive(serde::Serialize)]
struct Row {
    model: String,
    weights: String,
    k: Option<u32>,
    layout: Option<String>,
    /// Every contract's runtime bytes, largest first.
    sizes: Vec<(String, usize)>,
    note: String,
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
            let run = || pipeline::contract_sizes(&m.join("network.onnx"), &m.join("input.json"), &dir, &opts);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
                .unwrap_or_else(|_| Err(zkinfer::Error::Internal("panicked (a zkinfer bug)".into())));
            let (model, k) = (name.clone(), None);
            let row = match result {
                Ok((k, layout, mut sizes)) => {
                    sizes.sort_by_key(|(_, s)| std::cmp::Reverse(*s));
                    sizes.retain(|(c, _)| c.starts_with("ShapeVerifier"));
                    Row { model, weights, k: Some(k), layout: Some(format!("{layout:?}")), sizes, note: String::new() }
                }
                Err(e) => {
                    let note = match e {
                        zkinfer::Error::TooLarge { .. } => format!("OVER EIP-170: {e}"),
                        _ => format!("not compiled: {}", zkinfer::error::clip(&e.to_string())),
                    };
                    Row { model, weights, k, layout: None, sizes: vec![], note }
                }
            };
            let _ = std::fs::remove_dir_all(&dir);
            rows.push(row);
        }
    }
    let over = rows.iter().filter(|r| r.note.starts_with("OVER")).count();
    if args.iter().any(|a| a == "--json") {
        println!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
    } else {
        println!("| model | weights | k | layout | contracts (runtime bytes) | |");
        println!("|---|---|---|---|---|---|");
        for r in &rows {
            let k = r.k.map_or("-".into(), |k| k.to_string());
            let sizes: Vec<String> =
                r.sizes.iter().map(|(c, s)| format!("{} {s}", c.trim_start_matches("ShapeVerifier"))).collect();
            let layout = r.layout.as_deref().unwrap_or("-");
            println!("| {} | {} | {k} | {layout} | {} | {} |", r.model, r.weights, sizes.join(", "), r.note);
        }
        println!("{} builds, {over} over EIP-170 ({} bytes)", rows.len(), evm::EIP170_LIMIT);
    }
    std::process::exit(if over > 0 { 1 } else { 0 });
}
