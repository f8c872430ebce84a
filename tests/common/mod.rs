//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/corpus`, or `None` (with a message) where CI's sibling checkout is absent.
pub fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.join("index.json").exists() {
        Some(p)
    } else {
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

/// Within 0.05·max(1, max|ref|) at every position, per output.
pub fn within_tolerance(got: &[Vec<f64>], expected: &[Vec<f64>]) -> Result<f64, String> {
    if got.len() != expected.len() {
        return Err(format!("{} outputs, expected {}", got.len(), expected.len()));
    }
    let mut worst = 0f64;
    for (g, e) in got.iter().zip(expected) {
        if g.len() != e.len() {
            return Err(format!("output has {} values, expected {}", g.len(), e.len()));
        }
        let tol = 0.05 * e.iter().fold(1f64, |m, v| m.max(v.abs()));
        for (i, (a, b)) in g.iter().zip(e).enumerate() {
            let err = (a - b).abs();
            worst = worst.max(err / tol * 0.05);
            if err > tol {
                return Err(format!("position {i}: got {a}, expected {b} (tolerance {tol})"));
            }
        }
    }
    Ok(worst)
}

pub fn expected_outputs(dir: &Path) -> Vec<Vec<f64>> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    v["output_data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
        .collect()
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
    pipeline::compile(&model, &input, &build, &pipeline::CompileOptions { lanes: None }).unwrap();
    if setup {
        pipeline::setup(&build, None).unwrap();
    }
    (dir, model, input, build)
}
