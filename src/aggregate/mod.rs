//! Aggregation (`zkinfer aggregate`): N inference proofs, each of its own build, folded into one
//! proof whose verifier checks all N for about the cost of one. A stage after `prove` and
//! before `evm`: it reads set-up builds and their proofs for aggregation (Poseidon transcript),
//! and writes an aggregation directory (`aggregate.json`, `kzg.srs`, `vk.bin`, `pk.bin`) that
//! `zkinfer solidity --aggregate` turns into a contract.
//!
//! The aggregation's keys depend on the ordered list of inner builds (their keys are constants of
//! the circuit), not on the proofs: aggregating new proofs of the same builds into the same
//! directory reuses them.

pub mod circuit;
mod files;

pub use files::{AggregateProof, AggregateSettings, Slot, SlotOutputs};

use crate::compile::Compiled;
use crate::error::{Error, Result};
use crate::prove::{self, ProofFile, Srs, Transcript};
use circuit::BreakPoints;
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use snark_verifier_sdk::Snark;
use std::path::{Path, PathBuf};

/// How to aggregate: the circuit's size (default: planned, `circuit::plan`) and the SRS
/// (default: the dev SRS, when the inner builds used it).
#[derive(Clone, Debug, Default)]
pub struct AggregateOptions {
    /// log2 of the aggregation circuit's rows; `None` lets the planner choose.
    pub k: Option<u32>,
    /// A ceremony SRS file with at least 2^k points, the one the inner builds were set up from.
    pub srs: Option<PathBuf>,
}

/// What one `aggregate` run did, for the CLI's table.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AggregateReport {
    /// The aggregate proof written.
    pub proof: AggregateProof,
    /// Whether keygen ran (false: the directory's keys were reused).
    pub keygen: bool,
    /// Seconds spent in keygen (0 when reused).
    pub keygen_seconds: f64,
    /// The aggregation circuit's k and advice columns.
    pub k: u32,
    /// Advice columns the planner chose.
    pub advice_columns: usize,
}

/// One inner proof, checked: its build and the snark the circuit reads.
struct Inner {
    compiled: Compiled,
    proof: ProofFile,
    snark: Snark,
    fingerprint: [u8; 32],
    insecure: bool,
}

/// Loads a build and a proof for aggregation of it, and checks the proof as `zkinfer verify`
/// would: the circuit does not decide inner openings, so a bad inner proof must stop here (and,
/// were it let through, the accumulator would not decide and every verifier would refuse it).
fn load_inner(build: &Path, path: &Path) -> Result<Inner> {
    let proof = ProofFile::read(path)?;
    let (compiled, params, keys) = crate::pipeline::load(build)?;
    proof.check_build(path, &compiled)?;
    if proof.transcript != Transcript::Poseidon {
        return Err(Error::BadInput {
            path: path.into(),
            reason: "is a proof for a contract (Keccak transcript); aggregation reads proofs made with \
                     `zkinfer prove BUILD/ --input INPUT.json --for-aggregation`: prove it again so"
                .into(),
        });
    }
    let (bytes, instances) = (proof.proof_bytes()?, proof.instance_fields()?);
    prove::poseidon::verify(&params, &keys, &bytes, &instances).map_err(|e| Error::BadInput {
        path: path.into(),
        reason: format!("does not verify with its build {}: {e}", build.display()),
    })?;
    proof.check_outputs(path, &compiled)?;
    let snark = circuit::snark(&params, keys.vk(), bytes, instances);
    Ok(Inner { compiled, proof, snark, fingerprint: prove::srs_fingerprint(&params), insecure: prove::is_dev(&params) })
}

/// The aggregation SRS at `k`: the ceremony file given, or the dev SRS when the inner builds
/// used it. Either way it must be the inner builds' SRS (same τ), which the fingerprint shows.
fn srs_at(opts: &AggregateOptions, inner: &[Inner], k: u32) -> Result<Srs> {
    let params = match &opts.srs {
        Some(path) => prove::load_srs(path, k)?,
        None if inner.iter().all(|i| i.insecure) => prove::dev_srs(k),
        None => {
            return Err(Error::Usage {
                flag: "--srs".into(),
                reason: "the builds were set up from a ceremony SRS: give the same file (with at least 2^k points for \
                         the aggregation) with --srs"
                    .into(),
            })
        }
    };
    let fingerprint = prove::srs_fingerprint(&params);
    if let Some(i) = inner.iter().find(|i| i.fingerprint != fingerprint) {
        return Err(Error::Usage {
            flag: "--srs".into(),
            reason: format!(
                "the build of model {:?} was set up from another SRS than the aggregation's: set every build up from \
                 the same SRS",
                i.compiled.settings.model
            ),
        });
    }
    Ok(params)
}

