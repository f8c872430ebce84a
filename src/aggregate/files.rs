//! The aggregation directory's files: `aggregate.json` (the slots and the circuit's layout),
//! `kzg.srs`, `vk.bin`, `pk.bin`, and the aggregate proof file.

use super::circuit::{self, BreakPoints, ACCUMULATOR_LIMBS};
use crate::compile::Compiled;
use crate::error::{Error, Result};
use crate::prove::{ProofFile, Srs};
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};
use snark_verifier_sdk::halo2::aggregation::{AggregationCircuit, AggregationConfigParams};
use std::path::Path;

/// One inner proof's place in the aggregate: which build it must be of, where its public values
/// are, and what they mean (the numbering of `contracts/IZkinferVerifier.sol`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// The model's name, for reports.
    pub model: String,
    /// The build (`Settings::build_hash`) whose key the circuit holds for this slot.
    pub build: String,
    /// That build's `MODEL_HASH`.
    pub model_hash: String,
    /// With hashed weights, the commitment the slot's last public value must equal.
    pub commitment: Option<String>,
    /// Index of the slot's first public value among the aggregate's.
    pub offset: usize,
    /// The slot's public values: inputs part, outputs part, weights commitment.
    pub num_instances: usize,
    /// `WEIGHTS_MODE`, `INPUT_VISIBILITY`, `OUTPUT_VISIBILITY` of the build's own verifier.
    pub weights_mode: u8,
    /// See `weights_mode`.
    pub input_visibility: u8,
    /// See `weights_mode`.
    pub output_visibility: u8,
    /// Public values of the inputs part.
    pub num_public_inputs: usize,
    /// Public values of the outputs part.
    pub num_outputs: usize,
    /// Elements of the model's inputs (`NUM_INPUT_VALUES`: what packed words do not tell).
    pub num_input_values: usize,
    /// Elements of the model's outputs, and the fixed-point scale and packing they come in.
    pub num_output_values: usize,
    /// Outputs are value / 2^scale_bits.
    pub scale_bits: u32,
    /// Bits of one packed value.
    pub pack_bits: u32,
}

impl Slot {
    /// The slot a proof of `compiled` fills at `offset`.
    pub fn of(compiled: &Compiled, offset: usize) -> Slot {
        let s = &compiled.settings;
        let binding = crate::evm::Binding::of(s);
        Slot {
            model: s.model.clone(),
            build: s.build_hash(),
            model_hash: s.model_hash.clone(),
            commitment: s.model_commitment.clone(),
            offset,
            num_instances: compiled.layout.public.len(),
            weights_mode: binding.weights_mode,
            input_visibility: binding.input_visibility,
            output_visibility: binding.output_visibility,
            num_public_inputs: s.num_public_inputs,
            num_outputs: s.num_outputs,
            num_input_values: s.input_values(),
            num_output_values: s.output_values(),
            scale_bits: s.scale_bits,
            pack_bits: crate::circuit::packed::bits(s.scale_bits),
        }
    }
}

/// `aggregate.json`: what the aggregation directory's keys were made for.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateSettings {
    /// The artifact format (`artifact::FORMAT`).
    pub format: u32,
    /// log2 of the circuit's rows.
    pub k: u32,
    /// The circuit's columns, as the keys were made with them.
    pub config: AggregationConfigParams,
    /// The keygen layout's break points, which the prover must reuse.
    pub break_points: BreakPoints,
    /// The inner builds, in order.
    pub slots: Vec<Slot>,
    /// Public values of an aggregate proof: the accumulator's limbs, then every slot's.
    pub num_instances: usize,
    /// The SRS's fingerprint (`prove::srs_fingerprint`), 0x-hex.
    pub srs: String,
    /// The digest of `kzg.srs` as written (`artifact::digest`): a damaged copy is refused on load.
    pub srs_digest: String,
    /// True for the dev SRS: its toxic waste is public, so aggregates made with it are forgeable.
    pub insecure: bool,
    /// The aggregation verifying key's transcript representation, 0x-hex: `vk.bin` and `pk.bin`
    /// are checked against it on load.
    pub vk_repr: String,
    /// The generated contract's `AGGREGATE_HASH`: keccak256 over the verifying key's
    /// representation and every slot's model hash, commitment and public-value range.
    pub aggregate_hash: String,
}

