//! The tamper suite (issue 11): every way we know to change a proof or its public values, asked
//! of the three verifiers of `common::verifiers` (Rust, the generated contract on Anvil,
//! snark-verifier) over four circuits: a dense fixed-weights MLP, a conv net, a lookup-heavy
//! model and a hashed-weights model. Nothing may be accepted, the three must agree on every case
//! (a verifier that accepts more than the others is a forgery waiting for its proof), and the
//! contract must answer every case within `GAS_GIVEN`: a rejection that runs out of gas would make
//! `eth_estimateGas` and consumers read "invalid" where the verifier was only starved.
//!
//! `cargo test --test tamper` runs the reduced suite `make test` runs (a stride over byte
//! positions, samples of the random families). The full suite, every byte position of every
//! proof and over 10,000 cases in all, takes minutes:
//!
//! ```sh
//! ZKINFER_TAMPER_FULL=1 cargo test --release --test tamper -- --nocapture
//! ```

mod common;

use alloy::primitives::U256;
use common::verifiers::{fields, modulus, prove_with_extra, to_u256, Subject, Verdict};
use halo2_proofs::halo2curves::bn256::Fq;
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::poly::commitment::Params;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zkinfer::chain::{self, Client};
use zkinfer::compile::write_json;
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions, Placement};
use zkinfer::prove::ProofFile;

type Rng8 = rand_chacha::ChaCha8Rng;

struct Case {
    family: &'static str,
    proof: Vec<u8>,
    instances: Vec<U256>,
}

impl Case {
    fn new(family: &'static str, proof: Vec<u8>, instances: Vec<U256>) -> Case {
        Case { family, proof, instances }
    }
}

/// How much of each family to try: all of it, or a sample small enough for `make test`.
#[derive(Clone, Copy)]
struct Budget {
    full: bool,
}

impl Budget {
    fn sample(&self, full: usize, reduced: usize) -> usize {
        if self.full {
            full
        } else {
            reduced
        }
    }
}

fn base_q() -> U256 {
    U256::from_str_radix(Fq::MODULUS.trim_start_matches("0x"), 16).unwrap()
}

fn word(bytes: &[u8]) -> U256 {
    U256::from_be_slice(bytes)
}

fn put(proof: &mut [u8], at: usize, v: U256) {
    proof[at..at + 32].copy_from_slice(&v.to_be_bytes::<32>());
}

/// Changes to the proof bytes, public values kept.
fn proof_cases(s: &Subject, b: Budget, rng: &mut Rng8) -> Vec<Case> {
    let (p, inst) = (&s.proof, &s.instances);
    let mut out = vec![];
    let case = |family, proof| Case::new(family, proof, inst.clone());
    let stride = if b.full { 1 } else { (p.len() / 120).max(1) };
    for i in (rng.gen_range(0..stride)..p.len()).step_by(stride) {
        let mut bad = p.clone();
        bad[i] ^= rng.gen_range(1..=255u8);
        out.push(case("byte flip", bad));
    }
    for _ in 0..b.sample(600, 40) {
        let mut bad = p.clone();
        let n = rng.gen_range(2..=16);
        for _ in 0..n {
            let i = rng.gen_range(0..bad.len());
            bad[i] ^= rng.gen_range(1..=255u8);
        }
        out.push(case("multi-byte", bad));
    }
    let points = s.shape.point_offsets();
    let mut pairs: Vec<(usize, usize)> =
        (0..points.len()).flat_map(|i| (i + 1..points.len()).map(move |j| (i, j))).collect();
    if !b.full {
        pairs = (0..20).map(|_| pairs[rng.gen_range(0..pairs.len())]).collect();
    }
    for (i, j) in pairs {
        let (a, c) = (points[i], points[j]);
        if p[a..a + 64] == p[c..c + 64] {
            continue;
        }
        let mut bad = p.clone();
        bad[a..a + 64].copy_from_slice(&p[c..c + 64]);
        bad[c..c + 64].copy_from_slice(&p[a..a + 64]);
        out.push(case("swap points", bad));
    }
    let q = base_q();
    for &at in &points {
        let mut bad = p.clone();
        bad[at..at + 64].fill(0);
        out.push(case("identity (0,0)", bad));
        let (x, y) = (word(&p[at..at + 32]), word(&p[at + 32..at + 64]));
        for (nx, ny) in [(x, (y + U256::from(1)) % q), (x + q, y), (U256::from(1), U256::from(1))] {
            let mut bad = p.clone();
            put(&mut bad, at, nx);
            put(&mut bad, at + 32, ny);
            out.push(case("off-curve / >= q", bad));
        }
    }
    for &at in s.shape.scalar_offsets().iter().step_by(b.sample(1, 4)) {
        let mut bad = p.clone();
        put(&mut bad, at, word(&p[at..at + 32]) + modulus());
        out.push(case("proof scalar + r", bad));
    }
    out.extend(length_cases(p, b, rng).into_iter().map(|bad| case("length", bad)));
    out
}

