//! The JSON files around a compile: reading the user's input files (EZKL's format) and the
//! build's own artifacts, each failure naming the file and what it should hold.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Writes `value` as pretty-printed JSON, atomically (`artifact::write_atomic`).
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    crate::artifact::write_bytes(path, &json_bytes(value)?)
}

/// `value` as pretty-printed JSON.
pub fn json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| Error::Internal(format!("cannot serialise a JSON artifact: {e}")))
}

/// Reads JSON from `path`; a parse failure is an [`Error::Json`] naming the file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    read_json_as(path, "JSON file", "")
}

/// [`read_json`] for a file of a known kind: the message says what the file should hold and,
/// after `hint` (which starts with "; "), what to do.
pub fn read_json_as<T: serde::de::DeserializeOwned>(path: &Path, what: &'static str, hint: &str) -> Result<T> {
    let text = crate::artifact::read(path)?;
    serde_json::from_slice(&text).map_err(|source| Error::Json { path: path.into(), what, source, hint: hint.into() })
}

/// Refuses a fraction where the model's input is an integer (or boolean) tensor: the circuit
/// would prove a computation the model cannot perform.
pub fn check_integer_inputs(path: &Path, inputs: &[Vec<f32>], integer: &[usize]) -> Result<()> {
    for &i in integer {
        let Some(values) = inputs.get(i) else { continue };
        if let Some((j, v)) = values.iter().enumerate().find(|(_, v)| v.fract() != 0.0) {
            return Err(Error::BadInput {
                path: path.into(),
                reason: format!(
                    "input {i} element {j} is {v}, but the model's input {i} holds integers: give whole numbers there"
                ),
            });
        }
    }
    Ok(())
}

/// Reads EZKL-style `{"input_data": [[...], ...]}`.
pub fn read_input(path: &Path) -> Result<Vec<Vec<f32>>> {
    #[derive(Deserialize)]
    struct InputFile {
        input_data: Vec<Vec<serde_json::Value>>,
    }
    let f: InputFile = read_json_as(
        path,
        "input file",
        "; it must be EZKL's format, {\"input_data\": [[x0, x1, ...], ...]}: one flat array of numbers per model input",
    )?;
    // An empty list is a model without inputs (the corpus's `arange`); against a model with
    // inputs, the count check names both counts.
    let bad = |reason: String| Error::BadInput { path: path.into(), reason };
    let mut inputs = Vec::with_capacity(f.input_data.len());
    for (i, v) in f.input_data.into_iter().enumerate() {
        let mut values = Vec::with_capacity(v.len());
        for (j, x) in v.into_iter().enumerate() {
            // Booleans are 0 and 1, as in EZKL's input files: models with boolean inputs
            // (masks, bitwise ops) are given them so.
            let value = x.as_f64().or_else(|| x.as_bool().map(|b| b as u8 as f64));
            let Some(value) = value else {
                let shown: String = x.to_string().chars().take(40).collect();
                return Err(bad(format!(
                    "input {i} element {j} is {shown}, not a number: give flat arrays of numbers"
                )));
            };
            if !(value as f32).is_finite() {
                return Err(bad(format!("input {i} element {j} is {value}, beyond what a float32 model input holds")));
            }
            values.push(value as f32);
        }
        inputs.push(values);
    }
    Ok(inputs)
}
