//! The library API behind the CLI: each function is one `zkinfer` subcommand over a build
//! directory, so examples and tests drive the tool exactly as users do.

use crate::compile::{read_input, Compiled};
use crate::error::{Error, Result};
pub use crate::evm::key::Placement;
use crate::evm::{self, CompiledContract, VerifierSource};
use crate::onnx;
use crate::prove::{self, Keys, ProofFile, Srs};
use sha3::Digest;
use std::path::{Path, PathBuf};

pub use crate::compile::CompileOptions;

mod aggregate;
pub use aggregate::{deploy_batch, render_aggregate, solidity_aggregate, submit_batch};

/// `zkinfer compile`: import, check the import against tract, calibrate on the input (and any
/// further calibration inputs), plan.
pub fn compile(model: &Path, input: &Path, out: &Path, opts: &CompileOptions) -> Result<Compiled> {
    compile_inner(model, input, out, opts).map_err(|e| match e {
        Error::Inputs(reason) => Error::BadInput { path: input.into(), reason },
        e => e,
    })
}

fn compile_inner(model: &Path, input: &Path, out: &Path, opts: &CompileOptions) -> Result<Compiled> {
    opts.privacy.check()?;
    let sources: Vec<&Path> = [model, input].into_iter().chain(opts.calibration.iter().map(PathBuf::as_path)).collect();
    check_output_dir(out, &sources)?;
    let inputs = read_input(input)?;
    let lens: Vec<usize> = inputs.iter().map(|x| x.len()).collect();
    let (graph, typed) = onnx::import(model, &lens)?;
    if let Some((node, v)) = graph.nodes.iter().find_map(|n| n.non_finite_constant().map(|v| (n, v))) {
        return Err(Error::Quantise {
            node: Some(node.name.clone()),
            reason: format!(
                "holds the constant {v}, which no fixed point represents: re-export the model with finite weights"
            ),
        });
    }
    let graph = graph.fold_bias();
    let integer = onnx::integer_inputs(&typed);
    crate::compile::check_integer_inputs(input, &inputs, &integer)?;
    let mut calibration = vec![inputs];
    for path in &opts.calibration {
        let x = read_input(path)?;
        crate::compile::check_integer_inputs(path, &x, &integer)?;
        if x.iter().map(|v| v.len()).collect::<Vec<_>>() != lens {
            return Err(Error::BadInput {
                path: path.clone(),
                reason: format!("calibration input has other shapes than {} (lengths {lens:?})", input.display()),
            });
        }
        calibration.push(x);
    }
    for inputs in &calibration {
        let reference = onnx::tract_run(&typed, inputs)?;
        let ours = graph.eval_f32(inputs);
        for (r, o) in reference.iter().zip(&ours) {
            let scale = r.iter().fold(1f32, |m, v| m.max(v.abs()));
            if r.len() != o.len() || r.iter().zip(o).any(|(a, b)| (a - b).abs() > 1e-4 * scale) {
                return Err(Error::Internal(format!(
                    "zkinfer's reading of {} disagrees with tract's float inference; please report this model",
                    model.display()
                )));
            }
        }
    }
    let name = model
        .parent()
        .and_then(|p| p.file_name())
        .filter(|_| model.file_name().is_some_and(|f| f == "network.onnx"))
        .or(model.file_stem())
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "model".into());
    let check = crate::fidelity::Check::new(model, &typed, &graph, &calibration, opts.fidelity)?;
    let float: Vec<bool> = (0..lens.len()).map(|i| !integer.contains(&i)).collect();
    let range_inputs = crate::quant::table::variations(&graph, &calibration, &float);
    let opts = &CompileOptions { range_inputs, ..opts.clone() };
    let mut compiled = Compiled::new_with(&name, &graph, &calibration, opts, &|q| check.worst_error(q))?;
    compiled.settings.fidelity = Some(check.run(&compiled.model)?);
    compiled.settings.integer_inputs = integer;
    compiled.save(out)?;
    Ok(compiled)
}

