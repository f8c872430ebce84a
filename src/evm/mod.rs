//! Solidity generation and compilation: the verifier contract for one model, and the hand-written
//! consumer (`contracts/VerifiedInference.sol`) it is deployed with.

pub mod accumulator;
pub mod aggregate;
pub mod domain;
pub mod gates;
pub mod identities;
pub mod key;
pub mod msm;
pub mod parts;
pub mod plan;
pub mod proof_shape;
pub mod shplonk;
pub mod skeleton;
pub mod split;
#[cfg(test)]
mod test_circuit;
pub mod transcript;
pub mod verifier;
pub mod yul;

use crate::circuit::privacy::{Visibility, WeightsMode};
use crate::compile::Settings;
use crate::error::{Error, Result};
use foundry_compilers::artifacts::{SolcInput, Source, Sources};
use foundry_compilers::solc::Solc;
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use std::path::{Path, PathBuf};

/// EIP-170: the largest runtime bytecode a contract may have.
pub const EIP170_LIMIT: usize = 24_576;

/// The hand-written contracts compiled with every verifier (file name, source): the interface,
/// the packed public values' library, the consumers, and the price feed the on-chain input
/// binding reads.
pub const HANDWRITTEN: [(&str, &str); 16] = [
    ("IZkinferVerifier.sol", include_str!("../../contracts/IZkinferVerifier.sol")),
    ("TwoStepOwnable.sol", include_str!("../../contracts/TwoStepOwnable.sol")),
    ("PublicValues.sol", include_str!("../../contracts/PublicValues.sol")),
    ("InferenceConsumer.sol", include_str!("../../contracts/InferenceConsumer.sol")),
    ("VerifiedInference.sol", include_str!("../../contracts/VerifiedInference.sol")),
    ("AggregatorV3Interface.sol", include_str!("../../contracts/AggregatorV3Interface.sol")),
    ("MockPriceFeed.sol", include_str!("../../contracts/MockPriceFeed.sol")),
    ("FeedWindow.sol", include_str!("../../contracts/FeedWindow.sol")),
    ("FeedBoundInference.sol", include_str!("../../contracts/FeedBoundInference.sol")),
    ("RiskTiers.sol", include_str!("../../contracts/RiskTiers.sol")),
    ("ForecastVault.sol", include_str!("../../contracts/ForecastVault.sol")),
    ("ModelRegistry.sol", include_str!("../../contracts/ModelRegistry.sol")),
    ("RegisteredInference.sol", include_str!("../../contracts/RegisteredInference.sol")),
    ("IAggregateVerifier.sol", include_str!("../../contracts/IAggregateVerifier.sol")),
    ("BatchInference.sol", include_str!("../../contracts/BatchInference.sol")),
    ("BatchForecastVault.sol", include_str!("../../contracts/BatchForecastVault.sol")),
];

/// Words solc reserves, which no contract may be named (the ones a user might try).
const RESERVED: [&str; 24] = [
    "contract",
    "library",
    "interface",
    "function",
    "modifier",
    "event",
    "error",
    "struct",
    "enum",
    "mapping",
    "address",
    "bool",
    "string",
    "bytes",
    "uint",
    "int",
    "this",
    "super",
    "return",
    "import",
    "pragma",
    "new",
    "delete",
    "type",
];

/// `uint256`, `int8`, `bytes32`, `fixed128x18`...: Solidity's elementary type names, which solc
/// reserves however they are sized.
fn elementary_type(name: &str) -> bool {
    ["uint", "int", "bytes", "ufixed", "fixed"].iter().any(|t| {
        name.strip_prefix(t)
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == 'x'))
    })
}

/// Refuses a `--name` solc would reject or that would clash with a hand-written contract, before
/// anything is loaded or written: solc's own message arrives late, many lines long.
pub fn check_contract_name(name: &str) -> crate::error::Result<()> {
    let mut chars = name.chars();
    let ident = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    let taken = HANDWRITTEN.iter().any(|(file, _)| file.trim_end_matches(".sol") == name);
    let reason = if !ident || name.len() > 64 {
        "is not a Solidity identifier: give letters, digits and _ (not first a digit), e.g. MyModelVerifier"
    } else if RESERVED.contains(&name) || elementary_type(name) || name.chars().all(|c| c == '_') {
        "is a Solidity keyword: give another contract name, e.g. MyModelVerifier"
    } else if taken {
        "is the name of one of zkinfer's own contracts: give another, e.g. MyModelVerifier"
    } else {
        return Ok(());
    };
    let shown: String = name.chars().take(40).collect();
    Err(crate::error::Error::Usage { flag: "--name".into(), reason: format!("{shown:?} {reason}") })
}

