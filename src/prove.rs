//! SRS, keys, proofs. Proofs use SHPLONK over KZG/BN254 with a Keccak transcript laid out exactly
//! as the generated Solidity verifier replays it (snark-verifier's `EvmTranscript`).

use crate::circuit::ModelCircuit;
use crate::compile::Compiled;
use crate::error::{Error, Result};
use crate::evm::proof_shape::{ProofShape, POINT_BYTES};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, verify_proof, ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::SerdeFormat;
use serde::{Deserialize, Serialize};
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::system::halo2::transcript::evm::{ChallengeEvm, EvmTranscript};
use std::path::Path;
use std::sync::Arc;

mod pk_layout;
pub mod poseidon;
mod srs;

pub use poseidon::Transcript;

pub use srs::{dev_srs, is_dev, load_srs, read_build_srs, srs_fingerprint, stage_srs, write_srs, Srs, DEV_SRS_SEED};

/// A model's proving key, with the statement its proofs must also satisfy.
pub struct Keys {
    /// halo2's proving key; the verifying key is inside it (`vk()`).
    pub pk: ProvingKey<G1Affine>,
    /// What `verify` checks besides the key; made from the same build as the key.
    pub statement: Statement,
}

/// What makes a proof this model's beyond its verifying key. halo2 leaves instance rows past the
/// layout's public values without any constraint, so a prover may append values there; and with
/// hashed weights one key serves every weight set of the architecture, so only the commitment
/// names the model. The generated contract fixes both; `verify` and `zkinfer submit` check both.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// The layout's public values: inputs (or their commitment), outputs (or theirs), the weights
    /// commitment.
    pub num_public: usize,
    /// With hashed weights: the last public value.
    pub commitment: Option<Fr>,
}

impl Statement {
    /// The statement of a compiled model: its public-value count and, with hashed weights, its commitment.
    pub fn of(compiled: &Compiled) -> Result<Statement> {
        let commitment = compiled.settings.model_commitment.as_deref().map(crate::field::from_hex).transpose()?;
        Ok(Statement { num_public: compiled.layout.public.len(), commitment })
    }

    /// Refuses public values another model's proof (or extra unconstrained rows) would carry, before any pairing.
    pub fn check(&self, instances: &[Fr]) -> Result<()> {
        if instances.len() != self.num_public {
            return Err(Error::rejected(format!(
                "expected {} public values, got {}: this model's proofs have exactly the layout's public values",
                self.num_public,
                instances.len()
            )));
        }
        match (&self.commitment, instances.last()) {
            (Some(want), Some(got)) if want != got => Err(Error::rejected(format!(
                "the proof commits to other weights ({}) than this model's ({}): it is another model's proof",
                crate::field::to_hex(got),
                crate::field::to_hex(want)
            ))),
            _ => Ok(()),
        }
    }
}

impl Keys {
    /// The verifying key, which the generated contract embeds.
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        self.pk.get_vk()
    }
}

/// Generates the verifying and proving keys for the compiled circuit; slow, done once by `zkinfer setup`.
pub fn keygen(compiled: &Compiled, params: &Srs) -> Result<Keys> {
    let circuit = compiled.empty_circuit();
    let vk =
        keygen_vk(params, &circuit).map_err(|source| Error::Halo2 { stage: "generate the verifying key", source })?;
    let pk =
        keygen_pk(params, vk, &circuit).map_err(|source| Error::Halo2 { stage: "generate the proving key", source })?;
    Ok(Keys { pk, statement: Statement::of(compiled)? })
}

