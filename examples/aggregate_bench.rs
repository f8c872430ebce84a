//! Aggregation figures (README, "Measured"): for each N, N inferences of two 4→8→2 MLPs (models
//! A and B alternating, each slot its own input) aggregated on this machine: the circuit's k and
//! columns, keygen and prove seconds, peak memory, and on Anvil the aggregate's `verifyProof` and
//! `submitBatch` gas against N single verifications and submissions.
//!
//! `cargo run --example aggregate_bench -- [--n 2,4,8] [--json] [--max-gib 22]` (the dev profile
//! builds dependencies optimised, and the prover is all in them).
//!
//! Each N runs in a child process (this binary with `--single N`), so its peak memory is its own;
//! the child's address space is capped at `--max-gib`, so an N that does not fit fails as a row
//! ("did not fit") instead of swapping the machine.

use std::path::{Path, PathBuf};
use zkinfer::chain::{self, Client, ClientConfig};
use zkinfer::circuit::privacy::{Privacy, Visibility};
use zkinfer::compile::write_json;
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions, Placement};
use zkinfer::prove::Transcript;

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
struct Row {
    n: usize,
    k: u32,
    advice_columns: usize,
    keygen_seconds: f64,
    prove_seconds: f64,
    peak_gib: f64,
    proof_bytes: usize,
    verify_gas: u64,
    submit_gas: u64,
    single_verify_gas: u64,
    single_submit_gas: u64,
}

const ROOT: &str = "build/bench-aggregate";

/// Models A and B (seeds 11, 12), set up once; the inputs of slot i are seeded by i.
fn builds() -> zkinfer::Result<[PathBuf; 2]> {
    let packed = Privacy { input: Visibility::Packed, output: Visibility::Packed, ..Default::default() };
    let opts = CompileOptions { privacy: packed, ..Default::default() };
    let mut out = vec![];
    for seed in [11u64, 12] {
        let dir = Path::new(ROOT).join(format!("model{seed}"));
        let build = dir.join("build");
        if !build.join("pk.bin").exists() {
            let model = dir.join("model.onnx");
            write::save(&write::mlp_model(&[4, 8, 2], seed), &model)?;
            let input = dir.join("input.json");
            write_json(&input, &write::random_input(4, seed))?;
            pipeline::compile(&model, &input, &build, &opts)?;
            pipeline::setup(&build, None)?;
        }
        out.push(build);
    }
    Ok([out[0].clone(), out[1].clone()])
}

fn input(i: usize) -> zkinfer::Result<PathBuf> {
    let path = Path::new(ROOT).join(format!("input{i}.json"));
    write_json(&path, &write::random_input(4, 1000 + i as u64))?;
    Ok(path)
}

/// One N, in this process: prove, aggregate, deploy and submit on an Anvil of its own.
async fn single(n: usize) -> zkinfer::Result<Row> {
    let builds = builds()?;
    let mut inputs = vec![];
    for i in 0..n {
        let build = builds[i % 2].clone();
        let proof = pipeline::prove_for(&build, &input(i)?, Transcript::Poseidon, &())?;
        let path = Path::new(ROOT).join(format!("inner{i}.json"));
        write_json(&path, &proof)?;
        inputs.push((build, path));
    }
    let dir = Path::new(ROOT).join(format!("agg{n}"));
    let report = zkinfer::aggregate::aggregate(&inputs, &dir, &Default::default(), &())?;
    let anvil = chain::spawn_anvil()?;
    let cfg = ClientConfig::new(&anvil.endpoint());
    let client = Client::connect_with(&cfg).await?;
    let (d, _) = pipeline::deploy_batch(&dir, &cfg, Placement::Inline, false).await?;
    let proof = report.proof.proof_bytes()?;
    let instances = chain::instances_u256(&report.proof.instances)?;
    let (ok, verify_gas) = client.verify_call(d.verifier, &proof, &instances).await?;
    assert!(ok, "the aggregate verifies");
    let submit = pipeline::submit_batch(&dir, &dir.join("proof.json"), &cfg, None).await?;
    // One single inference of model A, verified and submitted the ordinary way.
    let one = pipeline::prove(&builds[0], &input(0)?)?;
    let (d1, _) = pipeline::deploy(&builds[0], &cfg, &chain::build::DeployOptions::plain()).await?;
    let inst1 = chain::instances_u256(&one.instances)?;
    let (_, single_verify_gas) = client.verify_call(d1.verifier, &one.proof_bytes()?, &inst1).await?;
    let s1 = client.submit(d1.consumer, &one.proof_bytes()?, &inst1).await?;
    Ok(Row {
        n,
        k: report.k,
        advice_columns: report.advice_columns,
        keygen_seconds: report.keygen_seconds,
        prove_seconds: report.proof.prove_seconds,
        peak_gib: 0.0,
        proof_bytes: proof.len(),
        verify_gas,
        submit_gas: submit.gas_used,
        single_verify_gas,
        single_submit_gas: s1.gas_used,
    })
}

