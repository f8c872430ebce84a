//! Privacy modes end to end: hashed weights (one verifying key per architecture, the contract
//! naming the model by its commitment), private weights, hashed/private inputs and outputs with
//! salts, on the Rust verifier and on the generated Solidity verifier on Anvil.

mod common;

use alloy::primitives::U256;
use halo2_proofs::SerdeFormat;
use std::path::{Path, PathBuf};
use zkinfer::chain::{self, Client};
use zkinfer::circuit::poseidon;
use zkinfer::circuit::privacy::{Privacy, Visibility, WeightsMode};
use zkinfer::compile::write_json;
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions};
use zkinfer::prove::ProofFile;

/// The same 4→8→2 architecture with the weights of `seed`, compiled with `privacy` at a pinned
/// scale and lane width (what a model family shares), set up, and proven once.
fn build(tag: &str, seed: u64, privacy: Privacy) -> (PathBuf, ProofFile) {
    let dir = common::scratch(&format!("privacy-{tag}"));
    let model = dir.join("m.onnx");
    write::save(&write::mlp_model(&[4, 8, 2], seed), &model).unwrap();
    let input = dir.join("in.json");
    write_json(&input, &write::random_input(4, 7)).unwrap();
    let build = dir.join("b");
    let opts = CompileOptions { lanes: Some(4), scale_bits: Some(10), privacy, ..Default::default() };
    pipeline::compile(&model, &input, &build, &opts).unwrap();
    pipeline::setup(&build, None).unwrap();
    let proof = pipeline::prove(&build, &input).unwrap();
    (build, proof)
}

fn vk_bytes(dir: &Path) -> Vec<u8> {
    let (_, _, keys) = pipeline::load(dir).unwrap();
    let mut out = vec![];
    keys.vk().write(&mut out, SerdeFormat::RawBytes).unwrap();
    out
}

fn hashed_weights() -> Privacy {
    Privacy { weights: WeightsMode::Hashed, ..Default::default() }
}

#[test]
fn hashed_weights_share_a_key_and_the_commitment_names_the_model() {
    let (a, proof_a) = build("hashed-a", 11, hashed_weights());
    let (b, proof_b) = build("hashed-b", 12, hashed_weights());
    assert_eq!(vk_bytes(&a), vk_bytes(&b), "the verifying key depends on the weight values");
    let (ca, cb) = (zkinfer::compile::Compiled::load(&a).unwrap(), zkinfer::compile::Compiled::load(&b).unwrap());
    assert_ne!(ca.settings.model_hash, cb.settings.model_hash);
    let (ma, mb) = (ca.settings.model_commitment.clone().unwrap(), cb.settings.model_commitment.clone().unwrap());
    assert_ne!(ma, mb);
    // The public values: 4 inputs, 2 outputs, the commitment.
    assert_eq!(proof_a.instances.len(), 7);
    assert_eq!(proof_a.instances[6], ma);
    pipeline::verify(&a, &proof_a).unwrap();
    pipeline::verify(&b, &proof_b).unwrap();
    let err = pipeline::verify(&a, &proof_b).unwrap_err().to_string();
    assert!(err.contains("other weights"), "{err}");
    // The commitment is the Poseidon sponge of the quantised parameters, in layout order.
    let expected = ca.layout.weights_commitment().unwrap();
    assert_eq!(zkinfer::field::to_hex(&expected), ma);
    assert_eq!(ca.layout.weights.len(), 4 * 8 + 8 + 8 * 2 + 2);
}

#[test]
fn private_weights_hide_and_bind_nothing() {
    let p = Privacy { weights: WeightsMode::Private, ..Default::default() };
    let (a, proof_a) = build("private-a", 11, p);
    let (b, proof_b) = build("private-b", 12, p);
    assert_eq!(vk_bytes(&a), vk_bytes(&b));
    // The risk, shown: model B's proof verifies against model A's key.
    pipeline::verify(&a, &proof_a).unwrap();
    pipeline::verify(&a, &proof_b).unwrap();
    assert_eq!(proof_a.instances.len(), 6);
}

#[test]
fn fixed_weights_keys_differ() {
    let (a, _) = build("fixed-a", 11, Privacy::default());
    let (b, _) = build("fixed-b", 12, Privacy::default());
    assert_ne!(vk_bytes(&a), vk_bytes(&b));
}

fn settings(dir: &Path) -> zkinfer::compile::Settings {
    zkinfer::compile::Compiled::load(dir).unwrap().settings
}