/// A verifying key with the circuit's constraint system and domain, every fixed and σ
/// commitment a placeholder (distinct multiples of the generator): keygen without its MSMs. It verifies nothing; it is
/// what a verifier whose key lives in a contract of its own depends on (its code's size), for
/// checking every model and mode against EIP-170 without setting each up.
pub fn shape_vk(compiled: &Compiled) -> VerifyingKey<G1Affine> {
    use halo2_proofs::halo2curves::group::Curve;
    use halo2_proofs::plonk::{permutation, Circuit, ConstraintSystem};
    let circuit = compiled.empty_circuit();
    let mut cs = ConstraintSystem::<Fr>::default();
    ModelCircuit::configure_with_params(&mut cs, circuit.params());
    let k = compiled.settings.k;
    let domain = halo2_proofs::poly::EvaluationDomain::new(cs.degree() as u32, k);
    // As keygen does without selector compression: one fixed column per selector.
    let selectors = vec![vec![false; 1usize << k]; cs.num_selectors()];
    let (cs, _) = cs.directly_convert_selectors_to_fixed(selectors.clone());
    // Distinct points: the verifier merges equal commitments into one term, which would
    // understate the code of a real key.
    let (nf, ns) = (cs.num_fixed_columns(), cs.permutation().get_columns().len());
    let mut points = (1..=nf + ns).map(|i| (G1Affine::generator() * Fr::from(i as u64)).to_affine());
    let fixed: Vec<G1Affine> = points.by_ref().take(nf).collect();
    let sigmas = permutation::VerifyingKey::from_commitments(points.collect());
    VerifyingKey::from_parts(domain, fixed, sigmas, cs, selectors, false)
}

/// Writes the proving key (`pk.bin`): the stamp naming the build and SRS it was made for, then
/// halo2's raw format (unchecked on read back, for speed: the stamp is what says it fits).
/// Into `batch`: nothing replaces the old key until the batch commits.
pub fn write_pk(
    keys: &Keys,
    stamp: &crate::artifact::Stamp,
    path: &Path,
    batch: &mut crate::artifact::Batch,
) -> Result<()> {
    batch.write(path, |w| {
        std::io::Write::write_all(w, &stamp.to_bytes())?;
        // halo2 unwraps some of its writes: a full disk panics inside it.
        crate::error::without_panic_output(|| keys.pk.write(w, SerdeFormat::RawBytesUnchecked))
            .unwrap_or_else(|_| Err(std::io::Error::other("the proving key could not be written (disk full?)")))
    })
}

/// The stamp `pk.bin` must carry to be loaded with `compiled` and `params`.
pub fn pk_stamp(compiled: &Compiled, params: &Srs) -> crate::artifact::Stamp {
    crate::artifact::Stamp {
        format: crate::artifact::FORMAT,
        build: crate::artifact::digest_bytes(&compiled.settings.build_hash()),
        srs: srs_fingerprint(params),
    }
}

/// Checks the stamp `pk.bin` starts with names this build (`compiled`) and format, from its
/// first bytes, before anything slow is loaded; returns the stamp (whose SRS the caller checks).
pub fn check_pk(compiled: &Compiled, path: &Path) -> Result<crate::artifact::Stamp> {
    if !path.exists() {
        return Err(Error::MissingArtifact {
            what: "proving key (pk.bin)".into(),
            dir: path.parent().unwrap_or(path).into(),
            hint: "zkinfer setup BUILD/".into(),
        });
    }
    let f = crate::artifact::open(path)?;
    let build = crate::artifact::digest_bytes(&compiled.settings.build_hash());
    let hex = crate::artifact::short_bytes;
    let stale = |made_for: String, this: String| {
        Error::StaleArtifact {
        path: path.into(),
        what: "proving key",
        made_for,
        this,
        hint: "run `zkinfer setup BUILD/` again (settings.json or model.json changed since setup, or the key is another build's)".into(),
    }
    };
    match crate::artifact::Stamp::read(&mut std::io::BufReader::new(f)) {
        None => Err(stale("no zkinfer build (it has no zkinfer stamp)".into(), "a zkinfer build".into())),
        Some(s) if s.format != crate::artifact::FORMAT => {
            Err(stale(format!("artifact format {}", s.format), format!("format {}", crate::artifact::FORMAT)))
        }
        Some(s) if s.build != build => Err(stale(format!("build {}", hex(&s.build)), format!("build {}", hex(&build)))),
        Some(s) => Ok(s),
    }
}