/// Truncated, extended and trailing-byte proofs.
fn length_cases(p: &[u8], b: Budget, rng: &mut Rng8) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![vec![], p[..p.len() - 1].to_vec(), p[..p.len() / 2].to_vec()];
    let cut_stride = b.sample(32, 32 * 16);
    out.extend((cut_stride..p.len()).step_by(cut_stride).map(|n| p[..p.len() - n].to_vec()));
    for extra in [1usize, 2, 31, 32, 33, 64, 65, 640] {
        out.push([p, &vec![0u8; extra]].concat());
        out.push([p, &(0..extra).map(|_| rng.gen()).collect::<Vec<u8>>()].concat());
    }
    for byte in [1u8, 0x80, 0xff] {
        out.push([p, &[byte]].concat());
    }
    // A proof followed by itself: the first copy is a whole valid proof.
    out.push([p, p].concat());
    out
}

/// Changes to the public values, the proof kept.
fn public_cases(s: &Subject, b: Budget, rng: &mut Rng8) -> Vec<Case> {
    let (p, inst) = (&s.proof, &s.instances);
    let r = modulus();
    let mut out = vec![];
    let case = |family, instances| Case::new(family, p.clone(), instances);
    // Reduced: the first and last values (inputs, outputs, commitments) and a random sample.
    let mut indices: Vec<usize> = (0..inst.len()).collect();
    if !b.full && inst.len() > 24 {
        let n = inst.len();
        indices = (0..8).chain(n - 8..n).chain((0..8).map(|_| rng.gen_range(8..n - 8))).collect();
    }
    for i in indices {
        let with = |v: U256| {
            let mut bad = inst.clone();
            bad[i] = v;
            bad
        };
        out.push(case("public ±1", with((inst[i] + U256::from(1)) % r)));
        out.push(case("public ±1", with((inst[i] + r - U256::from(1)) % r)));
        out.push(case("public + r", with(inst[i] + r)));
        out.push(case("public >= r", with(r)));
        out.push(case("public >= r", with(U256::MAX)));
        for _ in 0..b.sample(3, 0) {
            out.push(case("public >= r", with(r + U256::from(rng.gen::<u128>()))));
        }
    }
    let random_field = U256::from(rng.gen::<u128>());
    let mut counts: Vec<Vec<U256>> = vec![
        vec![],
        inst[..inst.len() - 1].to_vec(),
        inst[1..].to_vec(),
        [inst.as_slice(), &[U256::ZERO]].concat(),
        [inst.as_slice(), &[*inst.last().unwrap()]].concat(),
        [inst.as_slice(), &[random_field]].concat(),
        [&[U256::ZERO], inst.as_slice()].concat(),
        [inst.as_slice(), inst.as_slice()].concat(),
    ];
    counts.push([inst.as_slice(), &[U256::from(1), U256::from(2)]].concat());
    out.extend(counts.into_iter().map(|v| case("count", v)));
    out
}

