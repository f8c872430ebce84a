//! The aggregation circuit: snark-verifier-sdk's in-circuit SHPLONK verifier over N inner
//! proofs (Poseidon transcript), each inner verifying key a constant of the circuit
//! (`VerifierUniversality::None`: the aggregate's key binds every inner key), every inner public
//! value exposed as a public value of the aggregate, and the inner openings left as one KZG
//! accumulator (12 limbs, the first public values) for the verifier to decide with its own
//! pairing. The sdk panics on what it cannot read; every call here runs behind
//! `without_panic_output` and checks its inputs first.

use crate::error::{Error, Result};
use crate::prove::Srs;
use halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::pairing::Engine;
use halo2_proofs::halo2curves::CurveAffine;
use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use snark_verifier_sdk::halo2::aggregation::{AggregationCircuit, AggregationConfigParams, VerifierUniversality};
use snark_verifier_sdk::snark_verifier::halo2_base::gates::circuit::CircuitBuilderStage;
use snark_verifier_sdk::snark_verifier::loader::native::NativeLoader;
use snark_verifier_sdk::snark_verifier::system::halo2::transcript::evm::{ChallengeEvm, EvmTranscript};
use snark_verifier_sdk::snark_verifier::system::halo2::{compile, Config};
use snark_verifier_sdk::{CircuitExt, Snark, SHPLONK};

/// The accumulator's public values: lhs.x, lhs.y, rhs.x, rhs.y, three 88-bit limbs each.
pub const ACCUMULATOR_LIMBS: usize = 12;
/// Bits of each limb but the top one.
pub const LIMB_BITS: usize = 88;
/// Bits of the top limb: with more, `l2 << 176` would not fit a 256-bit word on chain.
pub const TOP_LIMB_BITS: usize = 80;
/// Rows halo2 keeps free at the bottom of every column (blinding, plus margin).
const MINIMUM_ROWS: usize = 20;
/// Advice columns the planner aims at: each costs the verifier a commitment and its openings,
/// while more rows cost only prover time.
pub const TARGET_ADVICE: usize = 8;
/// The sizes tried, smallest first.
const K_RANGE: std::ops::RangeInclusive<u32> = 18..=25;

/// The break points of a keygen-stage layout, which the prover must reuse.
pub type BreakPoints = Vec<Vec<usize>>;

/// An inner proof as the aggregation circuit reads it: its protocol (from its verifying key),
/// its public values and its Poseidon-transcript bytes.
pub fn snark(params: &Srs, vk: &VerifyingKey<G1Affine>, proof: Vec<u8>, instances: Vec<Fr>) -> Snark {
    let protocol = compile(params, vk, Config::kzg().with_num_instance(vec![instances.len()]));
    Snark::new(protocol, vec![instances], proof)
}

/// Lays the circuit out for `snarks` at size `k`, as keygen does, and returns its configuration.
fn layout(params: &Srs, k: u32, snarks: &[Snark]) -> Result<(AggregationCircuit, AggregationConfigParams)> {
    let cfg = AggregationConfigParams { degree: k, lookup_bits: k as usize - 1, ..Default::default() };
    let mut circuit = sdk_call("lay out the aggregation circuit", || {
        AggregationCircuit::new::<SHPLONK>(
            CircuitBuilderStage::Keygen,
            cfg,
            params,
            snarks.to_vec(),
            VerifierUniversality::None,
        )
    })?;
    circuit.expose_previous_instances(false);
    let cfg = sdk_call("size the aggregation circuit", || circuit.calculate_params(Some(MINIMUM_ROWS)))?;
    Ok((circuit, cfg))
}

/// The smallest k (from `K_RANGE`) at which the circuit for `snarks` needs at most
/// `TARGET_ADVICE` advice columns, or `k` itself when given; with its layout and SRS.
pub fn plan(
    k: Option<u32>,
    snarks: &[Snark],
    srs: impl Fn(u32) -> Result<Srs>,
) -> Result<(u32, AggregationConfigParams, Srs)> {
    if let Some(k) = k {
        let params = srs(k)?;
        let cfg = layout(&params, k, snarks)?.1;
        return Ok((k, cfg, params));
    }
    // Cells barely depend on k (only through the range checks' lookup bits): one layout at a
    // middle size counts them, and a second at the chosen size confirms.
    let probe = 21;
    let params = srs(probe)?;
    let (_, cfg) = layout(&params, probe, snarks)?;
    let cells = cfg.num_advice << probe;
    let k =
        K_RANGE.clone().find(|&k| cells.div_ceil((1 << k) - MINIMUM_ROWS) <= TARGET_ADVICE).unwrap_or(*K_RANGE.end());
    if k == probe {
        return Ok((k, cfg, params));
    }
    drop(params);
    let params = srs(k)?;
    let cfg = layout(&params, k, snarks)?.1;
    Ok((k, cfg, params))
}