/// A rendered verifier: its contract name, Solidity source and the proof length it accepts.
pub struct VerifierSource {
    /// The contract's Solidity name.
    pub name: String,
    /// The key contract's name (`<name>Key`, in the same source), when the key is data: deploy
    /// it first and give its address to the verifier's constructor.
    pub key_contract: Option<String>,
    /// The identities contract's name (`<name>Identities`, in the same source), when the
    /// identities run there: deploy it before the verifier and give its address as the second
    /// constructor argument.
    pub identities_contract: Option<String>,
    /// The source the identities contract's code was compiled from (`<name>IdentitiesCode`),
    /// written beside the verifier for review.
    pub identities_source: Option<String>,
    /// The key contract's runtime code, as its deployer returns it.
    pub key_code: Option<Vec<u8>>,
    /// The identities contract's runtime code, as its deployer returns it.
    pub identities_code: Option<Vec<u8>>,
    /// The Solidity source, to be compiled with the `HANDWRITTEN` contracts.
    pub source: String,
    /// Bytes a proof must have for this verifier.
    pub proof_len: usize,
}

/// Renders the verifier contract for a model, its key written in (`Placement::Inline`), in a
/// key contract of its own beside it (`Placement::Contract`), and its identities too in a
/// contract of their own (`Placement::Split`, which compiles that contract here).
pub fn verifier_solidity(
    name: &str,
    settings: &Settings,
    vk: &VerifyingKey<G1Affine>,
    params: &ParamsKZG<Bn256>,
    placement: key::Placement,
) -> Result<VerifierSource> {
    let num_instances = settings.num_instances.max(settings.num_public_inputs + settings.num_outputs);
    let data = match placement {
        key::Placement::Inline => None,
        key::Placement::Contract | key::Placement::Split => {
            Some(key::KeyData::of(vk, &settings.model_hash, settings.model_commitment.as_deref())?)
        }
    };
    let split = placement == key::Placement::Split;
    let g = verifier::generate(&verifier::VerifierSpec {
        vk,
        params,
        num_instances,
        key: data.as_ref(),
        split,
        accumulator: false,
    });
    let parts = parts::Parts::of(name, &g, data.as_ref())?;
    // Hashed weights: the last public value must be this model's commitment. The verifying key
    // is the architecture's; this constant is what makes the contract this model's.
    let (commitment, commitment_check) = match &settings.model_commitment {
        Some(c) => {
            let expected = match g.key_mem {
                Some(at) => format!("mload({:#x})", at + 32 * key::COMMITMENT),
                None => "MODEL_COMMITMENT".into(),
            };
            (c.clone(), format!("eq(calldataload(add(instances.offset, {:#x})), {expected})", 32 * (num_instances - 1)))
        }
        None => ("0x0".into(), "1".into()),
    };
    let binds = Binding::of(settings);
    let source = skeleton::render_contract(&skeleton::Contract {
        version: env!("CARGO_PKG_VERSION"),
        model: &settings.model,
        k: settings.k,
        header: binds.header(),
        name,
        model_hash: &settings.model_hash,
        commitment,
        weights_mode: binds.weights_mode,
        input_visibility: binds.input_visibility,
        output_visibility: binds.output_visibility,
        salted: settings.salted,
        num_public_inputs: settings.num_public_inputs,
        num_outputs: settings.num_outputs,
        scale_bits: settings.scale_bits,
        num_input_values: settings.input_values(),
        num_output_values: settings.output_values(),
        pack_bits: crate::circuit::packed::bits(settings.scale_bits),
        proof_length: g.proof_len,
        num_instances,
        commitment_check,
        functions: g.functions,
        body: g.body,
        r: crate::field::MODULUS_HEX,
        key: parts.key.as_ref(),
        identities: parts.identities.as_ref(),
    });
    Ok(parts.source(name, source, g.proof_len))
}