/// `compile -o DIR` writes DIR/model.json and DIR/settings.json: refuse a DIR whose files of
/// those names are the inputs being read, or another program's (a Keras or TF.js export has a
/// model.json), rather than replace them. A damaged zkinfer build may be compiled over.
fn check_output_dir(out: &Path, sources: &[&Path]) -> Result<()> {
    let ours = [out.join("model.json"), out.join("settings.json")];
    for file in &ours {
        let Ok(target) = file.canonicalize() else { continue };
        if let Some(s) = sources.iter().find(|s| s.canonicalize().is_ok_and(|c| c == target)) {
            return Err(Error::Usage {
                flag: "-o".into(),
                reason: format!(
                    "compiling into {} would replace {}, which it reads: give another directory",
                    out.display(),
                    s.display()
                ),
            });
        }
    }
    let settings: Option<serde_json::Value> =
        std::fs::read(&ours[1]).ok().and_then(|b| serde_json::from_slice(&b).ok());
    let foreign_settings = settings.is_some_and(|v| v.get("model_digest").is_none());
    let orphan_model = ours[0].exists() && !ours[1].exists();
    if foreign_settings || orphan_model {
        return Err(Error::Usage {
            flag: "-o".into(),
            reason: format!(
                "{} holds a {} that zkinfer did not write: give an empty directory or a zkinfer build directory",
                out.display(),
                if foreign_settings { "settings.json" } else { "model.json" }
            ),
        });
    }
    Ok(())
}

/// Where a build's SRS came from, saved as `srs.json` so later commands can warn about a dev SRS.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SrsInfo {
    /// The artifact format (`artifact::FORMAT`); 0 when absent.
    #[serde(default)]
    pub format: u32,
    /// The SRS's fingerprint (`prove::srs_fingerprint`), 0x-hex.
    #[serde(default)]
    pub fingerprint: String,
    /// The digest of `kzg.srs` as written (`artifact::digest`): a damaged copy is refused on load.
    pub digest: String,
    /// The SRS holds 2^k points, the circuit's size.
    pub k: u32,
    /// "dev" (insecure, generated locally) or the path of the loaded ceremony file.
    pub source: String,
    /// True for the dev SRS: its toxic waste is public, so proofs made with it are forgeable.
    pub insecure: bool,
}

/// The phases of `zkinfer setup` and `zkinfer prove`, reported as they start so a long run
/// shows where it is.
pub trait Progress {
    /// A phase starts ("generating the verifying key", ...).
    fn phase(&self, name: &str);
}

impl Progress for () {
    fn phase(&self, _: &str) {}
}

/// `zkinfer setup`: params (dev SRS unless `srs` is given), proving and verifying keys.
pub fn setup(dir: &Path, srs: Option<&Path>) -> Result<(Compiled, Srs, Keys, SrsInfo)> {
    setup_with(dir, srs, &())
}