/// Keygen for the aggregation of proofs shaped as `snarks` (their keys, not their values, fix
/// the circuit): the proving key and the break points its prover must use.
pub fn keygen(
    params: &Srs,
    cfg: AggregationConfigParams,
    snarks: &[Snark],
) -> Result<(ProvingKey<G1Affine>, BreakPoints)> {
    let (circuit, _) = layout(params, cfg.degree, snarks)?;
    let circuit = circuit.use_params(cfg);
    let vk =
        keygen_vk(params, &circuit).map_err(|source| Error::Halo2 { stage: "aggregation verifying key", source })?;
    let pk =
        keygen_pk(params, vk, &circuit).map_err(|source| Error::Halo2 { stage: "aggregation proving key", source })?;
    Ok((pk, circuit.break_points()))
}

/// Proves the aggregate of `snarks` (EVM transcript, as the generated contract replays it);
/// returns the proof and its public values: the accumulator's limbs, then every inner proof's
/// public values in order.
pub fn prove(
    params: &Srs,
    pk: &ProvingKey<G1Affine>,
    cfg: AggregationConfigParams,
    break_points: BreakPoints,
    snarks: Vec<Snark>,
) -> Result<(Vec<u8>, Vec<Fr>)> {
    let mut circuit = sdk_call("aggregate the proofs", || {
        AggregationCircuit::new::<SHPLONK>(CircuitBuilderStage::Prover, cfg, params, snarks, VerifierUniversality::None)
            .use_break_points(break_points)
    })?;
    circuit.expose_previous_instances(false);
    let instances = circuit.instances().remove(0);
    let mut transcript = EvmTranscript::<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>::new(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, ChallengeEvm<G1Affine>, _, _, _>(
        params,
        pk,
        &[circuit],
        &[&[&instances]],
        rand::rngs::OsRng,
        &mut transcript,
    )
    .map_err(|source| Error::Halo2 { stage: "prove the aggregate", source })?;
    Ok((transcript.finalize(), instances))
}

/// One coordinate from three limbs, with the checks the contract makes: limbs below 2^88 (the
/// top one below 2^80, so the value fits a word) and the value below the base field's modulus.
fn coordinate(limbs: &[Fr]) -> Option<Fq> {
    let mut bytes = [0u8; 32];
    for (i, l) in limbs.iter().enumerate() {
        let repr = l.to_repr();
        let bits = if i == 2 { TOP_LIMB_BITS } else { LIMB_BITS };
        if repr[bits / 8..].iter().any(|&b| b != 0) {
            return None;
        }
        // 88 = 11 bytes: each limb starts on a byte boundary.
        for (j, b) in repr[..bits / 8].iter().enumerate() {
            bytes[i * LIMB_BITS / 8 + j] = *b;
        }
    }
    Option::from(Fq::from_repr(bytes))
}

/// The accumulator's two points, or `None` when a limb or coordinate is out of range, a point
/// is off the curve, or either is the identity: what the contract refuses.
pub fn accumulator(limbs: &[Fr]) -> Option<(G1Affine, G1Affine)> {
    if limbs.len() < ACCUMULATOR_LIMBS {
        return None;
    }
    let c: Vec<Fq> = limbs[..ACCUMULATOR_LIMBS].chunks(3).map(coordinate).collect::<Option<_>>()?;
    let lhs: G1Affine = Option::from(G1Affine::from_xy(c[0], c[1]))?;
    let rhs: G1Affine = Option::from(G1Affine::from_xy(c[2], c[3]))?;
    // halo2curves reads (0,0) as the identity; the contract's curve check (y² = x³ + 3) refuses
    // it, and the circuit never outputs it.
    if bool::from(lhs.is_identity()) || bool::from(rhs.is_identity()) {
        return None;
    }
    Some((lhs, rhs))
}

/// Decides the accumulator: e(lhs, g2) == e(rhs, s·g2), the pairing every inner proof's opening
/// was folded into.
pub fn decide(params: &Srs, limbs: &[Fr]) -> Result<()> {
    let (lhs, rhs) = accumulator(limbs).ok_or_else(|| {
        Error::rejected(
            "the accumulator's limbs are not two points on the curve (a limb out of range, or off the curve)",
        )
    })?;
    let g2: G2Affine = params.g2();
    let s_g2: G2Affine = params.s_g2();
    if Bn256::pairing(&lhs, &g2) != Bn256::pairing(&rhs, &s_g2) {
        return Err(Error::rejected(
            "the accumulator does not decide: an inner proof does not hold for its key and public values",
        ));
    }
    Ok(())
}

/// The aggregation circuit's key as read back from `pk.bin` needs its configuration.
pub fn read_pk(r: &mut impl std::io::Read, cfg: AggregationConfigParams) -> std::io::Result<ProvingKey<G1Affine>> {
    ProvingKey::<G1Affine>::read::<_, AggregationCircuit>(r, halo2_proofs::SerdeFormat::RawBytesUnchecked, cfg)
}

/// Runs an sdk call that may panic, turning a panic into an error that names the step.
fn sdk_call<T>(what: &str, f: impl FnOnce() -> T) -> Result<T> {
    crate::error::without_panic_output(f).map_err(|e| {
        let why = crate::error::panic_message(e.as_ref()).unwrap_or_else(|| "no message".into());
        Error::Internal(format!("could not {what}: {why}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::group::Curve;

    /// The limbs of a coordinate given as 32 little-endian bytes (no range check: tests build
    /// out-of-range limbs from it).
    fn limbs_of(bytes: [u8; 32]) -> [Fr; 3] {
        let limb = |from: usize, to: usize| {
            let mut b = [0u8; 32];
            b[..to - from].copy_from_slice(&bytes[from..to]);
            Fr::from_repr(b).unwrap()
        };
        [limb(0, 11), limb(11, 22), limb(22, 32)]
    }

    fn point_limbs(p: G1Affine) -> Vec<Fr> {
        let c = p.coordinates().unwrap();
        [c.x().to_repr(), c.y().to_repr()].into_iter().flat_map(limbs_of).collect()
    }

    #[test]
    fn decodes_what_the_contract_decodes_and_refuses_what_it_refuses() {
        let lhs = G1Affine::generator();
        let rhs = (G1Affine::generator() * Fr::from(5u64)).to_affine();
        let limbs: Vec<Fr> = point_limbs(lhs).into_iter().chain(point_limbs(rhs)).collect();
        assert_eq!(accumulator(&limbs), Some((lhs, rhs)));
        // The same x written with a low limb of 89 bits (carried from the next): refused.
        let mut carried = limbs.clone();
        carried[0] += Fr::from(1u64 << 44) * Fr::from(1u64 << 44);
        carried[1] -= Fr::one();
        assert_eq!(accumulator(&carried), None);
        // A top limb of 81 bits.
        let mut wide = limbs.clone();
        wide[5] += Fr::from(1u64 << 40) * Fr::from(1u64 << 40);
        assert_eq!(accumulator(&wide), None);
        // x + q: the same point mod q, not below q.
        let q_plus_x: [u8; 32] = {
            let x = lhs.coordinates().unwrap().x().to_repr();
            let q = (-Fq::one()).to_repr();
            let (mut out, mut carry) = ([0u8; 32], 1u16);
            for i in 0..32 {
                let s = x[i] as u16 + q[i] as u16 + carry;
                out[i] = s as u8;
                carry = s >> 8;
            }
            out
        };
        let mut big = limbs.clone();
        big[..3].copy_from_slice(&limbs_of(q_plus_x));
        assert_eq!(accumulator(&big), None);
        // (0, 0), and a point off the curve.
        let mut zero = limbs.clone();
        zero[..6].iter_mut().for_each(|l| *l = Fr::zero());
        assert_eq!(accumulator(&zero), None);
        let mut off = limbs.clone();
        off[3] += Fr::one();
        assert_eq!(accumulator(&off), None);
        assert_eq!(accumulator(&limbs[..11]), None);
    }
}
