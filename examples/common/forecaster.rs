//! The bot's forecaster and market, shared by `defi_bot` and `fixtures` (the forge tests' proof
//! is made over the same prices the bot starts from).

use std::path::Path;
use zkinfer::circuit::privacy::{Privacy, Visibility};
use zkinfer::compile::{write_json, Compiled};
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions};

/// Prices the model reads.
pub const WINDOW: usize = 8;
/// The feed's answers carry 8 decimals; the model works in thousands of dollars, so one model
/// unit is 10^(8+3) answer units.
pub const DECIMALS: u8 = 8;
pub const PRICE_UNIT: u128 = 100_000_000_000;
/// Fixed point 2^-12 thousand dollars (about 24 cents): finer scales cost rows (the range
/// table is 2^s).
pub const SCALE_BITS: u32 = 12;
/// The vault turns defensive (or generous) when the forecast moves this much.
pub const MOVE_BPS: u64 = 50;
const TRAIN: usize = 400;

/// The market: the feed's answers after the training stretch; the first `WINDOW` are the
/// history the feed starts with, then one per round.
pub fn market(rounds: usize) -> (Vec<i128>, Vec<f32>, f32) {
    let series = write::synthetic_prices(TRAIN + WINDOW + rounds, 7);
    let (coeffs, intercept) = write::fit_linear_forecaster(&series[..TRAIN], WINDOW);
    let answers = series[TRAIN..].iter().map(|p| (p * PRICE_UNIT as f64).round() as i128).collect();
    (answers, coeffs, intercept)
}

/// Writes the fitted forecaster as ONNX and compiles it on the starting window.
pub fn build(out: &Path, coeffs: &[f32], intercept: f32, history: &[i128]) -> zkinfer::Result<Compiled> {
    let model = out.join("forecaster.onnx");
    write::save(&write::linear_forecaster_model(coeffs, intercept), &model)?;
    let calib = out.join("calibration.json");
    let x: Vec<f64> = history.iter().map(|&a| a as f64 / PRICE_UNIT as f64).collect();
    write_json(&calib, &serde_json::json!({ "input_data": [x] }))?;
    // Packed inputs and output (a window this short is below what `auto` packs), so the demo,
    // the bot and the forge fixture take the path where the vault packs the feed's window.
    let privacy = Privacy { input: Visibility::Packed, output: Visibility::Packed, ..Default::default() };
    let opts = CompileOptions { scale_bits: Some(SCALE_BITS), privacy, ..Default::default() };
    pipeline::compile(&model, &calib, &out.join("build"), &opts)
}
