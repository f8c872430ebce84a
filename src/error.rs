//! One error type for the library, so the CLI can print every failure as "what went wrong, where,
//! and what to do next" instead of a panic or a bare `io::Error`.

use std::path::PathBuf;

/// Every failure the library reports; its `Display` is the message the CLI prints (one line,
/// naming the file, node, flag or value, and ending with what to do next), and
/// [`Error::exit_code`] sorts it into the classes `docs/errors.md` documents.
///
/// `#[non_exhaustive]`: new failure kinds get their own variant rather than a string in an
/// existing one, without breaking callers that match.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// "read", "write", "create" or "lock": the message says which.
        action: &'static str,
        /// The file the operation was on, so the message names it (a bare `io::Error` does not).
        path: PathBuf,
        /// The underlying OS error.
        source: std::io::Error,
    },

    /// A JSON file (input, settings, proof...) that does not parse as what it should be.
    #[error("{path}: not a valid {what}: {source}{hint}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What it should hold ("zkinfer proof file", "input file (EZKL format)", ...).
        what: &'static str,
        /// serde's error, with line and column.
        source: serde_json::Error,
        /// What to do, with a leading "; " (empty when the message says enough).
        hint: String,
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

    /// tract could not run the model it typed (the float reference every compile checks against).
    #[error("tract, zkinfer's ONNX reader, could not {what}: {source}; if onnxruntime runs this model, please report it with the model")]
    Tract {
        /// What tract was asked to do ("plan the model", "run the model on input 0", ...).
        what: String,
        /// tract's error, with its cause chain.
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("{path}: unsupported ONNX operations: {}; zkinfer proves affine ops (Gemm, MatMul, Conv, pooling, slicing…), products, max/min/relu kinks and pointwise functions (by lookup table); docs/conformance.md lists the models that work", ops.join(", "))]
    /// The model uses ONNX operations zkinfer has no circuit for; all of them are listed at once.
    Unsupported {
        /// The model file.
        path: PathBuf,
        /// The op names, so the user sees every blocker in one run rather than one per attempt.
        ops: Vec<String>,
    },

    /// The model's values cannot be held in the circuit's fixed point (activations too large, a
    /// lookup input too wide, a pointwise function leaving the range on its calibrated inputs).
    #[error("{}{reason}", node.as_ref().map(|n| format!("node `{n}`: ")).unwrap_or_default())]
    Quantise {
        /// The node, when one is to blame.
        node: Option<String>,
        /// What does not fit and what to do, phrased for the user.
        reason: String,
    },

    #[error("{path}: {reason}")]
    /// A user-supplied file (input JSON, calibration set, ...) is readable but its content is wrong.
    BadInput {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it, phrased for the user.
        reason: String,
    },

    /// Input values the model cannot take (count, shape or range), found before the file they
    /// came from is known: `pipeline` turns it into [`Error::BadInput`] naming the file.
    #[error("inputs: {0}")]
    Inputs(String),

    /// A command-line flag (or the environment variable standing for one) is wrong or missing.
    #[error("{flag}: {reason}")]
    Usage {
        /// The flag, as typed (`--feed`, `PRIVATE_KEY`, ...).
        flag: String,
        /// What is wrong and what to give instead.
        reason: String,
    },

    /// A value in a file or on the command line that does not parse (hex, field element, address).
    #[error("{what} {value:?} {reason}")]
    Value {
        /// What the value is ("proof", "public value 3", "model_commitment", ...).
        what: String,
        /// The value as given, cut to 80 characters.
        value: String,
        /// Why it is refused, phrased for the user.
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
    /// A build artifact an earlier command produces is absent: the user ran the steps out of order.
    MissingArtifact {
        /// The artifact, described for the user (file name included).
        what: String,
        /// The build directory it was looked for in.
        dir: PathBuf,
        /// The command that produces it.
        hint: String,
    },

    /// A build artifact made by another build (or another zkinfer format) than the one it is
    /// used with; found from its header before any heavy work.
    #[error("{path}: {what} was made for {made_for}, but this build is {this}: {hint}")]
    StaleArtifact {
        /// The artifact file.
        path: PathBuf,
        /// What it is ("proving key", "proof", ...).
        what: &'static str,
        /// The build (or format) it names.
        made_for: String,
        /// The build (or format) it is used with.
        this: String,
        /// The command that makes a matching one.
        hint: String,
    },

    /// Another zkinfer run holds the build directory.
    #[error("{dir} is in use by another zkinfer run ({holder}): wait for it to finish, then run this again")]
    Busy {
        /// The build directory.
        dir: PathBuf,
        /// What holds it, as far as the lock file says.
        holder: String,
    },

    #[error("proof rejected: {check}{}", source.as_ref().map(|e| format!(" (halo2: {e:?})")).unwrap_or_default())]
    /// A proof failed verification (natively or on chain).
    Verify {
        /// Which check refused it, phrased for the user.
        check: String,
        /// halo2's own error when its verifier refused it (the pairing, the transcript).
        source: Option<halo2_proofs::plonk::Error>,
    },

    #[error("circuit does not fit: {0}")]
    /// The circuit cannot be laid out within the allowed rows or columns.
    Layout(String),

    /// A generated contract is over EIP-170's limit on runtime code, so no chain would take it.
    #[error("{contract} is {size} bytes of runtime code, over the EIP-170 limit of {limit}: recompile with fewer columns (--lanes 3) or, with hashed weights, fewer sponge groups")]
    TooLarge {
        /// The contract.
        contract: String,
        /// Its runtime size in bytes.
        size: usize,
        /// EIP-170's limit.
        limit: usize,
    },

    /// An external program zkinfer needs (solc, anvil) is not installed or does not start.
    #[error("{tool} {problem}: {hint}")]
    Tool {
        /// The program.
        tool: &'static str,
        /// "not found", or why it did not start.
        problem: String,
        /// How to install it or point zkinfer at it.
        hint: &'static str,
    },

    #[error("chain: {0}")]
    /// The chain holds something else than the command needs (a feed short of rounds, a
    /// deployment of another build, an answer that does not decode).
    Chain(String),

    /// A signing key that does not parse or decrypt, or none where one is needed.
    #[error("signing key: {0}")]
    Key(String),

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

    /// halo2 refused to make keys or a proof for a circuit zkinfer built: a zkinfer bug.
    #[error("internal error: halo2 could not {stage}: {source}; this is a zkinfer bug: please report it with the model and settings.json")]
    Halo2 {
        /// "generate the verifying key", "prove", ...
        stage: &'static str,
        /// halo2's error.
        source: halo2_proofs::plonk::Error,
    },

    /// solc refused a contract zkinfer generated: a zkinfer bug.
    #[error("internal error: solc could not compile the generated contracts: {0}; this is a zkinfer bug: please report it with settings.json")]
    Solc(String),

    /// Something zkinfer guarantees itself did not hold: a bug, never the user's input.
    #[error("internal error: {0}; this is a zkinfer bug: please report it with the model")]
    Internal(String),
}

