//! The aggregate's verifier (`zkinfer solidity --aggregate`): the aggregation circuit's key
//! verified as any key is (`verifier::generate`, with the accumulator folded into the pairing),
//! in the aggregate template, which names every slot and checks each hashed-weights slot's
//! commitment.

use super::key::{KeyData, Placement};
use super::parts::Parts;
use super::skeleton::{self, IdentitiesFields, KeyFields};
use super::{verifier, VerifierSource};
use crate::aggregate::{AggregateSettings, Slot};
use crate::error::Result;
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use serde::Serialize;

#[derive(Serialize)]
struct Fields<'a> {
    version: &'a str,
    name: &'a str,
    k: u32,
    aggregate_hash: &'a str,
    slots: &'a [Slot],
    num_instances: usize,
    proof_length: usize,
    commitment_check: String,
    functions: String,
    body: String,
    r: &'static str,
    key: Option<&'a KeyFields>,
    identities: Option<&'a IdentitiesFields>,
}

/// Each hashed-weights slot's last public value must be its build's commitment (the inner key
/// is the architecture's; the commitment names the weights): one conjunct per such slot.
fn commitment_check(slots: &[Slot]) -> String {
    let checks: Vec<String> = slots
        .iter()
        .filter_map(|s| {
            let at = 32 * (s.offset + s.num_instances - 1);
            s.commitment.as_ref().map(|c| format!("eq(calldataload(add(instances.offset, {at:#x})), {c})"))
        })
        .collect();
    checks.into_iter().reduce(|a, b| format!("and({a}, {b})")).unwrap_or_else(|| "1".into())
}

/// Renders the aggregate's verifier in `placement` (the key and identities contracts are as a
/// model verifier's).
pub fn solidity(
    name: &str,
    settings: &AggregateSettings,
    vk: &VerifyingKey<G1Affine>,
    params: &ParamsKZG<Bn256>,
    placement: Placement,
) -> Result<VerifierSource> {
    let data = match placement {
        Placement::Inline => None,
        Placement::Contract | Placement::Split => Some(KeyData::of(vk, &settings.aggregate_hash, None)?),
    };
    let split = placement == Placement::Split;
    let spec = verifier::VerifierSpec {
        vk,
        params,
        num_instances: settings.num_instances,
        key: data.as_ref(),
        split,
        accumulator: true,
    };
    let g = verifier::generate(&spec);
    let parts = Parts::of(name, &g, data.as_ref())?;
    let source = skeleton::render(
        "aggregate.sol",
        &Fields {
            version: env!("CARGO_PKG_VERSION"),
            name,
            k: settings.k,
            aggregate_hash: &settings.aggregate_hash,
            slots: &settings.slots,
            num_instances: settings.num_instances,
            proof_length: g.proof_len,
            commitment_check: commitment_check(&settings.slots),
            functions: g.functions,
            body: g.body,
            r: crate::field::MODULUS_HEX,
            key: parts.key.as_ref(),
            identities: parts.identities.as_ref(),
        },
    );
    Ok(parts.source(name, source, g.proof_len))
}