/// `AGGREGATE_HASH`: keccak256 over the aggregation key's transcript representation and every
/// field of every slot (its build, model, commitment, range and how its values read), so that
/// no part of `aggregate.json` the contract is generated from can change without changing it.
fn aggregate_hash(vk_repr: &str, slots: &[Slot]) -> String {
    let mut h = Keccak256::new();
    h.update(b"zkinfer aggregate v1");
    h.update(crate::artifact::digest_bytes(vk_repr));
    h.update(serde_json::to_vec(slots).expect("slots serialise"));
    format!("0x{}", hex::encode(h.finalize()))
}

fn repr_hex(vk: &VerifyingKey<G1Affine>) -> String {
    format!("0x{}", hex::encode(crate::field::be_word(vk.transcript_repr().to_repr())))
}

impl AggregateSettings {
    /// The settings of keys just made.
    pub fn new(
        k: u32,
        config: AggregationConfigParams,
        break_points: BreakPoints,
        slots: Vec<Slot>,
        vk: &VerifyingKey<G1Affine>,
        params: &Srs,
    ) -> AggregateSettings {
        let num_instances = ACCUMULATOR_LIMBS + slots.iter().map(|s| s.num_instances).sum::<usize>();
        let vk_repr = repr_hex(vk);
        let aggregate_hash = aggregate_hash(&vk_repr, &slots);
        AggregateSettings {
            format: crate::artifact::FORMAT,
            k,
            config,
            break_points,
            slots,
            num_instances,
            srs: format!("0x{}", hex::encode(crate::prove::srs_fingerprint(params))),
            srs_digest: String::new(),
            insecure: crate::prove::is_dev(params),
            vk_repr,
            aggregate_hash,
        }
    }

    /// Reads `dir/aggregate.json`.
    pub fn load(dir: &Path) -> Result<AggregateSettings> {
        let path = dir.join("aggregate.json");
        if !path.exists() {
            return Err(Error::MissingArtifact {
                what: "aggregate.json".into(),
                dir: dir.into(),
                hint: "zkinfer aggregate PROOF… --build BUILD/ -o DIR/".into(),
            });
        }
        let s: AggregateSettings =
            crate::compile::read_json_as(&path, "zkinfer aggregation settings", "; run `zkinfer aggregate` again")?;
        s.check().map_err(|reason| Error::BadInput {
            path,
            reason: format!("{reason}: the file was edited; run `zkinfer aggregate` into a fresh directory"),
        })?;
        Ok(s)
    }

    /// What a contract is generated from must hang together: the slots tile the public values
    /// after the accumulator, each slot's parts add up, its hashes are words and its commitment a
    /// field element, and `aggregate_hash` is the hash of all of it.
    fn check(&self) -> std::result::Result<(), String> {
        let mut offset = ACCUMULATOR_LIMBS;
        for (i, s) in self.slots.iter().enumerate() {
            let hashed = s.commitment.is_some();
            let parts = s.num_public_inputs + s.num_outputs + usize::from(hashed);
            if s.offset != offset || s.num_instances == 0 || parts != s.num_instances {
                return Err(format!("slot {i}'s public values do not follow the previous slot's or do not add up"));
            }
            let word = |h: &str| h.len() == 66 && h.starts_with("0x") && hex::decode(&h[2..]).is_ok();
            if !word(&s.model_hash) || !word(&s.build) {
                return Err(format!("slot {i}'s model or build hash is not a 32-byte word"));
            }
            if let Some(c) = &s.commitment {
                crate::field::from_hex(c).map_err(|e| format!("slot {i}'s commitment: {e}"))?;
            }
            if (s.weights_mode == 1) != hashed || s.pack_bits < 2 {
                return Err(format!("slot {i}'s weights mode, commitment and packing disagree"));
            }
            offset += s.num_instances;
        }
        if offset != self.num_instances || self.slots.is_empty() {
            return Err("the slots do not cover the aggregate's public values".into());
        }
        if aggregate_hash(&self.vk_repr, &self.slots) != self.aggregate_hash {
            return Err("its aggregate_hash is not the hash of its key and slots".into());
        }
        Ok(())
    }

    /// Each slot's outputs as its public values state them (fixed point dequantised), flattened;
    /// empty for hashed outputs, which are a commitment.
    pub fn outputs(&self, instances: &[Fr]) -> Option<Vec<Vec<f64>>> {
        self.slots
            .iter()
            .map(|s| {
                let first = s.offset + s.num_public_inputs;
                let words = instances.get(first..first + s.num_outputs)?;
                let values: Vec<i128> = match s.output_visibility {
                    0 => words.iter().map(crate::field::to_i128).collect::<Option<_>>()?,
                    3 => crate::circuit::packed::unpack(words, s.num_output_values, s.pack_bits)?,
                    _ => vec![],
                };
                Some(values.iter().map(|&v| v as f64 / (s.scale_bits as f64).exp2()).collect())
            })
            .collect()
    }