/// Runs `--single n` as a child with its address space capped; its row with its own peak RSS,
/// or why it failed.
fn child(n: usize, max_gib: u64) -> Result<Row, String> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let cap = max_gib << 30;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--single", &n.to_string()]).stderr(std::process::Stdio::inherit());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit { rlim_cur: cap, rlim_max: cap };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.stdout(std::process::Stdio::piped()).spawn().map_err(|e| e.to_string())?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut stdout = child.stdout.ok_or("no stdout")?;
    let mut out = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut out).map_err(|e| e.to_string())?;
    // SAFETY: waits for the child spawned above, whose pid this is.
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let peak_gib = usage.ru_maxrss as f64 / (1u64 << 20) as f64;
    let line = out.lines().last().unwrap_or_default();
    let mut row: Row = serde_json::from_str(line)
        .map_err(|_| format!("did not finish (exit status {status}; peak {peak_gib:.1} GiB, cap {max_gib} GiB)"))?;
    row.peak_gib = peak_gib;
    Ok(row)
}

#[tokio::main]
async fn main() -> zkinfer::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    if let Some(n) = flag("--single") {
        let row = single(n.parse().expect("--single N")).await?;
        println!("{}", serde_json::to_string(&row).expect("a row serialises"));
        return Ok(());
    }
    let ns: Vec<usize> = flag("--n")
        .unwrap_or_else(|| "2,4,8".into())
        .split(',')
        .map(|s| s.trim().parse().expect("--n 2,4,8"))
        .collect();
    let max_gib: u64 = flag("--max-gib").map_or(22, |s| s.parse().expect("--max-gib GIB"));
    builds()?;
    let mut rows = vec![];
    for n in ns {
        eprintln!("aggregating {n} proofs…");
        rows.push((n, child(n, max_gib)));
    }
    if args.iter().any(|a| a == "--json") {
        let ok: Vec<&Row> = rows.iter().filter_map(|(_, r)| r.as_ref().ok()).collect();
        println!("{}", serde_json::to_string_pretty(&ok).expect("rows serialise"));
        return Ok(());
    }
    println!("| N | k | advice | keygen s | prove s | peak GiB | proof B | verifyProof gas | N × single | ratio to one single | submitBatch gas | N × single submit |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (n, r) in rows {
        match r {
            Ok(r) => println!(
                "| {n} | {} | {} | {:.0} | {:.0} | {:.1} | {} | {} | {} | {:.2} | {} | {} |",
                r.k,
                r.advice_columns,
                r.keygen_seconds,
                r.prove_seconds,
                r.peak_gib,
                r.proof_bytes,
                r.verify_gas,
                n as u64 * r.single_verify_gas,
                r.verify_gas as f64 / r.single_verify_gas as f64,
                r.submit_gas,
                n as u64 * r.single_submit_gas
            ),
            Err(why) => println!("| {n} | {why} |||||||||||"),
        }
    }
    Ok(())
}
