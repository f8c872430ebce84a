//! One error type for the library, so the CLI can print every failure as "what went wrong, where,
//! and what to do next" instead of a panic or a bare `io::Error`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error("{path}: not a valid ONNX model ({reason}); re-export it with torch.onnx.export or onnx.save")]
    MalformedOnnx { path: PathBuf, reason: String },

    /// A file that parses as ONNX but that tract (zkinfer's ONNX reader) could not type: a
    /// limitation of the reader, not a fault of the file.
    #[error("{path}: tract, zkinfer's ONNX reader, could not {stage}{}: {reason}; the file parses as ONNX, so if onnxruntime runs it this is a limitation of the importer: please report it with the model (exporting with fixed input shapes, or through onnxsim, may avoid it)", node.as_ref().map(|n| format!(" at node `{n}`")).unwrap_or_default())]
    Import { path: PathBuf, stage: String, node: Option<String>, reason: String },

    #[error("{path}: unsupported ONNX operations: {}; zkinfer proves affine ops (Gemm, MatMul, Conv, pooling, slicing…), products, max/min/relu kinks and pointwise functions (by lookup table); docs/conformance.md lists the models that work", ops.join(", "))]
    Unsupported { path: PathBuf, ops: Vec<String> },

    #[error("{path}: {reason}")]
    BadInput { path: PathBuf, reason: String },

    #[error("node `{node}`: value {value} is outside the calibrated range ±{bound}; recalibrate with inputs that cover this one (zkinfer compile --input ...)")]
    OutOfRange { node: String, value: f64, bound: f64 },

    #[error("node `{node}`: input {value} is outside its lookup table's calibrated range [{lo}, {hi}]; recalibrate with inputs that cover this one (zkinfer compile --input ...)")]
    OutsideTable { node: String, value: f64, lo: f64, hi: f64 },

    /// Boxed: the miss carries both values and its explanation, and every `Result` of the
    /// crate would otherwise be as large as it.
    #[error(transparent)]
    Fidelity(Box<FidelityMiss>),

    /// The integer model strays so far from the float one on a calibration input that a range
    /// check or a table bound refuses it: no proof of the model's own calibration input exists.
    #[error("{path}: the compiled circuit refuses its own {sample}: {reason}; its fixed point strays from the model before that node: compile with --target accuracy or a larger --scale-bits, and see docs/fidelity.md")]
    CalibrationRefused { path: PathBuf, sample: String, reason: String },

    #[error("{what} not found in {dir}: run `{hint}` first")]
    MissingArtifact { what: String, dir: PathBuf, hint: String },

    #[error("proof rejected: {0}")]
    Verify(String),

    #[error("circuit does not fit: {0}")]
    Layout(String),

    #[error("solidity compilation failed: {0}")]
    Solc(String),

    #[error("chain: {0}")]
    Chain(String),

    #[error("chain: {url} serves chain {got}, not chain {expected}: {hint}")]
    WrongChain { url: String, expected: u64, got: u64, hint: String },

    #[error("chain: account {account} holds {balance} wei, not enough for {what}{detail}: fund the account or use another key")]
    InsufficientFunds { account: String, what: String, balance: String, detail: String },

    #[error("chain: {what} reverted: {reason}")]
    Reverted { what: String, reason: String },

    #[error("chain: RPC {url}: {what} failed{}: {reason}", if *attempts > 1 { format!(" after {attempts} attempts") } else { String::new() })]
    Rpc { url: String, what: String, reason: String, attempts: u32 },

    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

/// Where the compiled circuit leaves the model (`Error::Fidelity`): the sample, the position,
/// both values, the cause and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{path}: the compiled circuit does not compute the model on {sample}: output `{output}` position {position} is {ours:.6} where the model computes {reference:.6} (tolerance {tolerance:.4}); {cause}; {hint}")]
pub struct FidelityMiss {
    pub path: PathBuf,
    pub sample: String,
    pub output: String,
    pub position: usize,
    pub ours: f64,
    pub reference: f64,
    pub tolerance: f64,
    pub cause: String,
    pub hint: String,
}
