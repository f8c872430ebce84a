//! Inputs the fuzzers (fuzz/, docs/fuzzing.md) found crashing zkinfer, replayed on the project's
//! own toolchain through the same APIs: each must now give an error, not a panic. A file under
//! `fuzz/regressions/TARGET/` is the minimised input of that cargo-fuzz target, as it took it.

use std::path::{Path, PathBuf};

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
        let _ = zkinfer::onnx::input_names(&path);
        assert!(zkinfer::onnx::import(&path, &[1]).is_err(), "{} imported", case.display());
    }
}
