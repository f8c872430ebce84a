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

/// The anvils this process started, stopped by the signal handler: `exit` runs no destructor,
/// and an anvil left behind would run for good.
static CHILDREN: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

/// Starts a local Anvil on a free port; it stops when the instance is dropped (or, on Ctrl-C or
/// SIGTERM, by [`stop_children`]).
pub fn spawn_anvil() -> Result<AnvilInstance> {
    let path =
        find_anvil().ok_or_else(|| Error::Tool { tool: "anvil", problem: "not found".into(), hint: ANVIL_HINT })?;
    check_is_anvil(&path)?;
    let anvil = Anvil::at(&path).try_spawn().map_err(|e| Error::Tool {
        tool: "anvil",
        problem: format!("at {} did not start ({})", path.display(), crate::error::one_line(&e.to_string())),
        hint: ANVIL_HINT,
    })?;
    CHILDREN.lock().unwrap_or_else(|e| e.into_inner()).push(anvil.child().id());
    Ok(anvil)
}

/// Asks `path --version` (for at most 10 s) before starting it as a node: alloy waits for the
/// node's "Listening on" line without a limit, so a program that is not anvil could hang it.
fn check_is_anvil(path: &Path) -> Result<()> {
    use std::process::{Command, Stdio};
    let not = |problem: String| Error::Tool { tool: "anvil", problem, hint: ANVIL_HINT };
    let mut child = Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| not(format!("at {} did not start ({e})", path.display())))?;
    let start = std::time::Instant::now();
    while child.try_wait().ok().flatten().is_none() {
        if start.elapsed().as_secs() >= 10 {
            let _ = child.kill();
            let _ = child.wait();
            return Err(not(format!("at {} did not answer --version within 10 s", path.display())));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut s, &mut out);
    }
    if !out.to_lowercase().contains("anvil") {
        let said = crate::error::clip(&crate::error::one_line(&out));
        return Err(not(format!("at {} is not anvil (its --version says {said:?})", path.display())));
    }
    Ok(())
}

/// Kills the anvils this process started that are still running (checked by parent and name,
/// so a reused process id is left alone): for the signal handler, just before exiting.
pub fn stop_children() {
    let me = std::process::id().to_string();
    for pid in CHILDREN.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the parenthesised name: state, ppid, ...
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let ppid = after.split_whitespace().nth(1).unwrap_or("");
        if ppid == me && stat.contains("anvil") {
            // SAFETY: kill(2) on a process id we checked is our own child anvil.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
}