impl Error {
    /// An [`Error::Verify`] of a check of zkinfer's own (counts, lengths, points), with no halo2 source.
    pub fn rejected(check: impl Into<String>) -> Self {
        Error::Verify { check: check.into(), source: None }
    }
}

/// The process exit codes of the `zkinfer` binary, one per class of [`Error`] (`docs/errors.md`).
pub mod exit {
    /// A flag is wrong or missing (also clap's own code for a bad command line).
    pub const USAGE: i32 = 2;
    /// A file the user gave (model, input, proof, key, build directory) is wrong, missing or stale.
    pub const BAD_INPUT: i32 = 3;
    /// The model cannot be compiled: unsupported ops, values that do not fit, a circuit too large.
    pub const UNSUPPORTED_MODEL: i32 = 4;
    /// A proof was checked and rejected.
    pub const VERIFICATION_FAILED: i32 = 5;
    /// The chain or its node refused, failed or holds something else than expected.
    pub const CHAIN: i32 = 6;
    /// A program zkinfer needs (solc, anvil) is missing.
    pub const MISSING_TOOL: i32 = 7;
    /// A zkinfer bug (a panic included).
    pub const INTERNAL: i32 = 70;
    /// Interrupted (Ctrl-C); nothing half-written is left.
    pub const INTERRUPTED: i32 = 130;
    /// Terminated (SIGTERM: `kill`, a CI timeout); nothing half-written is left.
    pub const TERMINATED: i32 = 143;
}

/// The crate's result type, [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`] for a failed read of `path`; for `map_err` on file operations.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action: "read", path: path.into(), source }
    }

    /// An [`Error::Io`] for a failed write (or create, rename) of `path`.
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action: "write", path: path.into(), source }
    }

    /// A [`Error::Value`], with the value cut so a megabyte of junk does not become the message.
    pub fn value(what: impl Into<String>, value: &str, reason: impl Into<String>) -> Self {
        let mut v: String = value.chars().take(80).collect();
        if v.len() < value.len() {
            v.push('…');
        }
        Error::Value { what: what.into(), value: v, reason: reason.into() }
    }

    /// The class of the failure, as the process exit code the CLI returns for it.
    pub fn exit_code(&self) -> i32 {
        use Error::*;
        match self {
            Usage { .. } => exit::USAGE,
            Io { .. } | Json { .. } | MalformedOnnx { .. } | BadInput { .. } | Inputs(_) | Value { .. } => {
                exit::BAD_INPUT
            }
            OutOfRange { .. } | OutsideTable { .. } | MissingArtifact { .. } | StaleArtifact { .. } | Busy { .. } => {
                exit::BAD_INPUT
            }
            Key(_) => exit::BAD_INPUT,
            Import { .. } | Tract { .. } | Unsupported { .. } | Quantise { .. } | Fidelity(_) => {
                exit::UNSUPPORTED_MODEL
            }
            CalibrationRefused { .. } | Layout(_) | TooLarge { .. } => exit::UNSUPPORTED_MODEL,
            Verify { .. } => exit::VERIFICATION_FAILED,
            Chain(_) | WrongChain { .. } | InsufficientFunds { .. } | Reverted { .. } | Rpc { .. } => exit::CHAIN,
            Tool { .. } => exit::MISSING_TOOL,
            Halo2 { .. } | Solc(_) | Internal(_) => exit::INTERNAL,
        }
    }

    /// A tract failure, keeping tract's error (and its causes) as the source.
    pub fn tract(what: impl Into<String>, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Tract { what: what.into(), source: e.into() }
    }
}

/// Runs `f`, turning a panic into `Err` with its message kept off the terminal, on this thread
/// only (the hook stays installed; a thread-local flag silences it), so a panic elsewhere in the
/// process still reports. halo2's key reader unwraps its short reads, and tract panics outside
/// an op's domain: the caller says what that means instead.
pub fn without_panic_output<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    use std::cell::Cell;
    thread_local! { static QUIET: Cell<bool> = const { Cell::new(false) }; }
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info)
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    result
}

/// The text a panic carried (`panic!("...")` gives a `&str` or a `String`), if any.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned())
}

/// A tool's message (solc's, a node's) as one line: colour codes dropped, lines and runs of
/// spaces joined, so the CLI's one-line error stays one line.
pub fn one_line(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, ending at a letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// `text` cut to 160 characters: a tool that answers with a page (a program that is not solc
/// prints its own help) or a list of a thousand values would bury the sentence around it.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(160) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
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