/// [`setup`], reporting its phases. It holds the build directory's write lock throughout and
/// writes every file atomically; `pk.bin` carries the build and SRS it was made for, so an
/// interrupted setup leaves nothing a later command would load as this build's keys.
pub fn setup_with(dir: &Path, srs: Option<&Path>, progress: &dyn Progress) -> Result<(Compiled, Srs, Keys, SrsInfo)> {
    if !dir.join("settings.json").exists() {
        Compiled::load(dir)?; // the "run zkinfer compile first" error, before the lock creates dir
    }
    let _lock = crate::artifact::Lock::exclusive(dir)?;
    let mut compiled = Compiled::load(dir)?;
    let k = compiled.settings.k;
    progress.phase(&format!("loading the SRS (2^{k} points)"));
    let (params, source) = match srs {
        Some(path) => (prove::load_srs(path, k)?, path.display().to_string()),
        None => (prove::dev_srs(k), "dev".into()),
    };
    // A ceremony path that holds a saved dev SRS is as insecure as the generated one.
    let insecure = prove::is_dev(&params);
    let fingerprint = format!("0x{}", hex::encode(prove::srs_fingerprint(&params)));
    progress.phase("generating the verifying and proving keys");
    let keys = prove::keygen(&compiled, &params)?;
    progress.phase("writing kzg.srs and pk.bin");
    // One batch: an interrupted or failed setup leaves the old four files, never a mix.
    let mut batch = crate::artifact::Batch::new();
    let digest = prove::stage_srs(&params, &dir.join("kzg.srs"), &mut batch)?;
    let info = SrsInfo { format: crate::artifact::FORMAT, fingerprint, digest, k, source, insecure };
    batch.write_bytes(&dir.join("srs.json"), &crate::compile::json_bytes(&info)?)?;
    prove::write_pk(&keys, &prove::pk_stamp(&compiled, &params), &dir.join("pk.bin"), &mut batch)?;
    // MODEL_HASH covers the verifying key, which exists only now: record it with the settings.
    compiled.settings.model_hash = model_hash(&compiled, keys.vk());
    batch.write_bytes(&dir.join("settings.json"), &crate::compile::json_bytes(&compiled.settings)?)?;
    batch.commit()?;
    Ok((compiled, params, keys, info))
}

/// The verifier's `MODEL_HASH` (0x-hex) of a compiled model with this verifying key
/// (`QuantModel::model_hash`).
pub fn model_hash(
    compiled: &Compiled,
    vk: &halo2_proofs::plonk::VerifyingKey<halo2_proofs::halo2curves::bn256::G1Affine>,
) -> String {
    use halo2_proofs::halo2curves::ff::PrimeField;
    let mut repr = [0u8; 32];
    repr.copy_from_slice(vk.transcript_repr().to_repr().as_ref());
    repr.reverse();
    format!("0x{}", hex::encode(compiled.model.model_hash(&compiled.settings.model_identity(repr))))
}

/// Everything `prove`, `verify` and `solidity` need, loaded from a set-up build directory.
pub fn load(dir: &Path) -> Result<(Compiled, Srs, Keys)> {
    load_checked(dir, |_| Ok(()))
}

/// [`load`], running `check` on the compiled model before the slow part (SRS and keys), so what
/// belongs to another build is refused first.
fn load_checked(dir: &Path, check: impl FnOnce(&Compiled) -> Result<()>) -> Result<(Compiled, Srs, Keys)> {
    let _lock = crate::artifact::Lock::shared(dir)?;
    let compiled = Compiled::load(dir)?;
    check(&compiled)?;
    let srs_path = dir.join("kzg.srs");
    if !srs_path.exists() {
        return Err(Error::MissingArtifact {
            what: "KZG params (kzg.srs)".into(),
            dir: dir.into(),
            hint: "zkinfer setup BUILD/".into(),
        });
    }
    let stamp = prove::check_pk(&compiled, &dir.join("pk.bin"))?;
    let info = read_srs_info(dir)?;
    let params = prove::read_build_srs(&srs_path, compiled.settings.k, &info.digest)?;
    let keys = prove::read_pk(&compiled, &params, &dir.join("pk.bin"), &stamp)?;
    // settings.json's MODEL_HASH must be this model's with these keys (a compile after setup
    // leaves it empty or stale): every reader (prove, verify, solidity) then agrees on it.
    let hash = model_hash(&compiled, keys.vk());
    if compiled.settings.model_hash != hash {
        return Err(Error::MissingArtifact {
            what: format!(
                "a model hash matching model.json and pk.bin (settings.json has {:?}, the keys give {hash}; the model \
                 was compiled again after setup)",
                compiled.settings.model_hash
            ),
            dir: dir.into(),
            hint: "zkinfer setup BUILD/".into(),
        });
    }
    Ok((compiled, params, keys))
}

/// The SRS record of a set-up build, or `None` before `zkinfer setup` (or when it is damaged,
/// which `load` reports).
pub fn srs_info(dir: &Path) -> Option<SrsInfo> {
    read_srs_info(dir).ok()
}