/// Reads `pk.bin` back, given the stamp [`check_pk`] returned for it (checked against this
/// build), after checking the stamp names this SRS (`params`): a key of another build or SRS is
/// refused by name, before the slow read.
pub fn read_pk(compiled: &Compiled, params: &Srs, path: &Path, stamp: &crate::artifact::Stamp) -> Result<Keys> {
    let srs = srs_fingerprint(params);
    if stamp.srs != srs {
        let hex = crate::artifact::short_bytes;
        return Err(Error::StaleArtifact {
            path: path.into(),
            what: "proving key",
            made_for: format!("the SRS {}", hex(&stamp.srs)),
            this: format!("set up with the SRS {} (kzg.srs)", hex(&srs)),
            hint: "run `zkinfer setup BUILD/` again, with the --srs you mean to use".into(),
        });
    }
    let bad = |why: String| Error::BadInput {
        path: path.into(),
        reason: format!("unreadable proving key ({why}): run `zkinfer setup` on this build again"),
    };
    let mut r = std::io::BufReader::new(crate::artifact::open(path)?);
    let start = crate::artifact::STAMP_LEN as u64;
    let read = crate::error::without_panic_output(|| {
        pk_layout::check(&mut r, start, compiled)?;
        std::io::Seek::seek(&mut r, std::io::SeekFrom::Start(start))?;
        ProvingKey::<G1Affine>::read::<_, ModelCircuit>(
            &mut r,
            SerdeFormat::RawBytesUnchecked,
            compiled.circuit_params(),
        )
    });
    let pk = match read {
        Ok(result) => result.map_err(|e| bad(e.to_string()))?,
        Err(_) => return Err(bad("truncated".into())),
    };
    Ok(Keys { pk, statement: Statement::of(compiled)? })
}

/// What `zkinfer prove` writes: enough to verify in Rust, to submit on chain, and to read the
/// model's answer.
/// Fields it does not know are refused (`deny_unknown_fields`): a file of another tool or
/// version is named as such rather than half-read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    /// The artifact format of the zkinfer that wrote it (`artifact::FORMAT`); 0 when absent.
    #[serde(default)]
    pub format: u32,
    /// The build it was proven with (`Settings::build_hash`): `verify` and `submit` refuse a
    /// proof of another build by name, before any pairing or transaction.
    #[serde(default)]
    pub build: String,
    /// The proof bytes, 0x-hex, as the contract's `verifyProof` takes them.
    pub proof: String,
    /// The public values, 0x-hex field elements, in instance-column order.
    pub instances: Vec<String>,
    /// The model's outputs, when they are public (hashed outputs stay in the opening).
    pub outputs: Vec<Vec<f64>>,
    /// The `MODEL_HASH` of the build that proved it, so a proof can be matched to its verifier.
    pub model_hash: String,
    /// The build's k, for information.
    pub k: u32,
    /// The transcript the proof was made with: Keccak (absent), which contracts verify, or
    /// Poseidon (`zkinfer prove --for-aggregation`), which only `zkinfer aggregate` takes.
    #[serde(default, skip_serializing_if = "Transcript::is_evm")]
    pub transcript: Transcript,
    /// Wall-clock proving time, for reports.
    pub prove_seconds: f64,
    /// Never written with the proof: see `Opening`.
    #[serde(skip)]
    pub opening: Opening,
}

/// What the prover keeps to open its commitments later (to show which input or output a hashed
/// commitment stands for): the salts, and the outputs when they are hashed. `zkinfer prove`
/// writes it beside the proof as `*.opening.json`; it must stay private, as the salt is what
/// stops anyone searching the input space from the commitment.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Opening {
    /// The salt of each salted commitment, 0x-hex, in commitment order.
    pub salts: Vec<String>,
    /// The model's outputs when they are hashed or private: the values the commitment stands for.
    pub outputs: Vec<Vec<f64>>,
}