/// Issue 11 finding 4: MODEL_HASH covers what makes a verifier this model's: the weights mode
/// (a fixed- and a private-weights build of one model differ), the lanes, the visibility and the
/// verifying key; two hashed-weights builds of one architecture share a key, not a commitment
/// or a hash. Every reader agrees: settings.json (written by setup), the proof file, the
/// generated contract; and a compile after setup is caught before anything uses the stale keys.
#[test]
fn model_hash_covers_the_modes_lanes_and_key() {
    let (fixed, proof_fixed) = build("hash-fixed", 11, Privacy::default());
    let (private, _) = build("hash-private", 11, Privacy { weights: WeightsMode::Private, ..Default::default() });
    let (hashed_a, _) = build("hash-hashed-a", 11, hashed_weights());
    let (hashed_b, _) = build("hash-hashed-b", 12, hashed_weights());
    let (salted, _) =
        build("hash-salted", 11, Privacy { input: Visibility::Hashed, salted: true, ..Default::default() });
    let (unsalted, _) = build("hash-unsalted", 11, Privacy { input: Visibility::Hashed, ..Default::default() });
    let hashes: Vec<String> =
        [&fixed, &private, &hashed_a, &hashed_b, &salted, &unsalted].iter().map(|d| settings(d).model_hash).collect();
    for (i, h) in hashes.iter().enumerate() {
        assert!(h.starts_with("0x") && h.len() == 66, "{h}");
        for g in &hashes[i + 1..] {
            assert_ne!(h, g, "two builds share MODEL_HASH");
        }
    }
    // Same model, fixed vs private weights: the weights mode is in the hash.
    assert_ne!(settings(&fixed).model_hash, settings(&private).model_hash);
    // Two hashed-weights weight sets of one architecture: one key, two commitments, two hashes.
    assert_eq!(vk_bytes(&hashed_a), vk_bytes(&hashed_b), "hashed weights: the key is the architecture's");
    assert_ne!(settings(&hashed_a).model_commitment, settings(&hashed_b).model_commitment);
    assert_ne!(settings(&hashed_a).model_hash, settings(&hashed_b).model_hash);
    // The lanes: the same model and mode at another lane width.
    let dir = common::scratch("privacy-hash-lanes");
    let model = dir.join("m.onnx");
    write::save(&write::mlp_model(&[4, 8, 2], 11), &model).unwrap();
    let input = dir.join("in.json");
    write_json(&input, &write::random_input(4, 7)).unwrap();
    let lanes6 = dir.join("b");
    let opts = CompileOptions { lanes: Some(6), scale_bits: Some(10), ..Default::default() };
    pipeline::compile(&model, &input, &lanes6, &opts).unwrap();
    assert_eq!(settings(&lanes6).model_hash, "", "compile cannot know the key: setup sets the hash");
    pipeline::setup(&lanes6, None).unwrap();
    assert_ne!(settings(&lanes6).model_hash, settings(&fixed).model_hash, "lanes are not in the hash");
    // Readers agree: the proof file and the generated contract carry settings.json's hash.
    assert_eq!(proof_fixed.model_hash, settings(&fixed).model_hash);
    let sol = pipeline::solidity(&private, &private.join("sol"), "ZkinferVerifier").unwrap();
    assert!(sol.verifier.source.contains(&format!("MODEL_HASH = {};", settings(&private).model_hash)));
    assert!(
        sol.verifier.source.contains("WEIGHTS_MODE = 2;")
            && sol.verifier.source.contains("weights: PRIVATE - bound to NOTHING")
    );
    let sol = pipeline::solidity(&fixed, &fixed.join("sol"), "ZkinferVerifier").unwrap();
    assert!(sol.verifier.source.contains("WEIGHTS_MODE = 0;") && sol.verifier.source.contains("weights: FIXED"));
    // Compiled again after setup (other weights): the stale keys are refused by name.
    write::save(&write::mlp_model(&[4, 8, 2], 12), &model).unwrap();
    pipeline::compile(&model, &input, &lanes6, &opts).unwrap();
    let err = pipeline::prove(&lanes6, &input).unwrap_err().to_string();
    assert!(err.contains("zkinfer setup"), "{err}");
}

#[test]
fn hashed_and_private_inputs_and_salted_outputs() {
    let p = Privacy { input: Visibility::Hashed, output: Visibility::Hashed, salted: true, ..Default::default() };
    let (dir, proof) = build("hashed-io", 11, p);
    pipeline::verify(&dir, &proof).unwrap();
    assert_eq!(proof.instances.len(), 2, "one input commitment, one output commitment");
    assert!(proof.outputs.is_empty(), "hashed outputs are not written in clear");
    assert_eq!(proof.opening.salts.len(), 2);
    // Anyone holding the opening recomputes both commitments.
    let c = zkinfer::compile::Compiled::load(&dir).unwrap();
    let input = zkinfer::compile::read_input(&dir.join("../in.json")).unwrap();
    let q = c.model.quantize_inputs(&input).unwrap();
    let salt = zkinfer::field::from_hex(&proof.opening.salts[0]).unwrap();
    let mut messages = vec![salt];
    messages.extend(q[0].iter().map(|&v| zkinfer::circuit::to_field(v)));
    assert_eq!(zkinfer::field::to_hex(&poseidon::commit(&messages)), proof.instances[0]);
    let out_salt = zkinfer::field::from_hex(&proof.opening.salts[1]).unwrap();
    let mut outs = vec![out_salt];
    outs.extend(proof.opening.outputs[0].iter().map(|&v| zkinfer::circuit::to_field((v * 1024.0).round() as i128)));
    assert_eq!(zkinfer::field::to_hex(&poseidon::commit(&outs)), proof.instances[1]);
    // A second proof of the same input uses a fresh salt: the commitments differ.
    let again = pipeline::prove(&dir, &dir.join("../in.json")).unwrap();
    assert_ne!(again.instances[0], proof.instances[0]);

    let p = Privacy { input: Visibility::Private, ..Default::default() };
    let (dir, proof) = build("private-in", 11, p);
    pipeline::verify(&dir, &proof).unwrap();
    assert_eq!(proof.instances.len(), 2, "only the two outputs");
}

