//! The verifying key as data: the words a verifier otherwise carries as constants (the key's
//! transcript representation, `MODEL_HASH`, `MODEL_COMMITMENT`, every fixed and permutation
//! commitment), laid out as the runtime code of a contract of their own.
//!
//! Why: the constants are a few kilobytes of every verifier's bytecode (two 32-byte pushes per
//! point), and EIP-170 caps a contract at 24,576 bytes. The verifier copies the words into
//! memory with EXTCODECOPY and refuses, at construction and on every call, a key contract whose
//! code hash is not the one it was generated with: the key is as fixed as if it were inline.
//!
//! The code starts with a zero byte (STOP), so a call to the key contract executes nothing of
//! the data behind it, which the verifier copies from offset 1.

use crate::error::{Error, Result};
use crate::field::be_word;
use halo2_proofs::halo2curves::bn256::{Fq, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::VerifyingKey;
use sha3::{Digest, Keccak256};

/// Word of the key's `transcript_repr`, the transcript's first absorbed value.
pub const REPR: usize = 0;
/// Word of `MODEL_HASH`.
pub const MODEL_HASH: usize = 1;
/// Word of `MODEL_COMMITMENT` (0 unless the weights are hashed).
pub const COMMITMENT: usize = 2;
/// First word of the points: fixed commitments, then σ commitments, (x, y) each.
const POINTS: usize = 3;

/// How a verifier is laid out across contracts, smallest first: each step moves more of its
/// code out, so a verifier too large for EIP-170 at one step may fit at the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Placement {
    /// The key as constants of the verifier's code (one contract).
    #[default]
    Inline,
    /// The key as words of a key contract's code, read with EXTCODECOPY (two contracts).
    Contract,
    /// The key in a key contract, and the identities (gates, permutation, lookups: the part
    /// that grows with the circuit) in an identities contract the verifier calls (three
    /// contracts; `evm::split`).
    Split,
}

impl Placement {
    /// The next layout with less in the verifier's own code, if any.
    pub fn next(self) -> Option<Placement> {
        match self {
            Placement::Inline => Some(Placement::Contract),
            Placement::Contract => Some(Placement::Split),
            Placement::Split => None,
        }
    }
}

/// The key's words, in the order the generated verifier reads them.
#[derive(Clone, Debug)]
pub struct KeyData {
    words: Vec<[u8; 32]>,
}

fn point_words(p: &G1Affine) -> [[u8; 32]; 2] {
    [be_word(Fq::to_repr(&p.x)), be_word(Fq::to_repr(&p.y))]
}

/// A 0x-prefixed 32-byte hex word, as `Settings` keeps `MODEL_HASH` and `MODEL_COMMITMENT`.
fn parse_word(what: &str, s: &str) -> Result<[u8; 32]> {
    let raw = hex::decode(s.trim_start_matches("0x")).map_err(|e| Error::value(what, s, format!("is not hex: {e}")))?;
    if raw.len() > 32 {
        return Err(Error::value(what, s, "is longer than 32 bytes"));
    }
    let mut w = [0u8; 32];
    w[32 - raw.len()..].copy_from_slice(&raw);
    Ok(w)
}

impl KeyData {
    /// The words of `vk` with the model's hash and, for hashed weights, its commitment.
    pub fn of(vk: &VerifyingKey<G1Affine>, model_hash: &str, commitment: Option<&str>) -> Result<KeyData> {
        let mut words = vec![
            be_word(Fr::to_repr(&vk.transcript_repr())),
            parse_word("MODEL_HASH", model_hash)?,
            commitment.map_or(Ok([0u8; 32]), |c| parse_word("MODEL_COMMITMENT", c))?,
        ];
        for p in vk.fixed_commitments().iter().chain(vk.permutation().commitments()) {
            words.extend(point_words(p));
        }
        Ok(KeyData { words })
    }

    /// Word of fixed commitment `i`'s x (its y is the next word).
    pub fn fixed(i: usize) -> usize {
        POINTS + 2 * i
    }

    /// Word of σ commitment `i`'s x, after the key's `num_fixed` fixed commitments.
    pub fn sigma(num_fixed: usize, i: usize) -> usize {
        POINTS + 2 * (num_fixed + i)
    }

    /// Number of 32-byte words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are no words (never: a key has at least its three header words).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The key contract's runtime code: a STOP, then the words.
    pub fn runtime(&self) -> Vec<u8> {
        let mut code = vec![0u8];
        self.words.iter().for_each(|w| code.extend_from_slice(w));
        code
    }

    /// keccak256 of the runtime code: what EXTCODEHASH returns for the key contract.
    pub fn code_hash(&self) -> [u8; 32] {
        Keccak256::digest(self.runtime()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_circuit;
    use super::*;

    #[test]
    fn words_follow_the_layout_the_verifier_reads() {
        let (_, vk) = test_circuit::keys();
        let d = KeyData::of(&vk, "0x01", Some("0x02")).unwrap();
        let nf = vk.fixed_commitments().len();
        let ns = vk.permutation().commitments().len();
        assert_eq!(d.len(), 3 + 2 * (nf + ns));
        assert_eq!(d.words[MODEL_HASH][31], 1);
        assert_eq!(d.words[COMMITMENT][31], 2);
        assert_eq!(d.words[KeyData::fixed(1)], point_words(&vk.fixed_commitments()[1])[0]);
        assert_eq!(d.words[KeyData::sigma(nf, ns - 1) + 1], point_words(&vk.permutation().commitments()[ns - 1])[1]);
        let code = d.runtime();
        assert_eq!((code[0], code.len()), (0, 1 + 32 * d.len()), "a STOP, then the words");
        assert_ne!(KeyData::of(&vk, "0x01", None).unwrap().code_hash(), d.code_hash());
    }

    #[test]
    fn a_malformed_hash_is_refused() {
        let (_, vk) = test_circuit::keys();
        assert!(KeyData::of(&vk, "0xzz", None).is_err());
        assert!(KeyData::of(&vk, &format!("0x{}", "1".repeat(66)), None).is_err());
    }
}
