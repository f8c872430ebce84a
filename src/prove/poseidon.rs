//! Proofs for aggregation: the same SHPLONK argument with snark-verifier's Poseidon transcript,
//! because the aggregation circuit (`crate::aggregate`) can hash Poseidon in-circuit and not
//! Keccak. No Solidity verifier checks such a proof: it only ever enters an aggregate.

use super::{Keys, Srs};
use crate::circuit::ModelCircuit;
use crate::error::{Error, Result};
use crate::evm::proof_shape::ProofShape;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, verify_proof};
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use snark_verifier_sdk::halo2::{PoseidonTranscript, POSEIDON_SPEC};
use snark_verifier_sdk::snark_verifier::loader::native::NativeLoader;
use snark_verifier_sdk::snark_verifier::system::halo2::transcript::halo2::ChallengeScalar;

/// A point in the Poseidon transcript: compressed, 32 bytes.
pub const POINT_BYTES: usize = 32;

/// Which transcript a proof was made with, as `proof.json` records it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transcript {
    /// Keccak (snark-verifier's `EvmTranscript`): what the generated contract replays.
    #[default]
    Evm,
    /// Poseidon: what the aggregation circuit replays (`zkinfer prove --for-aggregation`).
    Poseidon,
}

impl Transcript {
    /// Whether this is the default, which `proof.json` leaves unwritten.
    pub fn is_evm(&self) -> bool {
        *self == Transcript::Evm
    }
}

/// Proves over the Poseidon transcript, as [`super::prove_circuit`] does over Keccak.
pub fn prove_circuit(params: &Srs, keys: &Keys, circuit: ModelCircuit, instances: &[Fr]) -> Result<Vec<u8>> {
    let mut transcript = PoseidonTranscript::<NativeLoader, Vec<u8>>::from_spec(vec![], POSEIDON_SPEC.clone());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, ChallengeScalar<G1Affine>, _, _, _>(
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

/// Checks a Poseidon-transcript proof as [`super::verify`] checks a Keccak one: the statement,
/// the exact length, no point at infinity (compressed, that is 32 zero bytes), then halo2.
pub fn verify(params: &Srs, keys: &Keys, proof: &[u8], instances: &[Fr]) -> Result<()> {
    keys.statement.check(instances)?;
    let shape = ProofShape::of(keys.vk());
    let want = shape.bytes_with(POINT_BYTES);
    if proof.len() != want {
        return Err(Error::rejected(format!(
            "the proof is {} bytes; this model's proofs for aggregation are exactly {want} bytes",
            proof.len()
        )));
    }
    let identity = |at: usize| proof[at..at + POINT_BYTES].iter().all(|&b| b == 0);
    if let Some(i) = shape.point_offsets_with(POINT_BYTES).into_iter().position(identity) {
        return Err(Error::rejected(format!(
            "point {i} of the proof is the point at infinity, which no proof contains"
        )));
    }
    let mut transcript = PoseidonTranscript::<NativeLoader, &[u8]>::from_spec(proof, POSEIDON_SPEC.clone());
    let strategy = SingleStrategy::new(params);
    // halo2 panics on some malformed points instead of returning an error.
    crate::error::without_panic_output(|| {
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, ChallengeScalar<G1Affine>, _, _>(
            params,
            keys.vk(),
            strategy,
            &[&[instances]],
            &mut transcript,
        )
    })
    .unwrap_or(Err(halo2_proofs::plonk::Error::Opening))
    .map_err(|e| Error::Verify {
        check: "the proof does not hold for this model's verifying key and these public values".into(),
        source: Some(e),
    })
}
