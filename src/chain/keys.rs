//! Where the signing key comes from. Nothing here prints, logs or writes key material: errors
//! name the variable or file, never its contents.

use crate::error::{Error, Result};
use alloy::signers::local::PrivateKeySigner;
use std::path::PathBuf;

/// Anvil's first pre-funded development key: public knowledge, for local chains only.
pub const ANVIL_DEV_KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// Anvil's chain id: the only chain on which the dev key is used without being asked for.
pub const ANVIL_CHAIN_ID: u64 = 31337;

/// How the client signs. `FromEnv` (the default) reads, in order: `PRIVATE_KEY`; `ETH_KEYSTORE`
/// (a Web3 Secret Storage JSON file, as written by `cast wallet import` or geth) with its password
/// in `ETH_PASSWORD` or the file `ETH_PASSWORD_FILE`; else, on a local Anvil chain only, Anvil's
/// first dev key.
#[derive(Clone, Default)]
pub enum KeySource {
    /// `PRIVATE_KEY`, else `ETH_KEYSTORE`, else (Anvil only) the dev key: see the enum's doc.
    #[default]
    FromEnv,
    /// A hex private key held in memory (tests; prefer the environment).
    Hex(String),
    /// A Web3 Secret Storage keystore file and its password.
    Keystore {
        /// The keystore JSON file.
        path: PathBuf,
        /// Its password; kept in memory only, redacted from `Debug`.
        password: String,
    },
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::FromEnv => write!(f, "FromEnv"),
            KeySource::Hex(_) => write!(f, "Hex(<redacted>)"),
            KeySource::Keystore { path, .. } => write!(f, "Keystore({})", path.display()),
        }
    }
}

fn parse_hex(key: &str, origin: &str) -> Result<PrivateKeySigner> {
    let digits = key.trim().trim_start_matches("0x");
    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Key(format!(
            "{origin} is not a 32-byte hex private key: give 64 hex digits, with or without 0x"
        )));
    }
    digits.parse().map_err(|_| {
        Error::Key(format!(
            "{origin} is 64 hex digits but not a secp256k1 private key (it must be nonzero and below the \
             curve order): give the key your wallet exported"
        ))
    })
}

fn decrypt(path: &PathBuf, password: &str) -> Result<PrivateKeySigner> {
    if !path.exists() {
        return Err(Error::Key(format!("keystore {} does not exist: fix ETH_KEYSTORE", path.display())));
    }
    crate::artifact::check_regular(path)?;
    PrivateKeySigner::decrypt_keystore(path, password.trim_end_matches(['\n', '\r'])).map_err(|e| {
        Error::Key(format!("cannot decrypt keystore {}: {e}: check ETH_PASSWORD or ETH_PASSWORD_FILE", path.display()))
    })
}

impl KeySource {
    /// The signer for a chain; `chain_id` decides whether Anvil's dev key may stand in.
    pub fn signer(&self, chain_id: u64, url: &str) -> Result<PrivateKeySigner> {
        match self {
            KeySource::Hex(k) => parse_hex(k, "the given key"),
            KeySource::Keystore { path, password } => decrypt(path, password),
            KeySource::FromEnv => {
                if let Ok(k) = std::env::var("PRIVATE_KEY") {
                    return parse_hex(&k, "PRIVATE_KEY");
                }
                if let Ok(path) = std::env::var("ETH_KEYSTORE") {
                    if !std::path::Path::new(&path).exists() {
                        return Err(Error::Key(format!("keystore {path} does not exist: fix ETH_KEYSTORE")));
                    }
                    let password = match (std::env::var("ETH_PASSWORD"), std::env::var("ETH_PASSWORD_FILE")) {
                        (Ok(p), _) => p,
                        (_, Ok(file)) => {
                            let bytes = crate::artifact::read(std::path::Path::new(&file))?;
                            String::from_utf8(bytes).map_err(|_| {
                                Error::Key(format!("ETH_PASSWORD_FILE {file} is not UTF-8 text: fix ETH_PASSWORD_FILE"))
                            })?
                        }
                        _ => {
                            return Err(Error::Key(
                                "ETH_KEYSTORE is set: set ETH_PASSWORD or ETH_PASSWORD_FILE too".into(),
                            ))
                        }
                    };
                    return decrypt(&PathBuf::from(path), &password);
                }
                if chain_id == ANVIL_CHAIN_ID {
                    return parse_hex(ANVIL_DEV_KEY, "Anvil's dev key");
                }
                Err(Error::Key(format!(
                    "chain {chain_id} at {url} is not a local Anvil: set PRIVATE_KEY, or ETH_KEYSTORE and ETH_PASSWORD"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystore_round_trip_and_wrong_password() {
        let dir = std::env::temp_dir().join(format!("zkinfer-keystore-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut rng = rand::thread_rng();
        let (signer, name) = PrivateKeySigner::new_keystore(&dir, &mut rng, "pw", None).unwrap();
        let path = dir.join(name);
        let ks = KeySource::Keystore { path: path.clone(), password: "pw\n".into() };
        assert_eq!(ks.signer(1, "x").unwrap().address(), signer.address());
        let bad = KeySource::Keystore { path, password: "nope".into() }.signer(1, "x").unwrap_err().to_string();
        assert!(bad.contains("cannot decrypt keystore") && bad.contains("check ETH_PASSWORD"), "{bad}");
        // Key material never appears in Debug output or errors.
        let hex = KeySource::Hex(ANVIL_DEV_KEY.into());
        assert!(!format!("{hex:?}").contains(ANVIL_DEV_KEY));
        let err = KeySource::Hex("zz".repeat(32)).signer(1, "x").unwrap_err().to_string();
        assert!(!err.contains("zzzz"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
