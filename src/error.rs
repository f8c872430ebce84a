//! One error type for the library, so the CLI can print every failure as "what went wrong, where,
//! and what to do next" instead of a panic or a bare `io::Error`.

use std::path::PathBuf;

/// Every failure the library reports; its `Display` is the message the CLI prints, ending with what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file the operation was on, so the message names it (a bare `io::Error` does not).
        path: PathBuf,
        /// The underlying OS error.
        source: std::io::Error,
    },

    #[error("{path}: not a valid ONNX model ({reason}); re-export it with torch.onnx.export or onnx.save")]
    /// The file does not decode as an ONNX protobuf at all: the fix is to re-export it.
    MalformedOnnx {
        /// The model file.
        path: PathBuf,
        /// The decoder's complaint.
        reason: String,
    },

    /// A file that parses as ONNX but that tract (zkinfer's ONNX reader) could not type: a
    /// limitation of the reader, not a fault of the file.
    #[error("{path}: tract, zkinfer's ONNX reader, could not {stage}{}: {reason}; the file parses as ONNX, so if onnxruntime runs it this is a limitation of the importer: please report it with the model (exporting with fixed input shapes, or through onnxsim, may avoid it)", node.as_ref().map(|n| format!(" at node `{n}`")).unwrap_or_default())]
    Import {
        /// The model file.
        path: PathBuf,
        /// What tract was doing when it failed, as a verb phrase ("find the inputs", ...).
        stage: String,
        /// The failing node as named in the ONNX file, when tract's message identifies one.
        node: Option<String>,
        /// Tract's cause chain, first line of each cause, truncated to 400 characters.
        reason: String,
    },

    #[error("{path}: unsupported ONNX operations: {}; zkinfer proves affine ops (Gemm, MatMul, Conv, pooling, slicing…), products, max/min/relu kinks and pointwise functions (by lookup table); docs/conformance.md lists the models that work", ops.join(", "))]
    /// The model uses ONNX operations zkinfer has no circuit for; all of them are listed at once.
    Unsupported {
        /// The model file.
        path: PathBuf,
        /// The op names, so the user sees every blocker in one run rather than one per attempt.
        ops: Vec<String>,
    },

    #[error("{path}: {reason}")]
    /// A user-supplied file (input JSON, calibration set, ...) is readable but its content is wrong.
    BadInput {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it, phrased for the user.
        reason: String,
    },

    #[error("node `{node}`: value {value} is outside the calibrated range ±{bound}; recalibrate with inputs that cover this one (zkinfer compile --input ...)")]
    /// An intermediate value of the integer model exceeds its node's range check, so no proof of this input exists.
    OutOfRange {
        /// The graph node whose range check refuses the value.
        node: String,
        /// The value, dequantised to real units.
        value: f64,
        /// The calibrated bound (real units); the check accepts `|value| <= bound`.
        bound: f64,
    },

    #[error("node `{node}`: input {value} is outside its lookup table's calibrated range [{lo}, {hi}]; recalibrate with inputs that cover this one (zkinfer compile --input ...)")]
    /// A lookup node's input falls outside its table, so the lookup argument cannot be satisfied.
    OutsideTable {
        /// The lookup node.
        node: String,
        /// The input, dequantised to real units.
        value: f64,
        /// The table's first input (real units).
        lo: f64,
        /// The table's last input (real units).
        hi: f64,
    },

    /// Boxed: the miss carries both values and its explanation, and every `Result` of the
    /// crate would otherwise be as large as it.
    #[error(transparent)]
    /// The compiled circuit computes something else than the model on some input (see [`FidelityMiss`]).
    ///
    /// Boxed: the miss carries both values and its explanation, and every `Result` of the
    /// crate would otherwise be as large as it.
    Fidelity(Box<FidelityMiss>),

    /// The integer model strays so far from the float one on a calibration input that a range
    /// check or a table bound refuses it: no proof of the model's own calibration input exists.
    #[error("{path}: the compiled circuit refuses its own {sample}: {reason}; its fixed point strays from the model before that node: compile with --target accuracy or a larger --scale-bits, and see docs/fidelity.md")]
    CalibrationRefused {
        /// The model file.
        path: PathBuf,
        /// Which calibration input is refused, as named in messages ("calibration input 3", ...).
        sample: String,
        /// The integer model's own error on it, without the "recalibrate" hint (it cannot help here).
        reason: String,
    },

    #[error("{what} not found in {dir}: run `{hint}` first")]
    /// A build artifact an earlier command produces is absent (or stale): the user ran the steps out of order.
    MissingArtifact {
        /// The artifact, described for the user (file name included).
        what: String,
        /// The build directory it was looked for in.
        dir: PathBuf,
        /// The command that produces it.
        hint: String,
    },

    #[error("proof rejected: {0}")]
    /// A proof failed verification (natively or on chain); the string says which check.
    Verify(String),

    #[error("circuit does not fit: {0}")]
    /// The circuit cannot be laid out within the allowed rows or columns.
    Layout(String),

    #[error("solidity compilation failed: {0}")]
    /// `solc` is missing or rejected the generated verifier; the string carries its output.
    Solc(String),

    #[error("chain: {0}")]
    /// A chain-side failure with no more specific variant (bad address, missing contract, ...).
    Chain(String),

    #[error("chain: {url} serves chain {got}, not chain {expected}: {hint}")]
    /// The RPC endpoint serves another chain than the one asked for (or deployed to): refused before any transaction.
    WrongChain {
        /// The RPC endpoint.
        url: String,
        /// The chain id the caller asked for or deployed on.
        expected: u64,
        /// The chain id the endpoint reports.
        got: u64,
        /// What to change to reach the intended chain.
        hint: String,
    },

    #[error("chain: account {account} holds {balance} wei, not enough for {what}{detail}: fund the account or use another key")]
    /// The sending account cannot pay for a transaction, detected before sending or from the node's refusal.
    InsufficientFunds {
        /// The sender's address.
        account: String,
        /// The transaction that could not be paid for.
        what: String,
        /// The account's balance in wei, as a decimal string (it may exceed `u128`).
        balance: String,
        /// The estimated cost, pre-formatted with a leading space, or empty when not estimated.
        detail: String,
    },

    #[error("chain: {what} reverted: {reason}")]
    /// A call or transaction reverted; a view that reverts may mean "no data", so callers match on this variant.
    Reverted {
        /// The call or transaction (with its hash once mined).
        what: String,
        /// The revert reason, with the contract's custom error decoded when it is known.
        reason: String,
    },

    #[error("chain: RPC {url}: {what} failed{}: {reason}", if *attempts > 1 { format!(" after {attempts} attempts") } else { String::new() })]
    /// The RPC endpoint failed (transport error or node refusal) after the retries transient failures get.
    Rpc {
        /// The RPC endpoint.
        url: String,
        /// The request that failed.
        what: String,
        /// The transport's or node's message; `retry` matches on it to classify the failure.
        reason: String,
        /// How many times the request was sent; the message mentions it when above one.
        attempts: u32,
    },

    #[error("{0}")]
    /// Anything else, already phrased as the full message.
    Other(String),
}

/// The crate's result type, [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`] naming `path`; for `map_err` on file operations.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

/// Where the compiled circuit leaves the model (`Error::Fidelity`): the sample, the position,
/// both values, the cause and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{path}: the compiled circuit does not compute the model on {sample}: output `{output}` position {position} is {ours:.6} where the model computes {reference:.6} (tolerance {tolerance:.4}); {cause}; {hint}")]
pub struct FidelityMiss {
    /// The model file.
    pub path: PathBuf,
    /// Which input shows the miss (a random sample's name, with its seed, so it can be replayed).
    pub sample: String,
    /// The model output that differs.
    pub output: String,
    /// The flat (row-major) index of the first differing element in that output.
    pub position: usize,
    /// The integer model's value there, dequantised: what a proof would attest.
    pub ours: f64,
    /// Tract's float value there.
    pub reference: f64,
    /// The absolute tolerance the difference exceeded (`TOLERANCE` scaled by the output's magnitude).
    pub tolerance: f64,
    /// Why they differ, as far as the check could tell (a misread op, or fixed point losing the value).
    pub cause: String,
    /// What the user can do about it.
    pub hint: String,
}