/// The settings an architecture verifier (`WEIGHTS_REGISTERED`) is generated from: a
/// hashed-weights build's, with `MODEL_HASH` the architecture's (`ModelIdentity::architecture_hash`)
/// and no `MODEL_COMMITMENT`. Its proofs still end with the weights commitment; checking it is
/// left to the caller (a `ModelRegistry` entry), so one deployment serves every weight set.
pub fn registered(settings: &Settings, vk: &VerifyingKey<G1Affine>) -> Result<Settings> {
    if settings.weights_visibility != WeightsMode::Hashed {
        return Err(Error::Usage {
            flag: "--registered".into(),
            reason: format!(
                "serves the weight sets of a --weights hashed build; this one has {:?} weights: recompile with --weights hashed",
                settings.weights_visibility
            )
            .to_lowercase(),
        });
    }
    let mut out = Settings { registered: true, model_commitment: None, ..settings.clone() };
    let repr = crate::field::be_word(vk.transcript_repr().to_repr());
    out.model_hash = format!("0x{}", hex::encode(out.model_identity(repr).architecture_hash()));
    Ok(out)
}

/// The verifier in the first layout from `least` on (`Placement::next`) whose every contract
/// fits EIP-170, compiled, with the hand-written consumers when `with_consumers`. A contract
/// other than the verifier over the limit, or the verifier over it in the last layout, is a
/// `TooLarge` error naming it.
pub fn fit(
    name: &str,
    settings: &Settings,
    vk: &VerifyingKey<G1Affine>,
    params: &ParamsKZG<Bn256>,
    least: key::Placement,
    with_consumers: bool,
) -> Result<(VerifierSource, Vec<CompiledContract>)> {
    fit_with(name, least, with_consumers, |placement| verifier_solidity(name, settings, vk, params, placement))
}

/// [`fit`] for any verifier `render` lays out (a model's, an aggregate's).
pub fn fit_with(
    name: &str,
    least: key::Placement,
    with_consumers: bool,
    render: impl Fn(key::Placement) -> Result<VerifierSource>,
) -> Result<(VerifierSource, Vec<CompiledContract>)> {
    let mut placement = least;
    loop {
        let verifier = render(placement)?;
        let contracts = if with_consumers {
            compile_with_consumer(&verifier)?
        } else {
            compile(&[("Verifier.sol", verifier.source.as_str())])?
        };
        let over = contracts.iter().find(|c| c.runtime_size > EIP170_LIMIT);
        match (over, placement.next()) {
            (None, _) => return Ok((verifier, contracts)),
            (Some(c), Some(next)) if c.name == name => placement = next,
            (Some(c), _) => {
                return Err(Error::TooLarge { contract: c.name.clone(), size: c.runtime_size, limit: EIP170_LIMIT })
            }
        }
    }
}

/// What a verifier binds, as its constants say (`WEIGHTS_MODE`, `INPUT_VISIBILITY`,
/// `OUTPUT_VISIBILITY`; the numbering of `contracts/IZkinferVerifier.sol`) and in words.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Binding {
    /// The verifier's `WEIGHTS_MODE`: 0 fixed, 1 hashed, 2 private.
    pub weights_mode: u8,
    /// The verifier's `INPUT_VISIBILITY`: 0 public, 1 hashed, 2 private, 3 packed.
    pub input_visibility: u8,
    /// The verifier's `OUTPUT_VISIBILITY`: 0 public, 1 hashed, 2 private, 3 packed.
    pub output_visibility: u8,
    /// The verifier's `SALTED`: whether hashed inputs/outputs absorb a salt.
    pub salted: bool,
    /// The weights: "fixed", "hashed" or "private".
    pub weights: String,
    /// The inputs: "public", "hashed" or "private", with ", salted" when hashed with a salt.
    pub inputs: String,
    /// The outputs: "public", "hashed" or "private", with ", salted" when hashed with a salt.
    pub outputs: String,
    /// False for private weights: the verifier accepts a proof made with any weights of the
    /// architecture, so it says nothing about which model ran.
    pub binds_weights: bool,
    /// One line per part: what a proof accepted by the verifier shows about it.
    pub statement: Vec<String>,
}

