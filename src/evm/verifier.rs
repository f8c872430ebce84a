//! Generates a Solidity verifier that replays halo2-axiom's own verifier (`plonk/verifier.rs`
//! and `poly/kzg/multiopen/shplonk/verifier.rs`) step for step: the Keccak transcript of
//! snark-verifier's `EvmTranscript`, the gate, permutation and lookup identities, the SHPLONK
//! multi-open and the final pairing. Everything that depends only on the verifying key (query
//! structure, rotation sets, Lagrange constants) is resolved at generation time; the contract
//! only does the arithmetic that depends on the proof.
//!
//! The phases run in the order the contract executes them, each in its own module: `plan`
//! (layout, no code), `transcript`, `domain` (values at x and all inverses), `identities`,
//! `shplonk`, `msm`. They share one emitter, whose memory only grows, so no phase can overwrite a
//! value another still reads.

use super::accumulator;
use super::domain;
use super::identities;
use super::key::KeyData;
use super::msm;
use super::plan::Plan;
use super::shplonk::{self, Openings};
use super::skeleton;
use super::split;
use super::transcript;
use super::yul::Emitter;
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

/// What the generated contract needs besides the key.
pub struct VerifierSpec<'a> {
    /// The verifying key the contract checks proofs against.
    pub vk: &'a VerifyingKey<G1Affine>,
    /// The SRS, for the generator and the pairing's G2 points.
    pub params: &'a ParamsKZG<Bn256>,
    /// The exact number of public values a proof comes with.
    pub num_instances: usize,
    /// The key's words when they live in a key contract (read with EXTCODECOPY); `None` writes
    /// them into the verifier's code.
    pub key: Option<&'a KeyData>,
    /// Whether the identities run in a contract of their own (`Placement::Split`).
    pub split: bool,
    /// Whether the first 12 public values are a KZG accumulator to decide with the proof
    /// (an aggregate's verifier: `accumulator`).
    pub accumulator: bool,
}

#[cfg(test)]
impl<'a> VerifierSpec<'a> {
    /// A one-contract model verifier's spec, for the phases' unit tests.
    pub fn inline(vk: &'a VerifyingKey<G1Affine>, params: &'a ParamsKZG<Bn256>, num_instances: usize) -> Self {
        VerifierSpec { vk, params, num_instances, key: None, split: false, accumulator: false }
    }
}

/// The generated Yul, ready for the contract template.
pub struct Generated {
    /// Body of the `verifyProof` assembly block.
    pub body: String,
    /// Helper Yul functions.
    pub functions: String,
    /// Bytes a proof must have; the contract rejects any other length.
    pub proof_len: usize,
    /// Where the contract copies the key contract's words, when it has one.
    pub key_mem: Option<usize>,
    /// The identities contract's code, when they run there.
    pub identities: Option<split::IdentitiesYul>,
}

/// Generates the verifier's code: transcript, domain, identities, SHPLONK, MSM and pairing, in that order.
pub fn generate(spec: &VerifierSpec) -> Generated {
    let plan = Plan::of(spec);
    let cs = spec.vk.cs();
    let mut e = Emitter::new(plan.memory_end);
    // Above the transcript, which squeezes hash as one growing slice.
    let key_mem = spec.key.map(|k| e.alloc(k.len()));
    transcript::emit(&mut e, &plan, key_mem);
    let mut openings = Openings::of(&plan, spec.vk);
    let at = domain::emit(&mut e, &plan, cs, &openings);
    let (h_eval, gate_functions, split_off) = if spec.split {
        let (h, code) = split::call(&mut e, |ie| identities::emit(ie, &plan, cs, &at));
        (h, String::new(), Some(code))
    } else {
        let (h, functions) = identities::emit(&mut e, &plan, cs, &at);
        (h, functions, None)
    };
    openings.queries[openings.h_query].eval = h_eval;
    let scalars = shplonk::emit(&mut e, &plan, &openings, &at, spec.params.get_g()[0]);
    let acc = msm::emit_msm(&mut e, &scalars, key_mem);
    let (lhs, rhs) = match spec.accumulator {
        true => accumulator::emit_fold(&mut e, &plan, acc, plan.h2),
        false => (acc, plan.h2),
    };
    msm::emit_pairing(&mut e, spec.params, rhs, lhs);
    // Helpers take their scratch space above everything allocated here.
    let body = format!("            mstore(0x40, {:#x})\n{}", e.next, e.code);
    Generated {
        body,
        functions: skeleton::render_helpers() + &gate_functions,
        proof_len: plan.proof_len,
        key_mem,
        identities: split_off,
    }
}
