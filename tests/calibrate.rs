//! `zkinfer calibrate`: several inputs widen the lookup tables' ranges, and the `resources`
//! target takes a coarser scale (fewer rows in the range table) than `accuracy`, both still
//! proving and verifying.

mod common;

use zkinfer::compile::{write_json, Target};
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions};

#[test]
fn more_inputs_widen_tables_and_targets_trade_scale() {
    let dir = common::scratch("calibrate");
    let model = dir.join("tanh.onnx");
    // Wide enough that `accuracy` has spare rows to spend on the scale.
    write::save(&write::mlp_model_with(&[16, 64, 64, 4], 5, "Tanh"), &model).unwrap();
    let inputs: Vec<_> = (0..3u64)
        .map(|i| {
            let p = dir.join(format!("in{i}.json"));
            let mut v = write::random_input(16, 40 + i);
            // The later inputs are larger: the tables must grow to cover them.
            for x in v["input_data"][0].as_array_mut().unwrap() {
                *x = serde_json::json!(x.as_f64().unwrap() * (1.0 + i as f64));
            }
            write_json(&p, &v).unwrap();
            p
        })
        .collect();
    let one = pipeline::compile(&model, &inputs[0], &dir.join("one"), &CompileOptions::default()).unwrap();
    let opts = |target| CompileOptions { calibration: inputs[1..].to_vec(), target, ..Default::default() };
    let acc = pipeline::compile(&model, &inputs[0], &dir.join("acc"), &opts(Target::Accuracy)).unwrap();
    let res = pipeline::compile(&model, &inputs[0], &dir.join("res"), &opts(Target::Resources)).unwrap();
    assert_eq!(acc.settings.calibration_inputs, 3);
    let span = |c: &zkinfer::compile::Compiled| c.settings.tables.iter().map(|t| t.hi - t.lo).fold(0.0, f64::max);
    assert!(span(&acc) > span(&one), "three inputs must widen the tables: {} vs {}", span(&acc), span(&one));
    assert!(
        res.settings.scale_bits < acc.settings.scale_bits,
        "{} vs {}",
        res.settings.scale_bits,
        acc.settings.scale_bits
    );
    // An input far wider still is refused, by name, by the circuit calibrated on the first input
    // alone: its tanh tables reach where tanh turns flat, and this one goes past that.
    pipeline::setup(&dir.join("one"), None).unwrap();
    let far = dir.join("far.json");
    let mut v = write::random_input(16, 40);
    for x in v["input_data"][0].as_array_mut().unwrap() {
        *x = serde_json::json!(x.as_f64().unwrap() * 100.0);
    }
    write_json(&far, &v).unwrap();
    let e = pipeline::prove(&dir.join("one"), &far).unwrap_err().to_string();
    assert!(e.contains("outside") && e.contains("recalibrate"), "{e}");
    for build in ["acc", "res"] {
        pipeline::setup(&dir.join(build), None).unwrap();
        let p = pipeline::prove(&dir.join(build), &inputs[2]).unwrap();
        pipeline::verify(&dir.join(build), &p).unwrap();
    }
}