impl Opening {
    /// Checks this opening (read from `path`) against a verified proof's public values: its
    /// outputs, at the model's scale, with its salts, must hash to the outputs commitment. Returns
    /// the outputs it opens.
    pub fn check(&self, path: &Path, compiled: &Compiled, instances: &[Fr]) -> Result<Vec<Vec<f64>>> {
        let bad = |reason: String| Error::BadInput { path: path.into(), reason };
        let salts = self
            .salts
            .iter()
            .map(|s| crate::field::from_hex(s))
            .collect::<Result<Vec<Fr>>>()
            .map_err(|e| bad(e.to_string()))?;
        let scale = compiled.model.scale();
        let values: Vec<i128> =
            self.outputs.iter().flatten().map(|v| crate::quant::quantize(*v as f32, scale) as i128).collect();
        match compiled.layout.opens_outputs(instances, &values, &salts) {
            Some(true) => Ok(self.outputs.clone()),
            Some(false) => Err(bad(
                "does not open the proof's outputs commitment (its outputs or salts were edited, or it is another \
                 proof's opening): use the opening `zkinfer prove` wrote beside this proof"
                    .into(),
            )),
            None => Err(bad("the build's outputs are not hashed, so there is nothing to open".into())),
        }
    }
}

/// Whether two output lists are the same fixed-point values at `scale`: JSON's decimal round
/// trip may move a float by an ulp (serde_json reads 1.0314140319824219 back as
/// 1.031414031982422), never by a grid step.
fn same_on_grid(a: &[Vec<f64>], b: &[Vec<f64>], scale: f64) -> bool {
    let grid = |v: &[Vec<f64>]| -> Vec<Vec<i128>> {
        v.iter().map(|o| o.iter().map(|x| (x * scale).round() as i128).collect()).collect()
    };
    grid(a) == grid(b)
}

/// Proves one inference: quantises `inputs`, builds the witness (checked against the oracle) and proves it.
pub fn prove(compiled: &Compiled, params: &Srs, keys: &Keys, inputs: &[Vec<f32>]) -> Result<ProofFile> {
    prove_for(compiled, params, keys, inputs, Transcript::Evm)
}

/// [`prove`] over either transcript: Keccak for a contract, Poseidon for an aggregate.
pub fn prove_for(
    compiled: &Compiled,
    params: &Srs,
    keys: &Keys,
    inputs: &[Vec<f32>],
    transcript: Transcript,
) -> Result<ProofFile> {
    let start = std::time::Instant::now();
    let salts = compiled.fresh_salts();
    let (circuit, witness) = compiled.circuit_with_witness(inputs, &salts)?;
    let instances: Vec<Fr> = compiled.public_values(&witness, &salts);
    let proof = match transcript {
        Transcript::Evm => prove_circuit(params, keys, circuit, &instances)?,
        Transcript::Poseidon => poseidon::prove_circuit(params, keys, circuit, &instances)?,
    };
    let outputs = compiled.outputs_from_witness(&witness);
    let public_outputs = compiled.settings.output_visibility != crate::circuit::privacy::Visibility::Hashed;
    Ok(ProofFile {
        proof: format!("0x{}", hex::encode(&proof)),
        instances: instances.iter().map(crate::field::to_hex).collect(),
        outputs: if public_outputs { outputs.clone() } else { vec![] },
        opening: Opening {
            salts: compiled
                .layout
                .commitments
                .iter()
                .zip(&salts)
                .filter(|(c, _)| c.salted)
                .map(|(_, s)| crate::field::to_hex(s))
                .collect(),
            outputs: if public_outputs { vec![] } else { outputs },
        },
        model_hash: compiled.settings.model_hash.clone(),
        format: crate::artifact::FORMAT,
        build: compiled.settings.build_hash(),
        k: compiled.settings.k,
        transcript,
        prove_seconds: start.elapsed().as_secs_f64(),
    })
}