    /// Whether these keys were made for exactly these slots, in this order.
    pub fn serves(&self, slots: &[Slot]) -> bool {
        self.format == crate::artifact::FORMAT && self.slots == slots
    }

    /// The statement besides the key: the count of public values, and each hashed-weights
    /// slot's commitment (the key is the architecture's; the commitment names the weights).
    pub fn check_statement(&self, instances: &[Fr]) -> Result<()> {
        if instances.len() != self.num_instances {
            return Err(Error::rejected(format!(
                "expected {} public values (12 accumulator limbs and the slots'), got {}",
                self.num_instances,
                instances.len()
            )));
        }
        for (i, s) in self.slots.iter().enumerate() {
            let Some(c) = &s.commitment else { continue };
            let want = crate::field::from_hex(c)?;
            let got = instances[s.offset + s.num_instances - 1];
            if got != want {
                return Err(Error::rejected(format!(
                    "slot {i} ({}) commits to other weights ({}) than its build's ({c})",
                    s.model,
                    crate::field::to_hex(&got)
                )));
            }
        }
        Ok(())
    }
}

/// The outputs one slot's public values state.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotOutputs {
    /// The slot's model.
    pub model: String,
    /// Its `MODEL_HASH`.
    pub model_hash: String,
    /// Its outputs when public (hashed outputs stay in the inner proof's opening).
    pub outputs: Vec<Vec<f64>>,
}

/// `proof.json` of an aggregation directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateProof {
    /// The artifact format.
    pub format: u32,
    /// The `AGGREGATE_HASH` of the keys it was proven with.
    pub aggregate_hash: String,
    /// The proof bytes, 0x-hex, as the contract's `verifyProof` takes them.
    pub proof: String,
    /// The public values, 0x-hex: the accumulator's 12 limbs, then each slot's.
    pub instances: Vec<String>,
    /// Each slot's model and outputs.
    pub slots: Vec<SlotOutputs>,
    /// Wall-clock proving time of the aggregate (keygen excluded).
    pub prove_seconds: f64,
}

impl AggregateProof {
    /// The proof file of an aggregate just proven.
    pub fn new(
        settings: &AggregateSettings,
        proof: &[u8],
        instances: &[Fr],
        inner: &[&ProofFile],
        prove_seconds: f64,
    ) -> AggregateProof {
        AggregateProof {
            format: crate::artifact::FORMAT,
            aggregate_hash: settings.aggregate_hash.clone(),
            proof: format!("0x{}", hex::encode(proof)),
            instances: instances.iter().map(crate::field::to_hex).collect(),
            slots: settings
                .slots
                .iter()
                .zip(inner)
                .map(|(s, p)| SlotOutputs {
                    model: s.model.clone(),
                    model_hash: s.model_hash.clone(),
                    outputs: p.outputs.clone(),
                })
                .collect(),
            prove_seconds,
        }
    }

    /// Reads an aggregate proof file, checking its hex parses.
    pub fn read(path: &Path) -> Result<AggregateProof> {
        let p: AggregateProof = crate::compile::read_json_as(
            path,
            "zkinfer aggregate proof file",
            "; give the proof.json `zkinfer aggregate` wrote, unedited",
        )?;
        let bad = |e: Error| Error::BadInput { path: path.into(), reason: e.to_string() };
        p.proof_bytes().map_err(bad)?;
        p.instance_fields().map_err(bad)?;
        Ok(p)
    }

    /// The proof as bytes.
    pub fn proof_bytes(&self) -> Result<Vec<u8>> {
        hex::decode(self.proof.trim_start_matches("0x")).map_err(|e| {
            Error::value("proof", &self.proof, format!("is not hex: {e}: use the proof.json zkinfer aggregate wrote"))
        })
    }

    /// The public values as field elements; a value ≥ r is refused as the contract refuses it.
    pub fn instance_fields(&self) -> Result<Vec<Fr>> {
        self.instances.iter().map(|s| crate::field::from_hex(s)).collect()
    }

