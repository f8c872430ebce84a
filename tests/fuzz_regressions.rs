//! Inputs the fuzzers (fuzz/, docs/fuzzing.md) found crashing zkinfer, replayed on the project's
//! own toolchain through the same APIs: each must now give an error, not a panic. A file under
//! `fuzz/regressions/TARGET/` is the minimised input of that cargo-fuzz target, as it took it.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../fuzz/src/onnx_mutation.rs"]
mod onnx_mutation;

#[allow(dead_code)]
#[path = "../fuzz/src/build_mutation.rs"]
mod build_mutation;

/// The saved inputs of one fuzz target, sorted (none is fine: that target found nothing).
fn cases(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// A scratch directory for this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zkinfer-fuzz-regressions-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn input_json_inputs_are_errors() {
    for case in cases("input_json") {
        assert!(zkinfer::compile::read_input(&case).is_err(), "{} parsed", case.display());
    }
}

#[test]
fn proof_json_inputs_are_errors() {
    for case in cases("proof_json") {
        if let Ok(p) = zkinfer::prove::ProofFile::read(&case) {
            let bad = p.proof_bytes().is_err()
                || p.instance_fields().is_err()
                || zkinfer::chain::instances_u256(&p.instances).is_err();
            assert!(bad, "{} read cleanly", case.display());
        }
    }
}

#[test]
fn calldata_inputs_are_described() {
    for case in cases("calldata") {
        let data = std::fs::read(&case).unwrap();
        assert!(!zkinfer::chain::describe_revert(&data).is_empty());
    }
}

#[test]
fn onnx_bytes_inputs_are_errors() {
    let dir = scratch("onnx_bytes");
    for case in cases("onnx_bytes") {
        let path = dir.join("network.onnx");
        std::fs::copy(&case, &path).unwrap();
        let data = std::fs::read(&path).unwrap();
        // The fuzz target's input lengths: from the graph when the bytes decode, else the last byte.
        let lens = <tract_onnx::pb::ModelProto as prost::Message>::decode(&data[..])
            .ok()
            .and_then(|m| onnx_mutation::input_lens(&m))
            .unwrap_or_else(|| vec![data.last().map_or(1, |b| *b as usize % 16 + 1)]);
        let _ = zkinfer::onnx::input_names(&path);
        assert!(zkinfer::onnx::import(&path, &lens).is_err(), "{} imported", case.display());
    }
}

#[test]
fn build_dir_inputs_are_errors() {
    let cases = cases("build_dir");
    if cases.is_empty() {
        return;
    }
    let root = scratch("build_dir");
    let (_, files) = build_mutation::make(&root);
    for case in cases {
        let dir = root.join("case");
        assert!(build_mutation::apply(&std::fs::read(&case).unwrap(), &files, &dir));
        let loaded = zkinfer::compile::Compiled::load(&dir).is_ok() && zkinfer::pipeline::load(&dir).is_ok();
        assert!(!loaded, "{} loaded", case.display());
    }
}

/// The `onnx_mutate` inputs are programs over the corpus models, which live outside the repository
/// (`ZKINFER_FUZZ_MODELS`, default ../shared/corpus): without them there is nothing to replay.
#[test]
fn onnx_mutate_inputs_import_without_panic() {
    let cases = cases("onnx_mutate");
    let root = std::env::var("ZKINFER_FUZZ_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let models = onnx_mutation::load_models(&root);
    if cases.is_empty() || models.is_empty() {
        eprintln!("skipped: {} cases, {} models under {}", cases.len(), models.len(), root.display());
        return;
    }
    let dir = scratch("onnx_mutate");
    for case in cases {
        let (bytes, lens) = onnx_mutation::run(&models, &std::fs::read(&case).unwrap()).unwrap();
        let path = dir.join("network.onnx");
        std::fs::write(&path, bytes).unwrap();
        // Ok is allowed: some mutations leave a valid model; the point is that it returns.
        let _ = zkinfer::onnx::import(&path, &lens);
    }
}

/// The `onnx_bytes` OOM: tract 0.23 allocated without end (4 GiB and on, in
/// `change_axes::perm_to_ops`) on a Transpose whose `perm` is not a permutation. The fuzzer's
/// input was a mutated corpus model, which stays out of the repository; this checks the
/// refusal (`onnx::load::check_transpose_perms`) on models built here.
#[test]
fn a_transpose_perm_that_is_no_permutation_is_an_error() {
    use zkinfer::onnx::write::{attr_ints, dims, save, GraphBuilder};
    let dir = scratch("transpose_perm");
    for perm in [[0i64, 0, 1], [0, 1, 3], [2, 2, 2]] {
        let mut g = GraphBuilder::new(13);
        let x = g.input(&dims(&[1, 2, 3]));
        let y = g.op("Transpose", &[&x], vec![attr_ints("perm", &perm)]);
        g.output(&y, &dims(&[1, 2, 3]));
        let path = dir.join("network.onnx");
        save(&g.build(), &path).unwrap();
        assert!(zkinfer::onnx::import(&path, &[6]).is_err(), "perm {perm:?} imported");
    }
}