/// `zkinfer aggregate`: checks each `(build, proof)` pair, reuses or makes the aggregation keys
/// in `out`, proves the aggregate, checks it as the contract will, and writes `out/proof.json`.
pub fn aggregate(
    inputs: &[(PathBuf, PathBuf)],
    out: &Path,
    opts: &AggregateOptions,
    progress: &dyn crate::pipeline::Progress,
) -> Result<AggregateReport> {
    if inputs.is_empty() {
        return Err(Error::Usage { flag: "PROOF".into(), reason: "give at least one proof to aggregate".into() });
    }
    progress.phase(&format!("checking {} inner proofs", inputs.len()));
    let inner = inputs.iter().map(|(b, p)| load_inner(b, p)).collect::<Result<Vec<_>>>()?;
    let snarks: Vec<Snark> = inner.iter().map(|i| i.snark.clone()).collect();
    crate::artifact::create_dir(out)?;
    let _lock = crate::artifact::Lock::exclusive(out)?;
    let reuse =
        AggregateSettings::load(out).ok().filter(|s| s.serves(&inner_slots(&inner)) && opts.k.is_none_or(|k| k == s.k));
    let (settings, params, pk, keygen_seconds) = match reuse {
        Some(settings) => {
            progress.phase("loading the aggregation keys");
            let (params, pk) = files::load_keys(out, &settings)?;
            (settings, params, pk, 0.0)
        }
        None => {
            progress.phase("planning the aggregation circuit");
            let (k, cfg, params) = circuit::plan(opts.k, &snarks, |k| srs_at(opts, &inner, k))?;
            progress.phase(&format!("generating the aggregation keys (k = {k}, {} advice columns)", cfg.num_advice));
            let start = std::time::Instant::now();
            let (pk, break_points) = circuit::keygen(&params, cfg, &snarks)?;
            let seconds = start.elapsed().as_secs_f64();
            let mut settings = AggregateSettings::new(k, cfg, break_points, inner_slots(&inner), pk.get_vk(), &params);
            progress.phase("writing the aggregation keys");
            files::write_keys(out, &mut settings, &params, &pk)?;
            (settings, params, pk, seconds)
        }
    };
    progress.phase(&format!("proving the aggregate of {} proofs", inner.len()));
    let start = std::time::Instant::now();
    let bp: BreakPoints = settings.break_points.clone();
    let (bytes, instances) = circuit::prove(&params, &pk, settings.config, bp, snarks)?;
    let prove_seconds = start.elapsed().as_secs_f64();
    progress.phase("checking the aggregate");
    verify(&settings, &params, pk.get_vk(), &bytes, &instances)?;
    let proof = AggregateProof::new(
        &settings,
        &bytes,
        &instances,
        &inner.iter().map(|i| &i.proof).collect::<Vec<_>>(),
        prove_seconds,
    );
    crate::artifact::write_bytes(&out.join("proof.json"), &crate::compile::json_bytes(&proof)?)?;
    Ok(AggregateReport {
        proof,
        keygen: keygen_seconds > 0.0,
        keygen_seconds,
        k: settings.k,
        advice_columns: settings.config.num_advice,
    })
}

/// The slots the inner proofs fill, in order, each starting after the accumulator and the
/// slots before it.
fn inner_slots(inner: &[Inner]) -> Vec<Slot> {
    let mut offset = circuit::ACCUMULATOR_LIMBS;
    inner
        .iter()
        .map(|i| {
            let slot = Slot::of(&i.compiled, offset);
            offset += slot.num_instances;
            slot
        })
        .collect()
}

/// Accepts exactly what the generated aggregate contract accepts: the count of public values,
/// each hashed-weights slot's commitment, a proof of exactly the key's length with no point at
/// infinity, halo2's check of the aggregation proof, and the accumulator decided.
pub fn verify(
    settings: &AggregateSettings,
    params: &Srs,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    instances: &[Fr],
) -> Result<()> {
    settings.check_statement(instances)?;
    prove::verify_with_vk(params, vk, proof, instances)?;
    circuit::decide(params, instances)
}

/// `zkinfer verify AGG/ PROOF`: loads the aggregation directory's verifying key and checks the
/// aggregate proof file.
pub fn verify_file(dir: &Path, path: &Path) -> Result<AggregateProof> {
    let settings = AggregateSettings::load(dir)?;
    let proof = AggregateProof::read(path)?;
    proof.check_aggregate(path, &settings)?;
    let (params, vk) = files::load_vk(dir, &settings)?;
    let instances = proof.instance_fields()?;
    verify(&settings, &params, &vk, &proof.proof_bytes()?, &instances)?;
    // After the proof: what the file says beside the public values must be what they state.
    proof.check_outputs(path, &settings, &instances)?;
    Ok(proof)
}

/// The SRS and verifying key of an aggregation directory (what verification and Solidity need).
pub fn load_vk(dir: &Path, settings: &AggregateSettings) -> Result<(Srs, VerifyingKey<G1Affine>)> {
    files::load_vk(dir, settings)
}

/// The keys of an aggregation directory, for tests and tools that prove with them directly.
pub fn load(dir: &Path) -> Result<(AggregateSettings, Srs, ProvingKey<G1Affine>)> {
    let settings = AggregateSettings::load(dir)?;
    let (params, pk) = files::load_keys(dir, &settings)?;
    Ok((settings, params, pk))
}

/// Where the first evaluation of a proof for aggregation of `build` starts (after its points):
/// the byte an attacker flips to make a bad inner proof that still parses.
#[cfg(feature = "forgery")]
pub fn first_scalar_offset(build: &Path) -> Result<usize> {
    let (_, _, keys) = crate::pipeline::load(build)?;
    let shape = crate::evm::proof_shape::ProofShape::of(keys.vk());
    Ok(shape.head_points * prove::poseidon::POINT_BYTES)
}

/// What an attacker who skips the checks can prove: an aggregate whose slot `i` holds any bytes
/// and public values, verified in-circuit under the key of `builds[i]`. The circuit is satisfied
/// whatever the inner proofs are; only the accumulator then fails to decide, which the tests
/// show every verifier refuses.
#[cfg(feature = "forgery")]
pub fn prove_unchecked(dir: &Path, inner: Vec<(PathBuf, Vec<u8>, Vec<Fr>)>) -> Result<(Vec<u8>, Vec<Fr>)> {
    let (settings, params, pk) = load(dir)?;
    let snarks = inner
        .into_iter()
        .map(|(build, proof, instances)| {
            let (_, inner_params, keys) = crate::pipeline::load(&build)?;
            Ok(circuit::snark(&inner_params, keys.vk(), proof, instances))
        })
        .collect::<Result<Vec<_>>>()?;
    circuit::prove(&params, &pk, settings.config, settings.break_points.clone(), snarks)
}
