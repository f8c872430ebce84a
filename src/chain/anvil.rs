//! The local node: where the RPC endpoint comes from, and an Anvil for the demo and the tests.

use crate::error::{Error, Result};
use alloy::node_bindings::{Anvil, AnvilInstance};
use std::path::{Path, PathBuf};

/// Anvil's default endpoint, used when neither `--rpc-url` nor `ETH_RPC_URL` is given.
pub const DEFAULT_RPC: &str = "http://127.0.0.1:8545";

/// RPC from the flag, else `ETH_RPC_URL`, else the local default.
pub fn rpc_url(flag: Option<&str>) -> String {
    flag.map(str::to_string).or_else(|| std::env::var("ETH_RPC_URL").ok()).unwrap_or_else(|| DEFAULT_RPC.to_string())
}

/// Finds an anvil binary: `ANVIL`, the npm package installed by `make deps`, or PATH.
pub fn find_anvil() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("ANVIL") {
        return Some(PathBuf::from(p));
    }
    let npm = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    if npm.exists() {
        return Some(npm);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("anvil")).find(|p| p.is_file()))
}

/// How to get an anvil zkinfer can start.
const ANVIL_HINT: &str = "run `make deps` (installs Foundry from npm), or set ANVIL=/path/to/anvil";

/// Starts a local Anvil on a free port; it stops when the instance is dropped.
pub fn spawn_anvil() -> Result<AnvilInstance> {
    let path =
        find_anvil().ok_or_else(|| Error::Tool { tool: "anvil", problem: "not found".into(), hint: ANVIL_HINT })?;
    Anvil::at(&path).try_spawn().map_err(|e| Error::Tool {
        tool: "anvil",
        problem: format!("at {} did not start ({e})", path.display()),
        hint: ANVIL_HINT,
    })
}
