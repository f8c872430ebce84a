//! The generated Solidity verifier against halo2-axiom's Rust verifier, on a local Anvil: both
//! must accept every honest proof and reject every tampered one, for several circuits.

mod common;

use alloy::primitives::U256;
use rand::{Rng, SeedableRng};
use std::path::Path;
use zkinfer::chain::{self, Client};
use zkinfer::compile::write_json;
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions};
use zkinfer::prove::{self, ProofFile};

struct Built {
    name: String,
    dir: std::path::PathBuf,
    proofs: Vec<ProofFile>,
    verifier: alloy::primitives::Address,
    runtime_size: usize,
}

async fn build(client: &Client, name: &str, model: &Path, inputs: &[serde_json::Value]) -> Built {
    build_with(client, name, model, inputs, &CompileOptions::default()).await
}

async fn build_with(
    client: &Client,
    name: &str,
    model: &Path,
    inputs: &[serde_json::Value],
    opts: &CompileOptions,
) -> Built {
    let dir = common::scratch(&format!("evm-{name}"));
    let first = dir.join("input0.json");
    write_json(&first, &inputs[0]).unwrap();
    pipeline::compile(model, &first, &dir, opts).unwrap();
    pipeline::setup(&dir, None).unwrap();
    let mut proofs = vec![];
    for (i, input) in inputs.iter().enumerate() {
        let path = dir.join(format!("input{i}.json"));
        write_json(&path, input).unwrap();
        let p = pipeline::prove(&dir, &path).unwrap();
        pipeline::verify(&dir, &p).unwrap();
        proofs.push(p);
    }
    let sol = pipeline::solidity(&dir, &dir.join("sol"), "ZkinferVerifier").unwrap();
    let c = sol.contracts.iter().find(|c| c.name == "ZkinferVerifier").unwrap();
    assert!(c.runtime_size <= zkinfer::evm::EIP170_LIMIT, "{name}: {} bytes over EIP-170", c.runtime_size);
    let verifier = client.deploy_verifier(sol.verifier_code().unwrap()).await.unwrap().verifier;
    Built { name: name.into(), dir, proofs, verifier, runtime_size: c.runtime_size }
}

async fn evm_accepts(client: &Client, b: &Built, proof: &[u8], inst: &[U256]) -> bool {
    client.verify_call(b.verifier, proof, inst).await.map(|(ok, _)| ok).unwrap_or(false)
}

fn rust_accepts(b: &Built, proof: &[u8], inst: &[U256]) -> bool {
    let Ok(fields) =
        inst.iter().map(|v| zkinfer::field::from_hex(&format!("{v:#066x}"))).collect::<Result<Vec<_>, _>>()
    else {
        return false;
    };
    let (_, params, keys) = pipeline::load(&b.dir).unwrap();
    prove::verify(&params, &keys, proof, &fields).is_ok()
}