#[test]
fn nonsense_modes_are_refused() {
    let dir = common::scratch("privacy-refused");
    let model = dir.join("m.onnx");
    write::save(&write::mlp_model(&[4, 8, 2], 1), &model).unwrap();
    let input = dir.join("in.json");
    write_json(&input, &write::random_input(4, 7)).unwrap();
    let out = Privacy { output: Visibility::Private, ..Default::default() };
    let salt = Privacy { salted: true, ..Default::default() };
    for (p, want) in [(out, "output-visibility private"), (salt, "--salt")] {
        let opts = CompileOptions { privacy: p, ..Default::default() };
        let err = pipeline::compile(&model, &input, &dir.join("b"), &opts).unwrap_err().to_string();
        assert!(err.contains(want), "{err}");
    }
}

async fn accepts(client: &Client, verifier: alloy::primitives::Address, proof: &ProofFile, instances: &[U256]) -> bool {
    client.verify_call(verifier, &proof.proof_bytes().unwrap(), instances).await.map(|(ok, _)| ok).unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_accepts_only_its_own_weights() {
    let (a, proof_a) = build("evm-hashed-a", 11, hashed_weights());
    let (_, proof_b) = build("evm-hashed-b", 12, hashed_weights());
    let sol = pipeline::solidity(&a, &a.join("sol"), "ZkinferVerifier").unwrap();
    assert!(sol.verifier.source.contains(&format!(
        "MODEL_COMMITMENT = {}",
        zkinfer::compile::Compiled::load(&a).unwrap().settings.model_commitment.unwrap()
    )));
    let code = sol.contracts.iter().find(|c| c.name == "ZkinferVerifier").unwrap();
    assert!(code.runtime_size <= zkinfer::evm::EIP170_LIMIT);
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let (verifier, _) = client.deploy(code.bytecode.clone()).await.unwrap();
    let inst_a = chain::instances_u256(&proof_a.instances).unwrap();
    let inst_b = chain::instances_u256(&proof_b.instances).unwrap();
    assert!(accepts(&client, verifier, &proof_a, &inst_a).await, "model A's proof rejected by A's contract");
    // Model B: a valid proof for the same verifying key, other weights.
    assert!(!accepts(&client, verifier, &proof_b, &inst_b).await, "model B's proof accepted by A's contract");
    // B's proof with A's commitment swapped in: the commitment no longer matches the proof.
    let mut forged = inst_b.clone();
    *forged.last_mut().unwrap() = *inst_a.last().unwrap();
    assert!(!accepts(&client, verifier, &proof_b, &forged).await);
    // A tampered commitment, and one shifted by the field modulus (same value mod r).
    let r = U256::from_str_radix(zkinfer::field::MODULUS_HEX, 16).unwrap();
    let mut tampered = inst_a.clone();
    *tampered.last_mut().unwrap() += U256::from(1);
    assert!(!accepts(&client, verifier, &proof_a, &tampered).await);
    let mut wrapped = inst_a.clone();
    *wrapped.last_mut().unwrap() += r;
    assert!(!accepts(&client, verifier, &proof_a, &wrapped).await);
    // A flipped proof byte.
    let mut bytes = proof_a.proof_bytes().unwrap();
    bytes[40] ^= 1;
    assert!(!client.verify_call(verifier, &bytes, &inst_a).await.map(|(ok, _)| ok).unwrap_or(false));
}

/// Two corpus shapes that once stopped compilation with private weights: large_op_graph has
/// convolution taps that meet only padding (never placed, so nothing to commit from: they are
/// left out of the commitment, as they change no output), and 1l_average has no weights at all
/// (the sponge then commits to one pair of zeros). Each must prove and verify in both modes.
#[test]
fn dead_taps_and_weightless_models_take_private_weights() {
    let Some(corpus) = common::corpus() else { return };
    for name in ["large_op_graph", "1l_average"] {
        for weights in [WeightsMode::Private, WeightsMode::Hashed] {
            let folder = corpus.join(name);
            let build = common::scratch(&format!("privacy-dead-{name}-{weights:?}"));
            let opts = CompileOptions { privacy: Privacy { weights, ..Default::default() }, ..Default::default() };
            let input = folder.join("input.json");
            pipeline::compile(&folder.join("network.onnx"), &input, &build, &opts)
                .unwrap_or_else(|e| panic!("{name} {weights:?}: {e}"));
            pipeline::setup(&build, None).unwrap();
            let proof = pipeline::prove(&build, &input).unwrap();
            pipeline::verify(&build, &proof).unwrap_or_else(|e| panic!("{name} {weights:?}: {e}"));
        }
    }
}
