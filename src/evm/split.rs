//! The identities in a contract of their own (`Placement::Split`).
//!
//! Why: after the key's constants, the code that grows with a circuit is its identities — one
//! gate expression per gate, a product per permuted column, five terms per lookup. A verifier
//! with hashed weights carries the Poseidon rounds among them and can exceed EIP-170 with its key
//! already in a key contract. The identities are a pure function of values the verifier has
//! computed by then (evaluations, challenges, the values at x) with one result, the quotient's
//! expected evaluation h(x): that makes them the one phase that moves out whole.
//!
//! How: the identities code is emitted by the same emitter, from the verifier's first free
//! address on, so every address it reads means what it means in the verifier. The verifier calls
//! it with a STATICCALL passing its memory below that address; the callee copies the calldata
//! back to the same addresses, runs, and returns h(x). The callee's code is compiled here, and
//! its bytes go into the deployer contract `<Name>Identities` whose constructor returns them as
//! they are, so the code hash the verifier pins does not depend on how anyone else compiles the
//! verifier's source. The verifier checks that hash at construction and on every call, as it does
//! the key's.

use super::yul::{Emitter, S};
use crate::error::{Error, Result};
use serde::Serialize;
use sha3::{Digest, Keccak256};

/// The identities contract's Yul, as the verifier generator emitted it.
#[derive(Clone, Debug)]
pub struct IdentitiesYul {
    /// Straight-line code ending with h(x) stored at 0x00.
    pub body: String,
    /// The shared gate functions it calls.
    pub functions: String,
}

/// The identities contract compiled: its source (for review) and runtime code.
#[derive(Clone, Debug)]
pub struct IdentitiesCode {
    /// Solidity source of `<Name>IdentitiesCode`, whose runtime is `runtime`.
    pub source: String,
    /// The runtime code `<Name>Identities` deploys.
    pub runtime: Vec<u8>,
}

impl IdentitiesCode {
    /// keccak256 of the runtime code: what EXTCODEHASH returns for the identities contract.
    pub fn code_hash(&self) -> [u8; 32] {
        Keccak256::digest(&self.runtime).into()
    }
}

/// Emits, into the verifier, the call that replaces the identities `emit` would write there;
/// returns where h(x) lands and the code `emit` wrote for the identities contract.
pub fn call(e: &mut Emitter, emit: impl FnOnce(&mut Emitter) -> (S, String)) -> (S, IdentitiesYul) {
    let input = e.next;
    let mut ie = Emitter::new(input);
    let (h, functions) = emit(&mut ie);
    let h = ie.ld(h);
    ie.line(format!("mstore(0x00, {h})"));
    let out = e.alloc(1);
    e.comment(&format!("identities: the identities contract computes h(x) from this memory below {input:#x}"));
    // It fails only out of gas (its code is pinned): an error, never a false.
    e.line(format!("if iszero(staticcall(gas(), identities, 0x00, {input:#x}, {out:#x}, 0x20)) {{ revert(0, 0) }}"));
    e.line("ok := and(ok, eq(returndatasize(), 0x20))");
    (S::Mem(out), IdentitiesYul { body: ie.code, functions })
}

#[derive(Serialize)]
struct Fields<'a> {
    version: &'a str,
    name: &'a str,
    functions: &'a str,
    body: &'a str,
    r: &'static str,
}

/// Renders and compiles the identities contract of verifier `name`, refusing code over EIP-170.
pub fn compile(name: &str, yul: &IdentitiesYul) -> Result<IdentitiesCode> {
    let fields = Fields {
        version: env!("CARGO_PKG_VERSION"),
        name,
        functions: &yul.functions,
        body: &yul.body,
        r: crate::field::MODULUS_HEX,
    };
    let draft = super::skeleton::render("identities.sol", &fields);
    let file = format!("{name}IdentitiesCode.sol");
    let contract = format!("{name}IdentitiesCode");
    let (compiled, version) = super::compile_with(&[(file.as_str(), draft.as_str())], true)?;
    // The version goes into the header comment, which does not change the code (no metadata).
    let source = draft.replace("//   solc 0.8\n", &format!("//   solc {version}\n"));
    let c = compiled
        .into_iter()
        .find(|c| c.name == contract)
        .ok_or_else(|| Error::Internal(format!("solc gave no {contract}")))?;
    if c.runtime.len() > super::EIP170_LIMIT {
        return Err(Error::TooLarge { contract, size: c.runtime.len(), limit: super::EIP170_LIMIT });
    }
    Ok(IdentitiesCode { source, runtime: c.runtime })
}

#[cfg(test)]
mod tests {
    use super::super::verifier::{generate, VerifierSpec};
    use super::super::{key::KeyData, test_circuit};

    /// The source written beside the verifier, compiled as its header says, gives exactly the
    /// code the verifier pins: a reviewer can reproduce `IDENTITIES_CODEHASH`.
    #[test]
    fn the_written_source_compiles_to_the_pinned_code() {
        let (params, vk) = test_circuit::keys();
        let key = KeyData::of(&vk, "0x01", None).unwrap();
        let spec = VerifierSpec {
            vk: &vk,
            params: &params,
            num_instances: 3,
            key: Some(&key),
            split: true,
            accumulator: false,
        };
        let yul = generate(&spec).identities.expect("split");
        let code = super::compile("T", &yul).unwrap();
        assert!(code.source.contains("//   solc 0.8."), "the header names the exact solc");
        let (again, _) = super::super::compile_with(&[("T.sol", code.source.as_str())], true).unwrap();
        let again = again.iter().find(|c| c.name == "TIdentitiesCode").unwrap();
        assert_eq!(again.runtime, code.runtime);
    }
}