impl Binding {
    /// What a verifier built with these settings binds; the numbering matches the generated constants.
    pub fn of(settings: &Settings) -> Binding {
        let id = settings.model_identity([0; 32]);
        let name = |v: Visibility| format!("{v:?}").to_lowercase();
        let salt = if settings.salted { ", salted" } else { "" };
        let weights_line = match settings.weights_visibility {
            WeightsMode::Hashed if settings.registered => "weights: REGISTERED - private; the last public value is their Poseidon commitment, which this contract does NOT check: a consumer must check it against a ModelRegistry entry (RegisteredInference does)".to_string(),
            WeightsMode::Fixed => "weights: FIXED - the verifying key's fixed-column commitments bind these weights; a proof made with other weights is rejected".to_string(),
            WeightsMode::Hashed => "weights: HASHED - private, bound by MODEL_COMMITMENT (their Poseidon commitment, the last public value); a proof made with other weights is rejected".to_string(),
            WeightsMode::Private => "weights: PRIVATE - bound to NOTHING: any weights of this architecture verify, so a prover can choose weights that give any output; the contract proves only that some model of this shape maps the inputs to the outputs".to_string(),
        };
        let weights_mode = id.weights_mode;
        let part = |what: &str, v: Visibility| {
            match v {
            Visibility::Public => format!("{what}: PUBLIC - the values themselves are public values"),
            Visibility::Packed | Visibility::Auto => format!("{what}: PACKED - the values themselves, several to a public value (PACK_BITS each, lowest first)"),
            Visibility::Hashed => format!("{what}: HASHED{salt} - one public value, the Poseidon commitment of the values; the values stay private"),
            Visibility::Private => format!("{what}: PRIVATE - not public: the proof shows that SOME {what} gives the outputs"),
        }
        };
        Binding {
            weights_mode,
            input_visibility: id.input_visibility,
            output_visibility: id.output_visibility,
            salted: settings.salted,
            weights: format!("{:?}", settings.weights_visibility).to_lowercase(),
            inputs: format!(
                "{}{}",
                name(settings.input_visibility),
                if settings.input_visibility == Visibility::Hashed { salt } else { "" }
            ),
            outputs: format!(
                "{}{}",
                name(settings.output_visibility),
                if settings.output_visibility == Visibility::Hashed { salt } else { "" }
            ),
            binds_weights: settings.weights_visibility != WeightsMode::Private,
            statement: vec![
                weights_line,
                part("inputs", settings.input_visibility),
                part("outputs", settings.output_visibility),
            ],
        }
    }

    /// The verifier's header comment: one `// - ` line per part.
    fn header(&self) -> String {
        let mut out = String::new();
        for line in &self.statement {
            let mut first = true;
            for chunk in wrap(line, 94) {
                out.push_str(if first { "// - " } else { "//   " });
                out.push_str(&chunk);
                out.push('\n');
                first = false;
            }
        }
        out
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![];
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// How to get a solc zkinfer can use.
const SOLC_HINT: &str =
    "run `make deps` (installs solc-js behind tools/solc), or set ZKINFER_SOLC to a solc 0.8 binary";

/// Where solc comes from: `ZKINFER_SOLC`, else the project's solc-js wrapper (`tools/solc`,
/// installed by `make deps`), else a native `solc` on PATH.
pub fn find_solc() -> Result<PathBuf> {
    if let Ok(p) = std::env::var("ZKINFER_SOLC") {
        return Ok(PathBuf::from(p));
    }
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/solc");
    if wrapper.exists() && Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/solc").exists() {
        return Ok(wrapper);
    }
    which("solc").ok_or_else(|| Error::Tool { tool: "solc", problem: "not found".into(), hint: SOLC_HINT })
}

fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(bin)).find(|p| p.is_file()))
}

/// One contract as solc compiled it.
#[derive(Clone, Debug)]
pub struct CompiledContract {
    /// The contract name.
    pub name: String,
    /// Creation code: what a deployment transaction sends.
    pub bytecode: Vec<u8>,
    /// Deployed (runtime) code size in bytes, to check against `EIP170_LIMIT` before deploying.
    pub runtime_size: usize,
    /// The deployed (runtime) code, with zeros where the constructor writes immutables.
    pub runtime: Vec<u8>,
    /// Where the constructor writes immutables into `runtime`: (offset, length) in bytes.
    pub immutables: Vec<(usize, usize)>,
}

