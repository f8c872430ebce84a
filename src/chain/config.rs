//! Where the chain client connects, how it signs, and how long it waits: from flags and the
//! environment, with a variable that does not parse refused by name rather than ignored.

use super::keys::KeySource;
use super::retry::RetryPolicy;
use super::rpc_url;
use crate::error::{Error, Result};

/// Where to connect and how to sign.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The JSON-RPC endpoint (HTTP).
    pub rpc_url: String,
    /// Refuse to act unless the node serves this chain (e.g. the chain a deployment was made on).
    pub chain_id: Option<u64>,
    /// Where the signing key comes from; it is never printed or written.
    pub key: KeySource,
    /// How transient RPC failures are retried.
    pub retry: RetryPolicy,
    /// How long one RPC request may take before it counts as failed (and is retried if it is a
    /// read): a node that accepts connections but never answers must not hang the CLI.
    pub timeout: std::time::Duration,
}

/// The default per-request RPC timeout; `ZKINFER_RPC_TIMEOUT` (seconds) overrides it.
pub const DEFAULT_RPC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl ClientConfig {
    /// Connects to `rpc_url` with the key from the environment, any chain, and the default retry policy.
    pub fn new(rpc_url: &str) -> Self {
        ClientConfig {
            rpc_url: rpc_url.into(),
            chain_id: None,
            key: KeySource::FromEnv,
            retry: RetryPolicy::default(),
            timeout: DEFAULT_RPC_TIMEOUT,
        }
    }

    /// `--rpc-url` if given, else `ETH_RPC_URL`, else the local default; `ETH_CHAIN_ID` and
    /// `ZKINFER_RPC_TIMEOUT` (seconds) if set. A set variable that does not parse is refused by
    /// name rather than ignored.
    pub fn from_env(rpc_flag: Option<&str>) -> Result<Self> {
        let mut c = Self::new(&rpc_url(rpc_flag));
        let var = |name: &str, what: &str| -> Result<Option<u64>> {
            match std::env::var(name) {
                Err(_) => Ok(None),
                Ok(v) => v.trim().parse().map(Some).map_err(|_| Error::Usage {
                    flag: name.into(),
                    reason: format!("{v:?} is not {what}: unset it or give a whole number"),
                }),
            }
        };
        c.chain_id = var("ETH_CHAIN_ID", "a chain id")?;
        match var("ZKINFER_RPC_TIMEOUT", "a number of seconds")? {
            Some(0) => {
                return Err(Error::Usage {
                    flag: "ZKINFER_RPC_TIMEOUT".into(),
                    reason: "0 would fail every request: give 1 or more seconds, or unset it".into(),
                })
            }
            Some(s) => c.timeout = std::time::Duration::from_secs(s),
            None => {}
        }
        Ok(c)
    }

    /// Refuses to act unless the node serves chain `chain_id` (the chain a deployment was made on).
    pub fn expect_chain(mut self, chain_id: u64) -> Self {
        self.chain_id = Some(chain_id);
        self
    }
}