fn random_inputs(n: usize, count: usize, seed: u64) -> Vec<serde_json::Value> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let v: Vec<f32> = (0..n).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
            serde_json::json!({ "input_data": [v] })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solidity_verifier_agrees_with_rust_verifier() {
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let models = common::scratch("evm-models");
    let mut built = vec![];
    // mlp_tanh proves its activations by lookup tables: a second lookup argument of three columns.
    let models_to_build = [
        ("mlp_a", vec![4, 8, 2], 11u64, "Relu"),
        ("mlp_b", vec![4, 8, 2], 12, "Relu"),
        ("mlp_wide", vec![20, 24, 12, 3], 13, "Relu"),
        ("mlp_tanh", vec![6, 8, 3], 14, "Tanh"),
    ];
    for (name, sizes, seed, act) in models_to_build {
        let path = models.join(format!("{name}.onnx"));
        write::save(&write::mlp_model_with(&sizes, seed, act), &path).unwrap();
        built.push(build(&client, name, &path, &random_inputs(sizes[0], 3, seed)).await);
    }
    // Sixteen rows through each layer: the products are checked at random challenges drawn in a
    // second phase (freivalds.rs), which both verifiers must read and squeeze alike.
    let path = models.join("mlp_rows.onnx");
    write::save(&write::mlp_model_rows(&[6, 10, 4], 16, 15, "Relu"), &path).unwrap();
    let narrow = CompileOptions { wide: Some(false), ..Default::default() };
    built.push(build_with(&client, "mlp_rows", &path, &random_inputs(16 * 6, 3, 15), &narrow).await);
    assert!(
        !zkinfer::compile::Compiled::load(&built[4].dir).unwrap().layout.products.is_empty(),
        "mlp_rows is laid out without a product check"
    );
    // The same with one-row requant blocks: two more lookups for the contract to check.
    let wide = CompileOptions { wide: Some(true), ..Default::default() };
    built.push(build_with(&client, "mlp_rows_wide", &path, &random_inputs(16 * 6, 2, 16), &wide).await);
    assert!(zkinfer::compile::Compiled::load(&built[5].dir).unwrap().settings.wide, "mlp_rows_wide is not wide");
    // Small models reach a fine scale only with the range check split (a range table below 2^s):
    // the requant gate then reads its range cells at 3d rotations, which both verifiers must open.
    let split = |b: &Built| {
        let s = zkinfer::compile::Compiled::load(&b.dir).unwrap().settings;
        s.range_bits < s.scale_bits
    };
    assert!(built.iter().any(split), "no build splits the range check");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for b in &built {
        for p in &b.proofs {
            let proof = p.proof_bytes().unwrap();
            let inst = chain::instances_u256(&p.instances).unwrap();
            assert!(evm_accepts(&client, b, &proof, &inst).await, "{}: honest proof rejected on EVM", b.name);
            // Flipped bytes anywhere in the proof.
            for _ in 0..6 {
                let mut bad = proof.clone();
                let i = rng.gen_range(0..bad.len());
                bad[i] ^= 1 << rng.gen_range(0..8);
                let (e, r) = (evm_accepts(&client, b, &bad, &inst).await, rust_accepts(b, &bad, &inst));
                assert_eq!(e, r, "{}: EVM and Rust disagree on a flipped byte at {i}", b.name);
                assert!(!e, "{}: flipped byte at {i} accepted", b.name);
            }
            // Every public value changed by one, and one lifted by the modulus.
            for i in 0..inst.len() {
                let mut bad = inst.clone();
                bad[i] = (bad[i] + U256::from(1)) % U256::from_str_radix(zkinfer::field::MODULUS_HEX, 16).unwrap();
                assert!(!evm_accepts(&client, b, &proof, &bad).await && !rust_accepts(b, &proof, &bad));
            }
            let mut lifted = inst.clone();
            lifted[0] += U256::from_str_radix(zkinfer::field::MODULUS_HEX, 16).unwrap();
            assert!(!evm_accepts(&client, b, &proof, &lifted).await, "{}: public value >= r accepted", b.name);
        }
        eprintln!("{}: {} proofs, verifier {} bytes", b.name, b.proofs.len(), b.runtime_size);
    }
    // Too little gas is an error, never a "false" that would hide a valid proof (and make
    // eth_estimateGas stop at a limit where the verifier runs out of gas inside a precompile).
    let b0 = &built[0];
    let p0 = &b0.proofs[0];
    let (proof0, inst0) = (p0.proof_bytes().unwrap(), chain::instances_u256(&p0.instances).unwrap());
    let (_, estimate) = client.verify_call(b0.verifier, &proof0, &inst0).await.unwrap();
    let v = chain::ZkinferVerifier::new(b0.verifier, &client.provider);
    let short = v.verifyProof(proof0.clone().into(), inst0.clone()).gas(estimate - 30_000).call().await;
    assert!(short.is_err(), "a short gas limit returned {short:?} instead of reverting");
    let enough = v.verifyProof(proof0.into(), inst0).gas(estimate).call().await.unwrap();
    assert!(enough, "the estimated gas does not suffice to verify");

    // A proof of another model (same architecture, other weights) is rejected by both.
    let (a, bb) = (&built[0], &built[1]);
    let p = &bb.proofs[0];
    let (proof, inst) = (p.proof_bytes().unwrap(), chain::instances_u256(&p.instances).unwrap());
    assert!(!evm_accepts(&client, a, &proof, &inst).await && !rust_accepts(a, &proof, &inst));
}
