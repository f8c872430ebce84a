//! Every bad input a user can give the CLI, run through the `zkinfer` binary: each must exit
//! non-zero with the documented code and one line naming the file, node, flag or value and what
//! to do, never panic, and leave every file under the scratch directory byte-identical. The run
//! writes `docs/errors.md`, the table of those cases and their exact messages.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use zkinfer::compile::write_json;
use zkinfer::error::exit;
use zkinfer::onnx::write;

#[path = "cli_errors/builds.rs"]
mod builds;
#[path = "cli_errors/inputs.rs"]
mod inputs;
use builds::{build_cases, chain_cases, proof_cases, tool_cases};
use inputs::{input_cases, onnx_cases, usage_cases};

/// One bad input: what it is, the command line, extra environment, the exit code it must give.
struct Case {
    group: &'static str,
    what: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    code: i32,
}

/// Every file under `dir` with its bytes: the "untouched" check compares two of these.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.insert(p.clone(), zkinfer::artifact::digest(&std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out
}

struct Fixture {
    dir: PathBuf,
    /// A set-up build of the example MLP 4→3→2, its model and input.
    build: PathBuf,
    model: PathBuf,
    input: PathBuf,
    /// A second set-up build of another MLP, for "another build's" artifacts.
    other: PathBuf,
    /// A proof of `build`.
    proof: PathBuf,
}

fn fixture() -> Fixture {
    use zkinfer::pipeline;
    let dir = common::scratch("cli-errors");
    let model = dir.join("m.onnx");
    write::save(&write::mlp_model(&[4, 3, 2], 1), &model).unwrap();
    let input = dir.join("in.json");
    write_json(&input, &write::random_input(4, 1)).unwrap();
    let build = dir.join("b");
    pipeline::compile(&model, &input, &build, &Default::default()).unwrap();
    pipeline::setup(&build, None).unwrap();
    let other_model = dir.join("other.onnx");
    write::save(&write::mlp_model(&[4, 5, 2], 2), &other_model).unwrap();
    let other = dir.join("other");
    pipeline::compile(&other_model, &input, &other, &Default::default()).unwrap();
    pipeline::setup(&other, None).unwrap();
    let proof = dir.join("proof.json");
    write_json(&proof, &pipeline::prove(&build, &input).unwrap()).unwrap();
    Fixture { dir, build, model, input, other, proof }
}