/// The prover itself, over any instance column: `prove` gives it the layout's public values; the
/// soundness tests give it others (extra rows, another model's commitment) to show that the
/// verifiers refuse what an attacker can really prove.
pub fn prove_circuit(params: &Srs, keys: &Keys, circuit: ModelCircuit, instances: &[Fr]) -> Result<Vec<u8>> {
    let mut transcript = EvmTranscript::<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>::new(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, ChallengeEvm<G1Affine>, _, _, _>(
        params,
        &keys.pk,
        &[circuit],
        &[&[instances]],
        rand::rngs::OsRng,
        &mut transcript,
    )
    .map_err(|source| Error::Halo2 { stage: "prove", source })?;
    Ok(transcript.finalize())
}

/// [`verify`] for a proof of either transcript.
pub fn verify_for(params: &Srs, keys: &Keys, proof: &[u8], instances: &[Fr], transcript: Transcript) -> Result<()> {
    match transcript {
        Transcript::Evm => verify(params, keys, proof, instances),
        Transcript::Poseidon => poseidon::verify(params, keys, proof, instances),
    }
}

/// Accepts exactly what the generated contract accepts: the statement (`Statement`), a proof of
/// exactly the key's length (`ProofShape`: halo2 stops reading where the argument ends) with no
/// point at infinity (no honest proof has one: every commitment is blinded; the transcript would
/// read (0,0) as one, the contract refuses it), then halo2's check. A public value ≥ r never gets
/// here: `Fr` cannot hold one, and `field::from_hex` refuses it as the contract does.
pub fn verify(params: &Srs, keys: &Keys, proof: &[u8], instances: &[Fr]) -> Result<()> {
    keys.statement.check(instances)?;
    verify_with_vk(params, keys.vk(), proof, instances)
}

/// [`verify`] after the statement: the proof's exact length, no point at infinity, halo2's check
/// under `vk`. The aggregate's verifier checks its own statement first, then this.
pub fn verify_with_vk(params: &Srs, vk: &VerifyingKey<G1Affine>, proof: &[u8], instances: &[Fr]) -> Result<()> {
    let shape = ProofShape::of(vk);
    if proof.len() != shape.bytes() {
        return Err(Error::rejected(format!(
            "the proof is {} bytes; this model's proofs are exactly {} bytes",
            proof.len(),
            shape.bytes()
        )));
    }
    let identity = shape.point_offsets().into_iter().position(|at| proof[at..at + POINT_BYTES].iter().all(|&b| b == 0));
    if let Some(i) = identity {
        return Err(Error::rejected(format!(
            "point {i} of the proof is (0,0), the point at infinity, which no proof contains"
        )));
    }
    let mut transcript = EvmTranscript::<G1Affine, NativeLoader, &[u8], Vec<u8>>::new(proof);
    let strategy = SingleStrategy::new(params);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, ChallengeEvm<G1Affine>, _, _>(
        params,
        vk,
        strategy,
        &[&[instances]],
        &mut transcript,
    )
    .map_err(|e| Error::Verify {
        check: "the proof does not hold for this model's verifying key and these public values".into(),
        source: Some(e),
    })
}

impl ProofFile {
    /// The proof as bytes, decoded from hex.
    pub fn proof_bytes(&self) -> Result<Vec<u8>> {
        hex::decode(self.proof.trim_start_matches("0x")).map_err(|e| {
            Error::value("proof", &self.proof, format!("is not hex: {e}: use the proof.json zkinfer prove wrote"))
        })
    }
    /// The public values as field elements; a value ≥ r is refused as the contract refuses it.
    pub fn instance_fields(&self) -> Result<Vec<Fr>> {
        self.instances.iter().map(|s| crate::field::from_hex(s)).collect()
    }
    /// Reads a proof file written by `zkinfer prove` (without its opening, which is a separate
    /// file), checking its proof and public values parse, so a bad one is named by its path.
    pub fn read(path: &Path) -> Result<ProofFile> {
        let p: ProofFile = crate::compile::read_json_as(
            path,
            "zkinfer proof file",
            "; give the proof.json `zkinfer prove` wrote, unedited",
        )?;
        let bad = |e: Error| Error::BadInput { path: path.into(), reason: e.to_string() };
        p.proof_bytes().map_err(bad)?;
        p.instance_fields().map_err(bad)?;
        Ok(p)
    }

    /// Refuses a file whose `outputs` are not those its public values state. `outputs` is what a
    /// reader takes for the model's answer; the proof binds only the public values.
    pub fn check_outputs(&self, path: &Path, compiled: &Compiled) -> Result<()> {
        let instances = self.instance_fields()?;
        let stated = compiled.outputs_from_instances(&instances).unwrap_or_default();
        if !same_on_grid(&self.outputs, &stated, compiled.model.scale()) {
            return Err(Error::BadInput {
                path: path.into(),
                reason: format!(
                    "its `outputs` {} are not the outputs its public values state {}: the file was edited; \
                     use the proof.json `zkinfer prove` wrote",
                    crate::error::clip(&format!("{:?}", self.outputs)),
                    crate::error::clip(&format!("{stated:?}"))
                ),
            });
        }
        Ok(())
    }

    /// Refuses a proof made for aggregation where a contract will check it: no contract reads
    /// the Poseidon transcript, so it would only ever be rejected there.
    pub fn check_evm(&self, path: &Path) -> Result<()> {
        if self.transcript == Transcript::Poseidon {
            return Err(Error::BadInput {
                path: path.into(),
                reason:
                    "is a proof for aggregation (Poseidon transcript, `zkinfer prove --for-aggregation`), which no \
                         verifier contract checks: give it to `zkinfer aggregate`, or prove again without \
                         --for-aggregation to submit it alone"
                        .into(),
            });
        }
        Ok(())
    }

    /// Refuses a proof made by another build than `compiled` (or another format), naming both.
    pub fn check_build(&self, path: &Path, compiled: &Compiled) -> Result<()> {
        let stale = |made_for: String, this: String| {
            Error::StaleArtifact {
            path: path.into(),
            what: "proof",
            made_for,
            this,
            hint: "prove again with this build (`zkinfer prove BUILD/ --input INPUT.json`), or verify with the build that made it".into(),
        }
        };
        if self.format != crate::artifact::FORMAT {
            return Err(stale(
                format!("artifact format {}", self.format),
                format!("format {}", crate::artifact::FORMAT),
            ));
        }
        let this = compiled.settings.build_hash();
        if self.build != this {
            return Err(stale(
                format!("build {}", crate::artifact::short(&self.build)),
                format!("build {}", crate::artifact::short(&this)),
            ));
        }
        if self.k != compiled.settings.k {
            return Err(stale(format!("k = {}", self.k), format!("k = {}", compiled.settings.k)));
        }
        if compiled.settings.model_hash.is_empty() {
            // The build was compiled again and not set up since: it has no keys to check with.
            return Err(Error::StaleArtifact {
                path: path.into(),
                what: "proof",
                made_for: format!("MODEL_HASH {}", crate::artifact::short(&self.model_hash)),
                this: "compiled again and not set up since (it has no MODEL_HASH yet)".into(),
                hint: "run `zkinfer setup BUILD/`, then prove again".into(),
            });
        }
        if self.model_hash != compiled.settings.model_hash {
            return Err(stale(
                format!("MODEL_HASH {}", crate::artifact::short(&self.model_hash)),
                format!("MODEL_HASH {} (set up again since)", crate::artifact::short(&compiled.settings.model_hash)),
            ));
        }
        Ok(())
    }
}

/// A witness, one value per wire, shared between the circuit and its caller without copying.
pub type SharedWitness = Arc<Vec<i128>>;

#[cfg(test)]
mod grid_tests {
    /// A proof's outputs read back from JSON an ulp away still match its public values (found
    /// on self_attention at 2^-18); an edit of one grid step does not.
    #[test]
    fn outputs_match_on_the_grid_not_to_the_ulp() {
        let s = (18f64).exp2();
        let stated = vec![vec![1.0314140319824219, -0.5]];
        assert!(super::same_on_grid(&[vec![1.031414031982422, -0.5]], &stated, s));
        assert!(!super::same_on_grid(&[vec![1.0314140319824219 + 1.0 / s, -0.5]], &stated, s));
        assert!(!super::same_on_grid(&[vec![1.0314140319824219]], &stated, s));
    }
}