impl CompiledContract {
    /// Whether `deployed` (code read from a chain) is this contract's runtime, whatever its
    /// constructor wrote into the immutables.
    pub fn runs_as(&self, deployed: &[u8]) -> bool {
        if deployed.len() != self.runtime.len() {
            return false;
        }
        let mut masked = deployed.to_vec();
        for &(at, len) in &self.immutables {
            masked.get_mut(at..at + len).into_iter().flatten().for_each(|b| *b = 0);
        }
        masked == self.runtime
    }
}

/// Compiles sources (file name → text) with the optimizer on; returns every contract's creation
/// code and runtime size.
pub fn compile(sources: &[(&str, &str)]) -> Result<Vec<CompiledContract>> {
    compile_with(sources, false).map(|(contracts, _)| contracts)
}

/// `compile`, and the solc version that compiled. `bare`: the Yul optimizer off and no metadata
/// appended. Off, inline assembly is kept as written (the legacy optimizer still runs):
/// straight-line code that keeps every value in memory gains nothing from it, and on a long
/// such block its common-subexpression pass can keep more values on the stack than the EVM
/// reaches ("stack too deep"). Without metadata the code is what runs, and nothing else: a
/// reviewer who compiles the same source with the same version and settings gets its bytes.
pub fn compile_with(sources: &[(&str, &str)], bare: bool) -> Result<(Vec<CompiledContract>, String)> {
    let path = find_solc()?;
    let solc = Solc::new(&path).map_err(|e| Error::Tool {
        tool: "solc",
        problem: format!(
            "at {} does not run ({})",
            path.display(),
            crate::error::clip(&crate::error::one_line(&e.to_string()))
        ),
        hint: SOLC_HINT,
    })?;
    let mut srcs = Sources::new();
    for (name, text) in sources {
        srcs.insert(PathBuf::from(name), Source::new(*text));
    }
    let mut input = SolcInput::new(foundry_compilers::artifacts::SolcLanguage::Solidity, srcs, Default::default());
    input.settings.optimizer.enabled = Some(true);
    input.settings.optimizer.runs = Some(200);
    if bare {
        input.settings.optimizer.details =
            Some(foundry_compilers::artifacts::OptimizerDetails { yul: Some(false), ..Default::default() });
        input.settings.metadata = Some(foundry_compilers::artifacts::SettingsMetadata::new(
            foundry_compilers::artifacts::BytecodeHash::None,
            false,
        ));
    }
    let out = solc.compile(&input).map_err(|e| Error::Tool {
        tool: "solc",
        problem: format!(
            "at {} failed ({})",
            path.display(),
            crate::error::clip(&crate::error::one_line(&e.to_string()))
        ),
        hint: SOLC_HINT,
    })?;
    let errors: Vec<String> = out
        .errors
        .iter()
        .filter(|e| e.severity.is_error())
        .map(|e| crate::error::clip(&crate::error::one_line(&e.to_string())))
        .collect();
    if !errors.is_empty() {
        return Err(Error::Solc(errors.join(" | ")));
    }
    let mut result = vec![];
    for (_, contracts) in out.contracts {
        for (name, c) in contracts {
            let evm = match c.evm {
                Some(evm) => evm,
                None => continue,
            };
            let bytecode = evm.bytecode.and_then(|b| b.object.as_bytes().map(|b| b.to_vec())).unwrap_or_default();
            let (runtime, immutables) = match evm.deployed_bytecode {
                Some(d) => (
                    d.bytecode.and_then(|b| b.object.as_bytes().map(|b| b.to_vec())).unwrap_or_default(),
                    d.immutable_references.values().flatten().map(|o| (o.start as usize, o.length as usize)).collect(),
                ),
                None => (vec![], vec![]),
            };
            if !bytecode.is_empty() {
                result.push(CompiledContract { name, bytecode, runtime_size: runtime.len(), runtime, immutables });
            }
        }
    }
    Ok((result, solc.version.to_string()))
}

/// Compiles a verifier together with the hand-written consumers.
pub fn compile_with_consumer(verifier: &VerifierSource) -> Result<Vec<CompiledContract>> {
    let mut sources = vec![("Verifier.sol", verifier.source.as_str())];
    sources.extend(HANDWRITTEN);
    compile(&sources)
}
