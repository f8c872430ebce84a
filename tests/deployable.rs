//! Every corpus model in every weights mode yields contracts that can be deployed (issue 15):
//! each build's verifier, in the first layout that fits (its key written in, the key in a key
//! contract, or the identities too in a contract of their own), and every contract of that
//! layout, within EIP-170's 24,576 bytes. The verifier is generated from the key's shape
//! (`prove::shape_vk`), so no model is set up; its code does not depend on the key's points.
//!
//! A model that does not compile in a mode (refused by name: a private parameter the layout
//! cannot hide, an input file that does not fit the graph) has nothing to deploy and is listed;
//! a panic, or a verifier that fits in no layout, fails the test.

mod common;

use rayon::prelude::*;
use zkinfer::circuit::privacy::{Privacy, WeightsMode};
use zkinfer::fidelity::FidelityOptions;
use zkinfer::pipeline::{self, CompileOptions};
use zkinfer::Error;

#[test]
fn every_corpus_model_in_every_weights_mode_fits_eip170() {
    let Some(corpus) = common::corpus() else { return };
    let mut models: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("network.onnx").exists())
        .collect();
    models.sort();
    let cases: Vec<_> = models
        .iter()
        .flat_map(|m| [WeightsMode::Fixed, WeightsMode::Private, WeightsMode::Hashed].map(|w| (m.clone(), w)))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let rows: Vec<(String, Result<String, String>)> = pool.install(|| {
        cases
            .par_iter()
            .map(|(m, weights)| {
                let name = format!("{}/{weights:?}", m.file_name().unwrap().to_string_lossy());
                let dir = common::scratch(&format!("deployable-{}", name.replace('/', "-")));
                let opts = CompileOptions {
                    privacy: Privacy { weights: *weights, ..Default::default() },
                    // Only the circuit's shape matters here: the differential check cut short.
                    fidelity: FidelityOptions { samples: 2, ..Default::default() },
                    ..Default::default()
                };
                let result = match pipeline::contract_sizes(&m.join("network.onnx"), &m.join("input.json"), &dir, &opts)
                {
                    Ok((k, layout, sizes)) => {
                        let biggest =
                            sizes.iter().filter(|(c, _)| c.starts_with("ShapeVerifier")).map(|(_, s)| *s).max();
                        assert!(biggest.unwrap_or(0) <= zkinfer::evm::EIP170_LIMIT, "{name}: {sizes:?}");
                        Ok(format!("k {k}, {layout:?}, {sizes:?}"))
                    }
                    Err(e @ (Error::TooLarge { .. } | Error::Internal(_))) => panic!("{name}: {e}"),
                    Err(e) => Err(e.to_string()),
                };
                let _ = std::fs::remove_dir_all(&dir);
                (name, result)
            })
            .collect()
    });
    let mut fits = 0;
    for (name, r) in &rows {
        match r {
            Ok(line) => {
                fits += 1;
                eprintln!("{name}: {line}");
            }
            Err(reason) => eprintln!("{name}: not compiled: {}", zkinfer::error::clip(reason)),
        }
    }
    eprintln!("{fits} of {} builds fit EIP-170; the rest do not compile in their mode", rows.len());
    // The corpus compiles in most modes: a mechanism that refused everything would pass above.
    assert!(fits * 10 >= rows.len() * 8, "only {fits} of {} builds compiled", rows.len());
}