/// `srs.json`, strictly: it says whether the build's proofs are forgeable and how to check
/// `kzg.srs`, so a missing, damaged or older one stops the command.
fn read_srs_info(dir: &Path) -> Result<SrsInfo> {
    let path = dir.join("srs.json");
    let again = "; run `zkinfer setup BUILD/` again (with the same --srs, if one was given)";
    if !path.exists() {
        return Err(Error::MissingArtifact {
            what: "the SRS record (srs.json)".into(),
            dir: dir.into(),
            hint: "zkinfer setup BUILD/".into(),
        });
    }
    let info: SrsInfo = crate::compile::read_json_as(&path, "SRS record", again)?;
    if info.format != crate::artifact::FORMAT {
        return Err(Error::StaleArtifact {
            path,
            what: "SRS record",
            made_for: format!("artifact format {}", info.format),
            this: format!("format {}", crate::artifact::FORMAT),
            hint: again.trim_start_matches("; ").into(),
        });
    }
    Ok(info)
}

/// `zkinfer prove`: proves the inference on the input file with the build's keys.
pub fn prove(dir: &Path, input: &Path) -> Result<ProofFile> {
    prove_with(dir, input, &())
}

/// [`prove()`], reporting its phases.
pub fn prove_with(dir: &Path, input: &Path, progress: &dyn Progress) -> Result<ProofFile> {
    prove_for(dir, input, prove::Transcript::Evm, progress)
}

/// [`prove_with`] over either transcript (`--for-aggregation`: Poseidon).
pub fn prove_for(
    dir: &Path,
    input: &Path,
    transcript: prove::Transcript,
    progress: &dyn Progress,
) -> Result<ProofFile> {
    let inputs = read_input(input)?;
    progress.phase("loading the keys");
    let (compiled, params, keys) =
        load_checked(dir, |c| crate::compile::check_integer_inputs(input, &inputs, &c.settings.integer_inputs))?;
    progress.phase(&format!("proving (k = {})", compiled.settings.k));
    let proof = prove::prove_for(&compiled, &params, &keys, &inputs, transcript).map_err(|e| match e {
        Error::Inputs(reason) => Error::BadInput { path: input.into(), reason },
        e => e,
    })?;
    // The stamp and the layout walk catch a key of another build or cut short, not a flipped
    // byte inside a polynomial: such a key still proves, but nothing it proves verifies. A few
    // milliseconds of verification say so here, instead of at the contract.
    progress.phase("checking the proof");
    let (bytes, instances) = (proof.proof_bytes()?, proof.instance_fields()?);
    prove::verify_for(&params, &keys, &bytes, &instances, transcript).map_err(|e| Error::BadInput {
        path: dir.join("pk.bin"),
        reason: format!(
            "damaged: the proof made with it does not verify against its own verifying key ({}); run `zkinfer setup BUILD/` again",
            crate::error::one_line(&e.to_string())
        ),
    })?;
    Ok(proof)
}

/// Reads a proof file for the build in `dir`, refusing one of another build (or format) by name
/// before any pairing or transaction.
pub fn read_proof(dir: &Path, path: &Path) -> Result<ProofFile> {
    let p = ProofFile::read(path)?;
    p.check_evm(path)?;
    let compiled = Compiled::load(dir)?;
    p.check_build(path, &compiled)?;
    p.check_outputs(path, &compiled)?;
    Ok(p)
}

/// `zkinfer verify`: the build's keys carry what this model's proofs state besides the key (the
/// number of public values, and with hashed weights the commitment that names the model), so
/// this is `prove::verify` with them.
pub fn verify(dir: &Path, proof: &ProofFile) -> Result<()> {
    let (_, params, keys) = load(dir)?;
    prove::verify_for(&params, &keys, &proof.proof_bytes()?, &proof.instance_fields()?, proof.transcript)
}

