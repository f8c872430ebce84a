//! Multi-step recurrences: tract keeps an LSTM, GRU or RNN over more than one time step as a
//! Scan, which the importer unrolls step by step. Each model here is compiled, then run through
//! the integer oracle on fresh random inputs and compared with tract's float inference (every
//! step's hidden state and the last one); one is proven and verified end to end.

mod common;

use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use zkinfer::compile::write_json;
use zkinfer::onnx::write::{self, Recurrent};
use zkinfer::pipeline;

/// Random inputs in [-1, 1) for a model taking `lens` values per input.
fn random_inputs(lens: &[usize], seed: u64) -> Vec<Vec<f32>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    lens.iter().map(|&n| (0..n).map(|_| rng.gen_range(-1.0f32..1.0)).collect()).collect()
}

/// Writes the model, an input and calibration inputs (other seeds than the checked inputs, so
/// the tables' ranges are not fitted to them) into a scratch dir and compiles it. Returns (dir,
/// model path, input path, compiled).
fn build(name: &str, r: &Recurrent, lens: &[usize]) -> (PathBuf, PathBuf, PathBuf, zkinfer::compile::Compiled) {
    let dir = common::scratch(name);
    let model = dir.join("m.onnx");
    write::save(&write::recurrent_model_with(r, 5), &model).unwrap();
    let json = |seed: u64| -> PathBuf {
        let path = dir.join(format!("in{seed}.json"));
        write_json(&path, &serde_json::json!({ "input_data": random_inputs(lens, seed) })).unwrap();
        path
    };
    let input = json(0);
    let opts = pipeline::CompileOptions { calibration: (100..108).map(json).collect(), ..Default::default() };
    let compiled = pipeline::compile(&model, &input, &dir.join("b"), &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    (dir, model, input, compiled)
}

/// Compiles the model and checks the integer oracle against tract's float run on several random
/// inputs, within 0.05·max(1, max|ref|) per output.
fn check(name: &str, r: &Recurrent) {
    let dirs = if r.direction == "bidirectional" { 2 } else { 1 };
    let mut lens = vec![r.seq * r.input];
    if r.h0_input {
        lens.push(dirs * r.hidden);
    }
    let (_, model, _, compiled) = build(name, r, &lens);
    let typed = zkinfer::onnx::load_typed(&model, &lens).unwrap();
    let q = &compiled.model;
    for seed in 1..=5 {
        let x = random_inputs(&lens, seed);
        let reference = zkinfer::onnx::tract_run(&typed, &x).unwrap();
        let vals = q.eval(&q.quantize_inputs(&x).unwrap()).unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
        assert_eq!(q.outputs.len(), reference.len(), "{name}: outputs");
        assert_eq!(reference[0].len(), r.seq * dirs * r.hidden, "{name}: y holds every step");
        for (k, (&id, want)) in q.outputs.iter().zip(&reference).enumerate() {
            let got: Vec<f64> = vals[id].iter().map(|&v| q.dequantize(v)).collect();
            assert_eq!(got.len(), want.len(), "{name} output {k}: length");
            let tol = 0.05 * want.iter().fold(1f32, |m, v| m.max(v.abs())) as f64;
            for (j, (g, w)) in got.iter().zip(want).enumerate() {
                assert!((g - *w as f64).abs() <= tol, "{name} seed {seed} output {k}[{j}]: {g} vs tract {w}");
            }
        }
    }
}

fn spec<'a>(op: &'a str, seq: usize) -> Recurrent<'a> {
    Recurrent { op, seq, input: 3, hidden: 5, ..Default::default() }
}

#[test]
fn lstm_sequences_match_tract() {
    check("rec-lstm2", &spec("LSTM", 2));
    check("rec-lstm3", &spec("LSTM", 3));
}

#[test]
fn gru_sequences_match_tract() {
    check("rec-gru2", &spec("GRU", 2));
    check("rec-gru3", &spec("GRU", 3));
}

#[test]
fn rnn_sequences_match_tract() {
    check("rec-rnn2", &spec("RNN", 2));
    check("rec-rnn3", &spec("RNN", 3));
}

/// A reverse recurrence scans its sequence from the end (tract's negative chunk) and stacks its
/// outputs from the end; a bidirectional one is a forward and a reverse Scan side by side.
#[test]
fn reverse_and_bidirectional_sequences_match_tract() {
    check("rec-lstm-rev", &Recurrent { direction: "reverse", ..spec("LSTM", 3) });
    check("rec-gru-bi", &Recurrent { direction: "bidirectional", ..spec("GRU", 3) });
}

/// An initial state fed in as a model input is a variable from the first step on (no folding of
/// a constant initial state).
#[test]
fn initial_state_from_an_input_matches_tract() {
    check("rec-lstm-h0", &Recurrent { h0_input: true, ..spec("LSTM", 2) });
    check("rec-gru-h0", &Recurrent { h0_input: true, ..spec("GRU", 3) });
}

fn prove_and_verify(dir: &Path, input: &Path) {
    let build = dir.join("b");
    pipeline::setup(&build, None).unwrap();
    let proof = pipeline::prove(&build, input).unwrap();
    pipeline::verify(&build, &proof).unwrap();
}

#[test]
fn lstm_sequence_proves_and_verifies() {
    let r = spec("LSTM", 3);
    let (dir, _, input, _) = build("rec-lstm-e2e", &r, &[r.seq * r.input]);
    prove_and_verify(&dir, &input);
}