/// Writes `text` to `dir/name` and returns the path as a string.
fn file(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// A copy of the build `src` at `dir/name` with `edit` applied to it.
fn variant(src: &Path, dir: &Path, name: &str, edit: impl FnOnce(&Path)) -> String {
    let dst = dir.join(name);
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten().filter(|e| e.path().is_file()) {
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    edit(&dst);
    dst.display().to_string()
}

/// A named pipe at `dir/name`: reading it would block until a writer came.
fn fifo(dir: &Path, name: &str) -> String {
    let p = dir.join(name);
    if !p.exists() {
        assert!(Command::new("mkfifo").arg(&p).status().unwrap().success());
    }
    p.display().to_string()
}

/// A symbolic link at `dir/name` to `target`.
fn link(dir: &Path, name: &str, target: &str) -> String {
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    std::os::unix::fs::symlink(target, &p).unwrap();
    p.display().to_string()
}

/// Flips one hex digit inside the fourth word of a proof file's proof.
fn flip_proof_digit(v: &mut serde_json::Value) {
    let s = v["proof"].as_str().unwrap().to_string();
    let i = 2 + 64 * 3 + 5;
    let c = if &s[i..i + 1] == "0" { "1" } else { "0" };
    v["proof"] = format!("{}{c}{}", &s[..i], &s[i + 1..]).into();
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn case(group: &'static str, what: &'static str, a: &[&str], code: i32) -> Case {
    Case { group, what, args: args(a), env: vec![], code }
}

fn with_env(mut c: Case, k: &'static str, v: &str) -> Case {
    c.env.push((k, v.to_string()));
    c
}

/// Gas prices and balances change from run to run: runs of 7 or more digits become "N…", so the
/// generated table changes only when a message does.
fn long_numbers(s: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        out.push_str(if digits.len() >= 7 { "N…" } else { &digits });
        digits.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Runs one case; returns its message (stderr without "error: ") after checking the contract.
fn run(c: &Case, root: &Path) -> String {
    let before = snapshot(root);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zkinfer"));
    cmd.args(&c.args).env_remove("RUST_BACKTRACE").env_remove("PRIVATE_KEY").env_remove("ETH_KEYSTORE");
    cmd.env_remove("ETH_CHAIN_ID").env_remove("ETH_RPC_URL");
    for (k, v) in &c.env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code().unwrap_or(-1);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let ctx = format!("case `{}: {}` ({:?}) exit {code}, stderr:\n{stderr}", c.group, c.what, c.args);
    assert_eq!(code, c.code, "{ctx}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{ctx}");
    assert_eq!(lines.len(), 1, "{ctx}");
    assert!(lines[0].starts_with("error: "), "{ctx}");
    let after = snapshot(root);
    let changed: Vec<_> = after.keys().chain(before.keys()).filter(|k| after.get(*k) != before.get(*k)).collect();
    assert!(changed.is_empty(), "{ctx}: files changed: {changed:?}");
    lines[0].trim_start_matches("error: ").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_is_one_line_a_documented_exit_code_and_no_change() {
    let f = fixture();
    let anvil = zkinfer::chain::spawn_anvil().unwrap();
    let url = anvil.endpoint();
    let cfg = zkinfer::chain::ClientConfig::new(&url);
    let (d, _) =
        zkinfer::pipeline::deploy(&f.build, &cfg, &zkinfer::chain::build::DeployOptions::plain()).await.unwrap();
    let deployed = d.consumer.to_string();
    // A node that accepts connections and never answers.
    let slow = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let slow_url = format!("http://{}", slow.local_addr().unwrap());
    let mut cases = onnx_cases(&f);
    cases.extend(input_cases(&f));
    cases.extend(usage_cases(&f));
    cases.extend(build_cases(&f));
    cases.extend(proof_cases(&f));
    cases.extend(tool_cases(&f));
    cases.extend(chain_cases(&f, &url, &deployed, &slow_url));
    let root = f.dir.clone();
    let rows: Vec<(usize, &Case, String)> =
        tokio::task::block_in_place(|| cases.iter().enumerate().map(|(i, c)| (i + 1, c, run(c, &root))).collect());
    drop(slow);
    assert!(rows.len() >= 40, "{} cases", rows.len());
    let clean = |s: &str| {
        let s = s.replace(&root.display().to_string(), "$DIR").replace(&url, "$ANVIL").replace(&slow_url, "$SLOW");
        long_numbers(&s.replace(&deployed, "$CONSUMER").replace('|', "\\|"))
    };
    let mut md = String::from(HEADER);
    let mut group = "";
    for (i, c, msg) in &rows {
        if c.group != group {
            group = c.group;
            md.push_str(&format!("\n## {group}\n\n| # | case | command | exit | message |\n|---|---|---|---|---|\n"));
        }
        let env: String = c.env.iter().map(|(k, v)| format!("{k}={} ", clean(v))).collect();
        let cmd = format!("{env}zkinfer {}", clean(&c.args.join(" ")));
        md.push_str(&format!("| {i} | {} | `{cmd}` | {} | {} |\n", c.what, c.code, clean(msg)));
    }
    std::fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors.md"), md).unwrap();
}

const HEADER: &str = "# Errors: every bad input, its exit code and its message

Generated by `tests/cli_errors.rs` (`cargo test --test cli_errors`), which runs each case below
through the `zkinfer` binary and checks that it exits with the code shown, prints exactly one
line (`error: …`) and no panic or backtrace, and leaves every file of the build directories
byte-identical. `$DIR` is the test's scratch directory, `$ANVIL` a local Anvil it starts.

## Exit codes

| code | meaning |
|---|---|
| 0 | success |
| 1 | `zkinfer conformance`: some model failed |
| 2 | usage: a flag (or the environment variable standing for one) is wrong or missing |
| 3 | bad input: a file you gave (model, input, proof, key, build directory) is wrong, missing or another build's |
| 4 | unsupported model: ops with no circuit, values the fixed point cannot hold, a circuit or contract too large |
| 5 | verification failed: the proof was checked and rejected |
| 6 | chain: the node is down, slow or of another chain, the account cannot pay, or the contract reverted |
| 7 | a program zkinfer needs (solc, anvil) is missing |
| 70 | internal: a zkinfer bug (a panic included); please report it |
| 130 | interrupted (Ctrl-C); no half-written file is left |
| 143 | terminated (SIGTERM); no half-written file is left |

Every write goes to a temporary name and is renamed into place, and a build directory is locked
while `compile` or `setup` writes it, so an interrupted or concurrent run never leaves a file a
later command would load as this build's (`tests/interrupts.rs`).
";