/// `zkinfer verify BUILD PROOF`: [`read_proof`] and [`verify`] with the build loaded once;
/// returns the verified proof file and, when the outputs are hashed and the opening file
/// (`PROOF.opening.json`) is beside it, the outputs it opens, checked against the commitment.
pub fn verify_file(dir: &Path, path: &Path) -> Result<(ProofFile, Option<Vec<Vec<f64>>>)> {
    let p = ProofFile::read(path)?;
    let (compiled, params, keys) = load_checked(dir, |compiled| p.check_build(path, compiled))?;
    let instances = p.instance_fields()?;
    prove::verify_for(&params, &keys, &p.proof_bytes()?, &instances, p.transcript)?;
    // After the proof: an edited public value is a rejected proof, an edit beside them is this.
    p.check_outputs(path, &compiled)?;
    let opening_path = path.with_extension("opening.json");
    let hashed = compiled.settings.output_visibility == crate::circuit::privacy::Visibility::Hashed;
    if !hashed || !opening_path.exists() {
        return Ok((p, None));
    }
    let opening: prove::Opening =
        crate::compile::read_json_as(&opening_path, "proof opening", "; use the opening `zkinfer prove` wrote")?;
    let opened = opening.check(&opening_path, &compiled, &instances)?;
    Ok((p, Some(opened)))
}

/// What `zkinfer solidity` produced: the verifier and every contract compiled with it.
pub struct SolidityOutput {
    /// The rendered verifier.
    pub verifier: VerifierSource,
    /// The verifier and the hand-written contracts, as solc compiled them.
    pub contracts: Vec<CompiledContract>,
    /// Where the verifier's source was written.
    pub path: PathBuf,
    /// The settings the verifier was generated from (an architecture verifier's, with
    /// `--registered`): what it binds. `None` for an aggregate's verifier, whose slots say it.
    pub settings: Option<crate::compile::Settings>,
}

impl SolidityOutput {
    /// Creation code of one of the compiled contracts (the verifier, or a hand-written one).
    pub fn bytecode(&self, name: &str) -> Result<Vec<u8>> {
        self.contracts
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.bytecode.clone())
            .ok_or_else(|| Error::Internal(format!("no contract {name} among the compiled ones")))
    }

    /// Writes the verifier's source to `path`, and the identities contract's source beside it
    /// when it has one.
    fn write(&self) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            crate::artifact::create_dir(dir)?;
        }
        if let Some(source) = &self.verifier.identities_source {
            let path = self.path.with_file_name(format!("{}IdentitiesCode.sol.txt", self.verifier.name));
            crate::artifact::write_bytes(&path, source.as_bytes())?;
        }
        crate::artifact::write_bytes(&self.path, self.verifier.source.as_bytes())
    }

    /// The verifier's creation code, with its key and identities contracts' when it has them.
    pub fn verifier_code(&self) -> Result<crate::chain::VerifierCode> {
        let code = |name: &Option<String>| name.as_deref().map(|k| self.bytecode(k)).transpose();
        Ok(crate::chain::VerifierCode {
            code: self.bytecode(&self.verifier.name)?,
            key: code(&self.verifier.key_contract)?,
            identities: code(&self.verifier.identities_contract)?,
        })
    }

    /// Every contract's runtime size in bytes, with the key's and the identities' code (which
    /// their deployers return, so solc's own size for them says nothing) in place of theirs.
    pub fn runtime_sizes(&self) -> Vec<(String, usize)> {
        let v = &self.verifier;
        let returned = |name: &str| {
            let key = v.key_contract.as_deref().filter(|k| *k == name).and(v.key_code.as_ref());
            let identities = v.identities_contract.as_deref().filter(|k| *k == name).and(v.identities_code.as_ref());
            key.or(identities).map(|code| code.len())
        };
        self.contracts.iter().map(|c| (c.name.clone(), returned(&c.name).unwrap_or(c.runtime_size))).collect()
    }

    /// Runtime size of one of the compiled contracts in bytes; 0 when there is no such contract.
    pub fn runtime_size(&self, name: &str) -> usize {
        self.contracts.iter().find(|c| c.name == name).map_or(0, |c| c.runtime_size)
    }
}

