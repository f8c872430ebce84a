//! SRS, keys, proofs. Proofs use SHPLONK over KZG/BN254 with a Keccak transcript laid out exactly
//! as the generated Solidity verifier replays it (snark-verifier's `EvmTranscript`).

use crate::circuit::ModelCircuit;
use crate::compile::Compiled;
use crate::error::{Error, Result};
use crate::evm::proof_shape::{ProofShape, POINT_BYTES};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, verify_proof, ProvingKey, VerifyingKey};
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::SerdeFormat;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::system::halo2::transcript::evm::{ChallengeEvm, EvmTranscript};
use std::path::Path;
use std::sync::Arc;

mod pk_layout;

/// The KZG parameters (structured reference string) on BN254 that keys and proofs are made with.
pub type Srs = ParamsKZG<Bn256>;

/// The seed of the development SRS. Anyone can recompute its toxic waste from this number: it
/// makes proofs forgeable and must never secure anything of value. Use `--srs` with a ceremony file.
pub const DEV_SRS_SEED: u64 = 0x007a_6b69_6e66_6572;

/// A 2^k SRS from the public `DEV_SRS_SEED`: for development and tests only, as its toxic waste is known.
pub fn dev_srs(k: u32) -> Srs {
    ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SRS_SEED))
}

/// Loads a halo2-format KZG params file (PSE/EZKL ceremony files) and trims it to 2^k.
pub fn load_srs(path: &Path, k: u32) -> Result<Srs> {
    // halo2's raw format: k (u32 LE), then 2^k points g, 2^k points g_lagrange (64 bytes each),
    // then g2 and s_g2 (128 bytes each). Check the header before halo2 trusts it.
    let bad = |reason: String| Error::BadInput { path: path.into(), reason };
    let len = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
    let mut head = [0u8; 4];
    std::io::Read::read_exact(&mut std::fs::File::open(path).map_err(|e| Error::io(path, e))?, &mut head)
        .map_err(|_| bad("too short to be a halo2 KZG params file".into()))?;
    let file_k = u32::from_le_bytes(head);
    if file_k == 0 || file_k > 28 || len != 4 + 2 * 64 * (1u64 << file_k) + 256 {
        return Err(bad(format!("not a halo2 KZG params file in raw format ({len} bytes, header says k = {file_k})")));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut params = ParamsKZG::<Bn256>::read(&mut std::io::BufReader::new(file))
        .map_err(|e| Error::BadInput { path: path.into(), reason: format!("not a halo2 KZG params file: {e}") })?;
    if params.k() < k {
        return Err(Error::BadInput {
            path: path.into(),
            reason: format!("holds 2^{} points but this circuit needs 2^{k}", params.k()),
        });
    }
    if params.k() > k {
        params.downsize(k);
    }
    Ok(params)
}

/// Writes the SRS in halo2's raw format, the one `load_srs` reads back.
pub fn write_srs(params: &Srs, path: &Path) -> Result<()> {
    let mut f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    params.write(&mut f).map_err(|e| Error::io(path, e))
}

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
            return Err(Error::Verify(format!(
                "expected {} public values, got {}: this model's proofs have exactly the layout's public values",
                self.num_public,
                instances.len()
            )));
        }
        match (&self.commitment, instances.last()) {
            (Some(want), Some(got)) if want != got => Err(Error::Verify(format!(
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
    let vk = keygen_vk(params, &circuit).map_err(|e| Error::Other(format!("keygen (vk): {e:?}")))?;
    let pk = keygen_pk(params, vk, &circuit).map_err(|e| Error::Other(format!("keygen (pk): {e:?}")))?;
    Ok(Keys { pk, statement: Statement::of(compiled)? })
}

/// Writes the proving key (`pk.bin`) in halo2's raw format, unchecked on read back for speed.
pub fn write_pk(keys: &Keys, path: &Path) -> Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| Error::io(path, e))?);
    keys.pk.write(&mut f, SerdeFormat::RawBytesUnchecked).map_err(|e| Error::io(path, e))
}

