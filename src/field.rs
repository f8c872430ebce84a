//! The two BN254 fields as the rest of the crate writes them: the scalar field `Fr` (circuit
//! values, public inputs, commitments) and the base field `Fq` (curve coordinates in the
//! verifier). Hex forms are the ones the chain reads (big-endian words), and the moduli are
//! kept here once, so the Rust side, the generated Solidity and the tests cannot drift apart.

use crate::error::{Error, Result};
use halo2_proofs::halo2curves::bn256::{Fq, Fr};
use halo2_proofs::halo2curves::ff::PrimeField;

/// r, the scalar field's modulus (big-endian hex, no prefix): the bound every public value and
/// every scalar in a proof must lie below.
pub const MODULUS_HEX: &str = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

/// q, the base field's modulus (big-endian hex, no prefix): the bound on point coordinates.
pub const BASE_MODULUS_HEX: &str = "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47";

/// `v` as a field element (below 2^128, so no reduction).
pub fn from_u128(v: u128) -> Fr {
    Fr::from_raw([v as u64, (v >> 64) as u64, 0, 0])
}

/// A signed integer as a field element: negatives are p − |v|.
pub fn from_i128(v: i128) -> Fr {
    if v >= 0 {
        from_u128(v as u128)
    } else {
        -from_u128(v.unsigned_abs())
    }
}

/// The signed integer a field element stands for (negatives are p − |v|), or `None` beyond
/// ±2^127: the inverse of [`from_i128`].
pub fn to_i128(f: &Fr) -> Option<i128> {
    let small = |f: Fr| {
        let repr = f.to_repr();
        let b = repr.as_ref();
        b[16..].iter().all(|&x| x == 0).then(|| u128::from_le_bytes(b[..16].try_into().unwrap_or_default()))
    };
    match (small(*f), small(-*f)) {
        (Some(v), _) if v <= i128::MAX as u128 => Some(v as i128),
        (_, Some(v)) if v <= i128::MAX as u128 => Some(-(v as i128)),
        _ => None,
    }
}

/// A field element's little-endian representation (`to_repr`, of r's or q's field) as the
/// 32-byte big-endian word the EVM reads.
pub fn be_word(repr: impl AsRef<[u8]>) -> [u8; 32] {
    let mut w = [0u8; 32];
    for (i, b) in repr.as_ref().iter().rev().enumerate() {
        w[i] = *b;
    }
    w
}

/// The 32-byte big-endian word (0x + 64 digits): what a contract receives as a uint256.
pub fn to_hex(f: &Fr) -> String {
    format!("0x{}", hex::encode(be_word(f.to_repr())))
}

/// The shortest hex literal of the value (leading zeros dropped): how generated Yul writes a
/// constant.
pub fn to_hex_literal(f: &Fr) -> String {
    let word = to_hex(f);
    let t = word[2..].trim_start_matches('0');
    format!("0x{}", if t.is_empty() { "0" } else { t })
}

/// A base-field element as a 32-byte big-endian word.
pub fn base_to_hex(f: &Fq) -> String {
    format!("0x{}", hex::encode(be_word(f.to_repr())))
}

/// Parses a 32-byte big-endian word, refusing values at or above r as the contract does.
pub fn from_hex(s: &str) -> Result<Fr> {
    let raw = hex::decode(s.trim_start_matches("0x"))
        .map_err(|e| Error::value("field element", s, format!("is not hex: {e}")))?;
    if raw.len() != 32 {
        return Err(Error::value("field element", s, "is not 32 bytes"));
    }
    let mut le = [0u8; 32];
    for (i, b) in raw.iter().rev().enumerate() {
        le[i] = *b;
    }
    Option::from(Fr::from_bytes(&le))
        .ok_or_else(|| Error::value("field element", s, "is not below the BN254 scalar modulus"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::ff::Field;

    #[test]
    fn the_moduli_are_the_curve_s() {
        assert_eq!(to_hex(&-Fr::ONE)[2..], sub_one(MODULUS_HEX));
        assert_eq!(base_to_hex(&-Fq::ONE)[2..], sub_one(BASE_MODULUS_HEX));
    }

    /// The modulus minus one, digit by digit (both moduli end in a non-zero digit: no borrow).
    fn sub_one(hex: &str) -> String {
        let (head, last) = hex.split_at(hex.len() - 1);
        let d = u8::from_str_radix(last, 16).unwrap();
        assert!(d > 0);
        format!("{head}{:x}", d - 1)
    }

    /// Solidity cannot import this file, so the hand-written contracts that bound values by r
    /// are checked against it here.
    #[test]
    fn the_contracts_bound_by_the_same_modulus() {
        let sources = [
            ("contracts/InferenceConsumer.sol", include_str!("../contracts/InferenceConsumer.sol")),
            ("test/utils/Fixtures.sol", include_str!("../test/utils/Fixtures.sol")),
            ("test/utils/FeedHandler.sol", include_str!("../test/utils/FeedHandler.sol")),
        ];
        for (path, text) in sources {
            let line =
                text.lines().find(|l| l.contains("constant R =")).unwrap_or_else(|| panic!("{path}: no constant R"));
            assert!(line.contains(&format!("0x{MODULUS_HEX};")), "{path}: {line}");
        }
    }

    #[test]
    fn hex_round_trips_and_refuses_the_modulus() {
        for v in [0i128, 1, -1, 1 << 100, -(1 << 90)] {
            assert_eq!(from_hex(&to_hex(&from_i128(v))).unwrap(), from_i128(v));
        }
        assert!(from_hex(&format!("0x{MODULUS_HEX}")).is_err());
        assert_eq!(to_hex_literal(&Fr::ZERO), "0x0");
        assert_eq!(to_hex_literal(&from_u128(255)), "0xff");
    }
}