/// `zkinfer solidity`: writes `DIR/<Name>.sol` and compiles it with the consumer, checking
/// every runtime size against EIP-170. The verifier takes the first layout that fits: its key
/// written in, else the key in a key contract, else its identities too in a contract of their own.
pub fn solidity(dir: &Path, out: &Path, name: &str) -> Result<SolidityOutput> {
    solidity_with(dir, out, name, Placement::Inline)
}

/// `zkinfer solidity`, starting from layout `least` whatever the verifier's size
/// (`--vk-contract`, `--identities-contract`).
pub fn solidity_with(dir: &Path, out: &Path, name: &str, least: Placement) -> Result<SolidityOutput> {
    let s = render_solidity(dir, &out.join(format!("{name}.sol")), name, least, false)?;
    s.write()?;
    Ok(s)
}

/// `zkinfer solidity --registered`: the architecture verifier of a hashed-weights build
/// (`WEIGHTS_REGISTERED`, `evm::registered`), which serves every weight set of the architecture
/// through a `ModelRegistry`.
pub fn solidity_registered(dir: &Path, out: &Path, name: &str, least: Placement) -> Result<SolidityOutput> {
    let s = render_solidity(dir, &out.join(format!("{name}.sol")), name, least, true)?;
    s.write()?;
    Ok(s)
}

/// The verifier rendered and compiled with the consumers, every size checked, nothing written:
/// a failure here, or in a deployment that follows, leaves the disk as it was.
fn render_solidity(dir: &Path, path: &Path, name: &str, least: Placement, registered: bool) -> Result<SolidityOutput> {
    evm::check_contract_name(name)?;
    let (compiled, params, keys) = load(dir)?;
    let settings = if registered { evm::registered(&compiled.settings, keys.vk())? } else { compiled.settings.clone() };
    let (verifier, contracts) = evm::fit(name, &settings, keys.vk(), &params, least, true)?;
    Ok(SolidityOutput { verifier, contracts, path: path.into(), settings: Some(settings) })
}

/// `zkinfer deploy`: generates and compiles the verifier and consumers, then deploys them.
pub async fn deploy(
    dir: &Path,
    cfg: &crate::chain::ClientConfig,
    opts: &crate::chain::build::DeployOptions,
) -> Result<(crate::chain::Deployment, SolidityOutput)> {
    let out =
        render_solidity(dir, &dir.join("solidity/ZkinferVerifier.sol"), "ZkinferVerifier", opts.placement, false)?;
    let d = crate::chain::build::deploy(dir, out.verifier_code()?, &|name| out.bytecode(name), cfg, opts).await?;
    // The source of what is now on chain, written only once it is there.
    out.write()?;
    Ok((d, out))
}

/// k, the layout that fits, and every contract's runtime size in bytes (`contract_sizes`).
pub type ContractSizes = (u32, Placement, Vec<(String, usize)>);

/// What deploying a model's verifier takes, without setting it up: the build compiled into `dir`
/// (as `compile` does), its verifier generated from the key's shape (`prove::shape_vk`) in the
/// first layout that fits EIP-170. Returns k, that layout and every contract's runtime size
/// (the key's and identities' code in place of their deployers'); `TooLarge` when none fits.
pub fn contract_sizes(model: &Path, input: &Path, dir: &Path, opts: &CompileOptions) -> Result<ContractSizes> {
    compile(model, input, dir, opts)?;
    let compiled = Compiled::load(dir)?;
    let vk = prove::shape_vk(&compiled);
    // The verifier reads only the generator and the G2 points from the SRS: any size serves.
    let params = prove::dev_srs(1);
    // Setup writes MODEL_HASH; a word of the same length stands in for it (a zero would be
    // pushed in fewer bytes).
    let mut settings = compiled.settings.clone();
    settings.model_hash = format!("0x{}", hex::encode(sha3::Keccak256::digest(settings.model.as_bytes())));
    let (verifier, contracts) = evm::fit("ShapeVerifier", &settings, &vk, &params, Placement::Inline, false)?;
    let placement = match (&verifier.key_contract, &verifier.identities_contract) {
        (None, _) => Placement::Inline,
        (Some(_), None) => Placement::Contract,
        (Some(_), Some(_)) => Placement::Split,
    };
    let k = settings.k;
    let out = SolidityOutput { verifier, contracts, path: dir.join("ShapeVerifier.sol"), settings: Some(settings) };
    Ok((k, placement, out.runtime_sizes()))
}