/// Reads `pk.bin` back; `compiled` must be the build it was made from, as its circuit parameters shape the key.
pub fn read_pk(compiled: &Compiled, path: &Path) -> Result<Keys> {
    let f = std::fs::File::open(path).map_err(|_| Error::MissingArtifact {
        what: "proving key (pk.bin)".into(),
        dir: path.parent().unwrap_or(path).into(),
        hint: "zkinfer setup BUILD/".into(),
    })?;
    let bad = |why: String| Error::BadInput {
        path: path.into(),
        reason: format!("unreadable proving key ({why}): run `zkinfer setup` on this build again"),
    };
    let mut bytes = vec![];
    std::io::Read::read_to_end(&mut std::io::BufReader::new(f), &mut bytes).map_err(|e| Error::io(path, e))?;
    let read = without_panic_output(|| {
        pk_layout::check(&bytes, compiled)?;
        ProvingKey::<G1Affine>::read::<_, ModelCircuit>(
            &mut &bytes[..],
            SerdeFormat::RawBytesUnchecked,
            compiled.circuit_params(),
        )
    });
    let pk = match read {
        Ok(result) => result.map_err(|e| bad(e.to_string()))?,
        Err(_) => return Err(bad("truncated or not made for this build".into())),
    };
    Ok(Keys { pk, statement: Statement::of(compiled)? })
}

/// Runs `f`, turning a panic into `Err` with its message kept off the terminal. halo2's key
/// reader unwraps its short reads, so a truncated `pk.bin` panics inside it instead of
/// returning an error; the user is told which file to remake instead.
pub(crate) fn without_panic_output<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
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

/// What `zkinfer prove` writes: enough to verify in Rust, to submit on chain, and to read the
/// model's answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProofFile {
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

/// Proves one inference: quantises `inputs`, builds the witness (checked against the oracle) and proves it.
pub fn prove(compiled: &Compiled, params: &Srs, keys: &Keys, inputs: &[Vec<f32>]) -> Result<ProofFile> {
    let start = std::time::Instant::now();
    let salts = compiled.fresh_salts();
    let (circuit, witness) = compiled.circuit_with_witness(inputs, &salts)?;
    let instances: Vec<Fr> = compiled.public_values(&witness, &salts);
    let proof = prove_circuit(params, keys, circuit, &instances)?;
    let outputs = compiled.outputs_from_witness(&witness);
    let public_outputs = compiled.settings.output_visibility == crate::circuit::privacy::Visibility::Public;
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
        k: compiled.settings.k,
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
    .map_err(|e| Error::Other(format!("proving failed: {e:?}")))?;
    Ok(transcript.finalize())
}

/// Accepts exactly what the generated contract accepts: the statement (`Statement`), a proof of
/// exactly the key's length (`ProofShape`: halo2 stops reading where the argument ends) with no
/// point at infinity (no honest proof has one: every commitment is blinded; the transcript would
/// read (0,0) as one, the contract refuses it), then halo2's check. A public value ≥ r never gets
/// here: `Fr` cannot hold one, and `field::from_hex` refuses it as the contract does.
pub fn verify(params: &Srs, keys: &Keys, proof: &[u8], instances: &[Fr]) -> Result<()> {
    keys.statement.check(instances)?;
    let shape = ProofShape::of(keys.vk());
    if proof.len() != shape.bytes() {
        return Err(Error::Verify(format!(
            "the proof is {} bytes; this model's proofs are exactly {} bytes",
            proof.len(),
            shape.bytes()
        )));
    }
    let identity = shape.point_offsets().into_iter().position(|at| proof[at..at + POINT_BYTES].iter().all(|&b| b == 0));
    if let Some(i) = identity {
        return Err(Error::Verify(format!(
            "point {i} of the proof is (0,0), the point at infinity, which no proof contains"
        )));
    }
    let mut transcript = EvmTranscript::<G1Affine, NativeLoader, &[u8], Vec<u8>>::new(proof);
    let strategy = SingleStrategy::new(params);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, ChallengeEvm<G1Affine>, _, _>(
        params,
        keys.vk(),
        strategy,
        &[&[instances]],
        &mut transcript,
    )
    .map_err(|e| {
        Error::Verify(format!(
            "the proof does not hold for this model's verifying key and these public values (halo2: {e:?})"
        ))
    })
}

impl ProofFile {
    /// The proof as bytes, decoded from hex.
    pub fn proof_bytes(&self) -> Result<Vec<u8>> {
        hex::decode(self.proof.trim_start_matches("0x")).map_err(|e| Error::Other(format!("proof is not hex: {e}")))
    }
    /// The public values as field elements; a value ≥ r is refused as the contract refuses it.
    pub fn instance_fields(&self) -> Result<Vec<Fr>> {
        self.instances.iter().map(|s| crate::field::from_hex(s)).collect()
    }
    /// Reads a proof file written by `zkinfer prove` (without its opening, which is a separate file).
    pub fn read(path: &Path) -> Result<ProofFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::BadInput { path: path.into(), reason: format!("not a zkinfer proof file: {e}") })
    }
}

/// A witness, one value per wire, shared between the circuit and its caller without copying.
pub type SharedWitness = Arc<Vec<i128>>;