/// Honest proofs of other models, with their own public values and relabelled with ours.
fn other_model_cases(s: &Subject, others: &[(Vec<u8>, Vec<U256>)]) -> Vec<Case> {
    let mut out = vec![];
    for (proof, inst) in others {
        out.push(Case::new("other model", proof.clone(), inst.clone()));
        out.push(Case::new("other model", proof.clone(), s.instances.clone()));
        if inst.len() == s.instances.len() {
            // Ours, but the other model's outputs: the statement it proved, under our inputs.
            let mut mixed = s.instances.clone();
            let last = mixed.len() - 1;
            mixed[last] = inst[last];
            out.push(Case::new("other model", proof.clone(), mixed));
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    tried: usize,
    /// Rust, contract, snark-verifier.
    accepted: [usize; 3],
    disagreements: usize,
    reverts: usize,
    out_of_gas: usize,
}

/// Asks the three verifiers about every case: Rust and snark-verifier on a blocking thread while
/// the contract calls go to Anvil, so both cores work.
async fn run(client: &Client, s: Arc<Subject>, cases: Vec<Case>) -> BTreeMap<&'static str, Tally> {
    let cases = Arc::new(cases);
    let native = {
        let (s, cases) = (s.clone(), cases.clone());
        tokio::task::spawn_blocking(move || {
            cases.iter().map(|c| (s.rust(&c.proof, &c.instances), s.snark(&c.proof, &c.instances))).collect::<Vec<_>>()
        })
    };
    let mut evm = Vec::with_capacity(cases.len());
    for c in cases.iter() {
        evm.push(s.contract(client, &c.proof, &c.instances).await);
    }
    let native = native.await.unwrap();
    let mut tally: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for ((c, &(rust, snark)), &contract) in cases.iter().zip(&native).zip(&evm) {
        let t = tally.entry(c.family).or_default();
        let evm_ok = contract == Verdict::Accept;
        t.tried += 1;
        t.accepted[0] += rust as usize;
        t.accepted[1] += evm_ok as usize;
        t.accepted[2] += snark as usize;
        t.reverts += (contract == Verdict::Revert) as usize;
        t.out_of_gas += (contract == Verdict::OutOfGas) as usize;
        if rust != evm_ok || rust != snark {
            t.disagreements += 1;
            eprintln!("{}: {}: rust {rust}, contract {contract:?}, snark-verifier {snark}", s.name, c.family);
        }
    }
    tally
}

/// Compiles `model` on `input` with `opts`, sets it up and proves it once.
fn build(name: &str, model: &Path, input: &Path, opts: &CompileOptions) -> (PathBuf, ProofFile) {
    let dir = common::scratch(&format!("tamper-{name}"));
    pipeline::compile(model, input, &dir, opts).unwrap();
    pipeline::setup(&dir, None).unwrap();
    let proof = pipeline::prove(&dir, input).unwrap();
    (dir, proof)
}

/// The four circuits, deployed: (name, build, honest proof). The hashed one comes with its twin
/// B (same architecture and key, other weights), whose proofs are the strongest "other model".
fn circuits(corpus: &Path) -> Vec<(String, PathBuf, ProofFile)> {
    let dir = common::scratch("tamper-models");
    let mut out = vec![];
    let dense = dir.join("dense.onnx");
    write::save(&write::mlp_model(&[8, 16, 8, 4], 31), &dense).unwrap();
    let dense_in = dir.join("dense.json");
    write_json(&dense_in, &write::random_input(8, 31)).unwrap();
    let (b, p) = build("dense", &dense, &dense_in, &CompileOptions::default());
    out.push(("dense".to_string(), b, p));

    // Conv, ReLU, fully connected: 784 public inputs, k 12.
    let conv = corpus.join("4l_relu_conv_fc");
    let (b, p) = build("conv", &conv.join("network.onnx"), &conv.join("input.json"), &CompileOptions::default());
    out.push(("conv".to_string(), b, p));

    // Four pointwise functions, each its own lookup table.
    let ops: [(&str, &[&str]); 4] = [("Sigmoid", &["a"]), ("Tanh", &["a"]), ("Exp", &["b"]), ("Erf", &["b"])];
    let lookups = dir.join("lookups.onnx");
    write::save(&write::branches_model(4, &ops), &lookups).unwrap();
    let lookups_in = dir.join("lookups.json");
    let v = |seed| write::random_input(4, seed)["input_data"][0].clone();
    write_json(&lookups_in, &serde_json::json!({ "input_data": [v(41), v(42)] })).unwrap();
    let opts = CompileOptions { scale_bits: Some(8), ..Default::default() };
    let (b, p) = build("lookups", &lookups, &lookups_in, &opts);
    out.push(("lookups".to_string(), b, p));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_tampered_proof_is_accepted_and_the_verifiers_agree() {
    let Some(corpus) = common::corpus() else { return };
    let budget = Budget { full: std::env::var("ZKINFER_TAMPER_FULL").is_ok_and(|v| v == "1") };
    let start = std::time::Instant::now();
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let mut built = circuits(&corpus);
    let (hashed, hashed_in, hashed_proof) = common::hashed_build("tamper-hashed-a", 11);
    let (twin, twin_in, twin_proof) = common::hashed_build("tamper-hashed-b", 12);
    built.push(("hashed".to_string(), hashed.clone(), hashed_proof.clone()));
    let mut subjects = vec![];
    for (name, dir, proof) in built {
        subjects.push(Arc::new(Subject::new(&client, &name, &dir, proof, Placement::Inline).await));
    }
    // The same hashed build with its key as data in a contract of its own (issue 15): the
    // verifier reads the key with EXTCODECOPY, and must refuse exactly what the inline one does;
    // and with its identities too in a contract of their own, which it calls with its memory.
    subjects.push(Arc::new(
        Subject::new(&client, "hashed-keyed", &hashed, hashed_proof.clone(), Placement::Contract).await,
    ));
    subjects.push(Arc::new(Subject::new(&client, "hashed-split", &hashed, hashed_proof, Placement::Split).await));
    let setup_seconds = start.elapsed().as_secs_f64();
    for s in &subjects {
        let k = s.params.k();
        let (bytes, points, public) = (s.proof.len(), s.shape.point_offsets().len(), s.instances.len());
        println!("{}: k {k}, proof {bytes} bytes ({points} points), {public} public values", s.name);
    }
    for s in &subjects {
        assert!(s.rust(&s.proof, &s.instances), "{}: Rust rejects the honest proof", s.name);
        assert!(s.snark(&s.proof, &s.instances), "{}: snark-verifier rejects the honest proof", s.name);
        assert_eq!(s.contract(&client, &s.proof, &s.instances).await, Verdict::Accept, "{}: contract", s.name);
    }

    let mut rng = Rng8::seed_from_u64(0x7a6d);
    let mut rows = vec![];
    for s in &subjects {
        let mut cases = proof_cases(s, budget, &mut rng);
        cases.extend(public_cases(s, budget, &mut rng));
        let mut others: Vec<(Vec<u8>, Vec<U256>)> =
            subjects.iter().filter(|o| o.dir != s.dir).map(|o| (o.proof.clone(), o.instances.clone())).collect();
        if s.name.starts_with("hashed") {
            others.extend(twin_cases(s, &twin, &twin_in, &twin_proof));
            // Finding 2: A's own proof with a copy of its commitment appended, really proven.
            let (proof, inst) =
                prove_with_extra(&hashed, &hashed_in, &fields(&s.instances[s.instances.len() - 1..]).unwrap());
            cases.push(Case::new("count", proof, to_u256(&inst)));
        }
        cases.extend(other_model_cases(s, &others));
        for (family, t) in run(&client, s.clone(), cases).await {
            rows.push((s.name.clone(), family, t));
        }
    }
    report(&rows, budget, setup_seconds, start.elapsed().as_secs_f64());
    drop(anvil);
}

/// Model B (same key as the hashed subject A): its proof with its values, with A's commitment
/// relabelled onto it, and B's proof with A's commitment appended as an extra public value
/// (issue 11, finding 2), every one a real proof.
fn twin_cases(a: &Subject, twin: &Path, twin_in: &Path, twin_proof: &ProofFile) -> Vec<(Vec<u8>, Vec<U256>)> {
    let proof_b = twin_proof.proof_bytes().unwrap();
    let inst_b = chain::instances_u256(&twin_proof.instances).unwrap();
    let commitment_a = *a.instances.last().unwrap();
    let mut relabelled = inst_b.clone();
    *relabelled.last_mut().unwrap() = commitment_a;
    let (forged, forged_inst) = prove_with_extra(twin, twin_in, &fields(&[commitment_a]).unwrap());
    vec![(proof_b.clone(), inst_b), (proof_b, relabelled), (forged, to_u256(&forged_inst))]
}

fn report(rows: &[(String, &'static str, Tally)], budget: Budget, setup: f64, total: f64) {
    let mode = if budget.full { "full" } else { "reduced" };
    println!("tamper suite ({mode}): setup {setup:.0} s, total {total:.0} s");
    let header = ("circuit", "family", "tried", "accepted rust/evm/sv", "disagreements", "revert", "oog");
    println!(
        "{:<12} {:<18} {:>7} {:>22} {:>13} {:>6} {:>4}",
        header.0, header.1, header.2, header.3, header.4, header.5, header.6
    );
    let mut sum = Tally::default();
    let line = |circuit: &str, family: &str, t: &Tally| {
        let acc = format!("{}/{}/{}", t.accepted[0], t.accepted[1], t.accepted[2]);
        println!(
            "{circuit:<12} {family:<18} {:>7} {acc:>22} {:>13} {:>6} {:>4}",
            t.tried, t.disagreements, t.reverts, t.out_of_gas
        );
    };
    for (circuit, family, t) in rows {
        line(circuit, family, t);
        sum.tried += t.tried;
        (0..3).for_each(|i| sum.accepted[i] += t.accepted[i]);
        sum.disagreements += t.disagreements;
        sum.reverts += t.reverts;
        sum.out_of_gas += t.out_of_gas;
    }
    line("total", "", &sum);
    assert_eq!(sum.accepted, [0; 3], "tampered cases accepted");
    assert_eq!(sum.disagreements, 0, "the verifiers disagree");
    assert_eq!(sum.out_of_gas, 0, "the contract ran out of {} gas rejecting", common::verifiers::GAS_GIVEN);
    if budget.full {
        assert!(sum.tried >= 10_000, "the full suite tried only {}", sum.tried);
    }
}