/// `zkinfer registry deploy`: the architecture verifier of a hashed-weights build and a
/// `ModelRegistry` serving it, deployed and recorded in `registry.json`.
pub async fn registry_deploy(
    dir: &Path,
    cfg: &crate::chain::ClientConfig,
    least: Placement,
) -> Result<(crate::chain::registry::RegistryDeployment, SolidityOutput)> {
    let out = render_solidity(
        dir,
        &dir.join("solidity/ZkinferArchitectureVerifier.sol"),
        "ZkinferArchitectureVerifier",
        least,
        true,
    )?;
    let d = crate::chain::registry::deploy(dir, out.verifier_code()?, out.bytecode("ModelRegistry")?, cfg).await?;
    out.write()?;
    Ok((d, out))
}

/// What a hashed-weights build registers and pins: its architecture (the `MODEL_HASH` of the
/// architecture verifier it generates) with its weights commitment, and its own `MODEL_HASH`.
fn registry_pin(compiled: &Compiled, keys: &Keys) -> Result<(crate::chain::ModelPin, alloy::primitives::B256)> {
    let own = crate::chain::ModelPin::of(&compiled.settings, false)?;
    let architecture = crate::chain::ModelPin::of(&evm::registered(&compiled.settings, keys.vk())?, false)?;
    let model_hash = own.model_hash;
    Ok((crate::chain::ModelPin { model_hash: architecture.model_hash, ..own }, model_hash))
}

/// `zkinfer registry register`: names this hashed-weights build's commitment `id` in `registry`,
/// after checking that the registry serves this build's architecture.
pub async fn registry_register(
    dir: &Path,
    registry: alloy::primitives::Address,
    id: &str,
    cfg: &crate::chain::ClientConfig,
) -> Result<crate::chain::registry::Registered> {
    let (compiled, _, keys) = load(dir)?;
    let (pin, model_hash) = registry_pin(&compiled, &keys)?;
    let id = crate::chain::registry::model_id(id)?;
    crate::chain::registry::register(registry, id, &pin, model_hash, cfg).await
}

/// `zkinfer registry consumer`: a `RegisteredInference` consumer of one registry entry, recorded
/// in the build's `deployment.json`. The build states what the consumer pins (its architecture
/// and weights commitment); the registry's verifier must run the architecture verifier this
/// build generates, compared byte for byte but for its immutables (the key and identities
/// addresses, whose code it pins itself).
pub async fn deploy_registered(
    dir: &Path,
    registry: alloy::primitives::Address,
    id: &str,
    cfg: &crate::chain::ClientConfig,
) -> Result<crate::chain::Deployment> {
    let id = crate::chain::registry::model_id(id)?;
    let (compiled, _, keys) = load(dir)?;
    let (pin, _) = registry_pin(&compiled, &keys)?;
    let name = "ZkinferArchitectureVerifier";
    let out = render_solidity(dir, &dir.join(format!("solidity/{name}.sol")), name, Placement::Inline, true)?;
    let expected = out.contracts.iter().find(|c| c.name == name).cloned();
    let runs_as = |code: &[u8]| expected.as_ref().is_some_and(|c| c.runs_as(code));
    let code = out.bytecode("RegisteredInference")?;
    crate::chain::registry::deploy_consumer(dir, code, registry, id, &pin, &runs_as, cfg).await
}
