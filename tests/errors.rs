//! Bad input gets a clear error naming the file, node or value, and what to do; never a panic.

mod common;

use zkinfer::compile::write_json;
use zkinfer::pipeline::{self, CompileOptions};

fn opts() -> CompileOptions {
    CompileOptions::default()
}

#[test]
fn malformed_onnx_names_the_file() {
    let dir = common::scratch("err-malformed");
    let model = dir.join("broken.onnx");
    std::fs::write(&model, b"this is not protobuf").unwrap();
    let input = dir.join("input.json");
    write_json(&input, &serde_json::json!({"input_data": [[1.0]]})).unwrap();
    let e = pipeline::compile(&model, &input, &dir.join("b"), &opts()).unwrap_err().to_string();
    assert!(e.contains("broken.onnx") && e.contains("not a valid ONNX model"), "{e}");
}

#[test]
fn unsupported_ops_are_listed_together() {
    let dir = common::scratch("err-unsup");
    let model = dir.join("m.onnx");
    // x^y and x mod y of two activations have no gadget; sigmoid has a table.
    let ops: [(&str, &[&str]); 3] = [("Pow", &["a", "b"]), ("Sigmoid", &["a"]), ("Mod", &["a", "b"])];
    zkinfer::onnx::write::save(&zkinfer::onnx::write::branches_model(4, &ops), &model).unwrap();
    let input = dir.join("in.json");
    write_json(&input, &serde_json::json!({"input_data": [[0.5, 1.0, 2.0, 0.25], [1.5, 2.0, 0.5, 3.0]]})).unwrap();
    let e = pipeline::compile(&model, &input, &dir.join("b"), &opts()).unwrap_err().to_string();
    assert!(e.contains("unsupported ONNX operations") && e.contains("m.onnx"), "{e}");
    // Both unsupported ops at once, each with its node; the supported Sigmoid is not named.
    assert!(e.contains("node `output0`") && e.contains("node `output2") && !e.contains("output1"), "{e}");
}

#[test]
fn wrong_input_shape_is_explained() {
    let (dir, model, _, build) = common::example_build("err-shape", &[4, 3], true);
    let bad = dir.join("bad.json");
    write_json(&bad, &serde_json::json!({"input_data": [[1.0, 2.0]]})).unwrap();
    let e = pipeline::prove(&build, &bad).unwrap_err().to_string();
    assert!(e.contains("2 values") && e.contains("[1, 4]"), "{e}");
    let e = pipeline::compile(&model, &bad, &dir.join("b2"), &opts()).unwrap_err().to_string();
    assert!(e.contains("m.onnx") && e.contains("2 values"), "{e}");
}

#[test]
fn inputs_outside_the_circuit_range_name_the_position() {
    let (dir, _, _, build) = common::example_build("err-range", &[4, 8, 2], true);
    // An input beyond what the circuit range-checks is refused by position before anything runs.
    let huge = dir.join("huge.json");
    write_json(&huge, &serde_json::json!({"input_data": [[0.5, -9.0e6, 0.5, 0.5]]})).unwrap();
    let e = pipeline::prove(&build, &huge).unwrap_err().to_string();
    assert!(e.contains("input 0 value -9000000 (element 1)") && e.contains("input range"), "{e}");
    // (Activations that leave the range inside the circuit name their node: a unit test,
    // `circuit::tests::out_of_range_value_is_a_clear_error`.)
}

#[test]
fn missing_keys_say_which_command_to_run() {
    let (dir, _, input, build) = common::example_build("err-keys", &[2, 2], false);
    let e = pipeline::prove(&build, &input).unwrap_err().to_string();
    assert!(e.contains("zkinfer setup"), "{e}");
    let e = pipeline::prove(&dir.join("nowhere"), &input).unwrap_err().to_string();
    assert!(e.contains("zkinfer compile"), "{e}");
}

/// halo2's key reader panics on a short read: a truncated pk.bin must still be one clear error
/// naming the file and the command that remakes it.
#[test]
fn a_truncated_proving_key_is_an_error_not_a_panic() {
    let (_, _, input, build) = common::example_build("err-pk", &[2, 2], true);
    let pk = build.join("pk.bin");
    let bytes = std::fs::read(&pk).unwrap();
    for keep in [bytes.len() / 2, 100] {
        std::fs::write(&pk, &bytes[..keep]).unwrap();
        let e = pipeline::prove(&build, &input).unwrap_err().to_string();
        assert!(e.contains("pk.bin") && e.contains("zkinfer setup"), "{keep} bytes: {e}");
    }
}

#[test]
fn ceremony_style_srs_file_loads_and_is_trimmed() {
    let (dir, _, input, build) = common::example_build("srs", &[2, 2], false);
    let c = zkinfer::compile::Compiled::load(&build).unwrap();
    // A larger params file in halo2's standard format, as ceremony conversions are distributed.
    // Not the dev SRS: another seed stands for a ceremony's τ here.
    let big = dir.join("big.srs");
    let ceremony = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(99);
    zkinfer::prove::write_srs(&zkinfer::prove::Srs::setup(c.settings.k + 2, ceremony), &big).unwrap();
    // A saved dev SRS given as a ceremony file is still the dev SRS, and recorded as insecure.
    let dev = dir.join("dev.srs");
    zkinfer::prove::write_srs(&zkinfer::prove::dev_srs(c.settings.k + 1), &dev).unwrap();
    assert!(pipeline::setup(&build, Some(&dev)).unwrap().3.insecure);
    let (_, params, _, info) = pipeline::setup(&build, Some(&big)).unwrap();
    assert!(!info.insecure);
    assert_eq!(halo2_proofs::poly::commitment::Params::k(&params), c.settings.k);
    let p = pipeline::prove(&build, &input).unwrap();
    pipeline::verify(&build, &p).unwrap();
    let junk = dir.join("junk.srs");
    std::fs::write(&junk, b"nope").unwrap();
    let Err(e) = pipeline::setup(&build, Some(&junk)) else { panic!("junk SRS accepted") };
    let e = e.to_string();
    assert!(e.contains("junk.srs"), "{e}");
}