    /// Refuses a file whose slots or outputs are not what its public values state (a reader
    /// takes `slots` for the answers; the proof binds only the public values).
    pub fn check_outputs(&self, path: &Path, settings: &AggregateSettings, instances: &[Fr]) -> Result<()> {
        let stated = settings.outputs(instances).unwrap_or_default();
        let grid = |v: &[f64], s: &Slot| -> Vec<i128> {
            v.iter().map(|x| (x * (s.scale_bits as f64).exp2()).round() as i128).collect()
        };
        let same = self.slots.len() == settings.slots.len()
            && self.slots.iter().zip(&settings.slots).zip(&stated).all(|((f, s), want)| {
                let got: Vec<f64> = f.outputs.iter().flatten().copied().collect();
                f.model_hash == s.model_hash && grid(&got, s) == grid(want, s)
            });
        if !same {
            return Err(Error::BadInput {
                path: path.into(),
                reason: "its slots or outputs are not those its public values state: the file was edited; use the \
                         proof.json `zkinfer aggregate` wrote"
                    .into(),
            });
        }
        Ok(())
    }

    /// Refuses an aggregate of other keys than the directory's, by name.
    pub fn check_aggregate(&self, path: &Path, settings: &AggregateSettings) -> Result<()> {
        if self.format != settings.format || self.aggregate_hash != settings.aggregate_hash {
            return Err(Error::StaleArtifact {
                path: path.into(),
                what: "aggregate proof",
                made_for: format!("AGGREGATE_HASH {}", crate::artifact::short(&self.aggregate_hash)),
                this: format!("AGGREGATE_HASH {}", crate::artifact::short(&settings.aggregate_hash)),
                hint: "aggregate again into this directory, or give the directory that made it".into(),
            });
        }
        Ok(())
    }
}

/// Writes the directory's SRS, verifying key and proving key, then `aggregate.json` last, so an
/// interrupted write leaves no settings naming keys that are not there.
pub fn write_keys(dir: &Path, settings: &mut AggregateSettings, params: &Srs, pk: &ProvingKey<G1Affine>) -> Result<()> {
    let mut batch = crate::artifact::Batch::new();
    settings.srs_digest = crate::prove::stage_srs(params, &dir.join("kzg.srs"), &mut batch)?;
    let format = halo2_proofs::SerdeFormat::RawBytesUnchecked;
    batch.write(&dir.join("vk.bin"), |w| pk.get_vk().write(w, format))?;
    batch.write(&dir.join("pk.bin"), |w| {
        crate::error::without_panic_output(|| pk.write(w, format))
            .unwrap_or_else(|_| Err(std::io::Error::other("the proving key could not be written (disk full?)")))
    })?;
    batch.write_bytes(&dir.join("aggregate.json"), &crate::compile::json_bytes(&*settings)?)?;
    batch.commit()
}

fn load_srs(dir: &Path, settings: &AggregateSettings) -> Result<Srs> {
    // The digest check makes the fast unchecked read safe (as for a build's own kzg.srs).
    crate::prove::read_build_srs(&dir.join("kzg.srs"), settings.k, &settings.srs_digest)
}

fn damaged(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |why| Error::BadInput {
        path: path.into(),
        reason: format!(
            "unreadable or not the key aggregate.json names ({why}): run `zkinfer aggregate` into a fresh directory"
        ),
    }
}

/// The directory's SRS and verifying key (small: what verification and Solidity need).
pub fn load_vk(dir: &Path, settings: &AggregateSettings) -> Result<(Srs, VerifyingKey<G1Affine>)> {
    let params = load_srs(dir, settings)?;
    let path = dir.join("vk.bin");
    let bytes = crate::artifact::read(&path)?;
    let format = halo2_proofs::SerdeFormat::RawBytesUnchecked;
    let vk = crate::error::without_panic_output(|| {
        VerifyingKey::<G1Affine>::read::<_, AggregationCircuit>(&mut &bytes[..], format, settings.config)
    })
    .map_err(|_| damaged(&path)("truncated".into()))?
    .map_err(|e| damaged(&path)(e.to_string()))?;
    if repr_hex(&vk) != settings.vk_repr {
        return Err(damaged(&path)("another verifying key".into()));
    }
    Ok((params, vk))
}

/// The directory's SRS and proving key.
pub fn load_keys(dir: &Path, settings: &AggregateSettings) -> Result<(Srs, ProvingKey<G1Affine>)> {
    let params = load_srs(dir, settings)?;
    let path = dir.join("pk.bin");
    let mut r = std::io::BufReader::new(crate::artifact::open(&path)?);
    let pk = crate::error::without_panic_output(|| circuit::read_pk(&mut r, settings.config))
        .map_err(|_| damaged(&path)("truncated".into()))?
        .map_err(|e| damaged(&path)(e.to_string()))?;
    if repr_hex(pk.get_vk()) != settings.vk_repr {
        return Err(damaged(&path)("another proving key".into()));
    }
    Ok((params, pk))
}
