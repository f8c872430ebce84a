//! The contracts a verifier is deployed with besides itself: its key contract and identities
//! contract, when its layout has them. A model's verifier and an aggregate's render them alike.

use super::key::{self, KeyData};
use super::skeleton::{IdentitiesFields, KeyFields};
use super::split::{self, IdentitiesCode};
use super::verifier::Generated;
use super::VerifierSource;
use crate::error::Result;

/// The key and identities contracts of one generated verifier, as the template and the
/// deployer need them.
pub struct Parts {
    /// The key contract's template fields, when the key is data.
    pub key: Option<KeyFields>,
    /// The identities contract's template fields, when the identities run there.
    pub identities: Option<IdentitiesFields>,
    key_code: Option<Vec<u8>>,
    code: Option<IdentitiesCode>,
}

impl Parts {
    /// Compiles the identities contract (when `g` split them off) and lays out the key's words.
    pub fn of(name: &str, g: &Generated, data: Option<&KeyData>) -> Result<Parts> {
        let code = g.identities.as_ref().map(|yul| split::compile(name, yul)).transpose()?;
        let identities = code.as_ref().map(|c| IdentitiesFields {
            name: format!("{name}Identities"),
            code_hash: format!("0x{}", hex::encode(c.code_hash())),
            runtime: hex::encode(&c.runtime),
        });
        let key = data.zip(g.key_mem).map(|(d, at)| KeyFields {
            name: format!("{name}Key"),
            mem: format!("{at:#x}"),
            bytes: 32 * d.len(),
            code_hash: format!("0x{}", hex::encode(d.code_hash())),
            runtime: hex::encode(d.runtime()),
            model_hash_word: key::MODEL_HASH,
            commitment_word: key::COMMITMENT,
        });
        Ok(Parts { key, identities, key_code: data.map(|d| d.runtime()), code })
    }

    /// The rendered verifier with these contracts beside it.
    pub fn source(self, name: &str, source: String, proof_len: usize) -> VerifierSource {
        VerifierSource {
            name: name.to_string(),
            key_contract: self.key.map(|k| k.name),
            identities_contract: self.identities.map(|c| c.name),
            key_code: self.key_code,
            identities_code: self.code.as_ref().map(|c| c.runtime.clone()),
            identities_source: self.code.map(|c| c.source),
            source,
            proof_len,
        }
    }
}
