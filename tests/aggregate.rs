//! Aggregation end to end on Anvil (issue 15 item 3): two inferences of different models (one
//! with fixed weights, one with hashed weights) proven for aggregation, aggregated, the
//! aggregate's verifier and a `BatchInference` deployed, the batch accepted with every slot's
//! outputs recorded and a replay refused. Then what an attacker can change, asked of three
//! verifiers (zkinfer's Rust verifier, the contract, snark-verifier's native verifier with the
//! accumulator decided): every accumulator limb, every inner public value, proof words, and an
//! aggregate the attacker really proves with another model's proof in slot 0 (the circuit is
//! satisfied; the accumulator is not). Every verifier must refuse each.

mod common;

use alloy::primitives::U256;
use common::verifiers::{fields, to_u256};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::commitment::ParamsProver;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::pcs::kzg::{Bdfg21, KzgAs, KzgDecidingKey, LimbsEncoding};
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier::verifier::plonk::PlonkVerifier;
use snark_verifier::verifier::SnarkVerifier;
use std::path::{Path, PathBuf};
use zkinfer::aggregate::{self, AggregateOptions, AggregateSettings};
use zkinfer::chain::{self, Client, ClientConfig};
use zkinfer::circuit::privacy::{Privacy, Visibility, WeightsMode};
use zkinfer::pipeline::{self, CompileOptions, Placement};
use zkinfer::prove::{ProofFile, Srs, Transcript};

type Accumulating = PlonkVerifier<KzgAs<Bn256, Bdfg21>, LimbsEncoding<3, 88>>;

/// A 4→8→2 MLP with `seed`'s weights compiled with `opts`, set up, and proven for aggregation.
fn inner(name: &str, seed: u64, opts: &CompileOptions) -> (PathBuf, PathBuf, ProofFile) {
    use zkinfer::{compile::write_json, onnx::write};
    let dir = common::scratch(name);
    let model = dir.join("m.onnx");
    write::save(&write::mlp_model(&[4, 8, 2], seed), &model).unwrap();
    let input = dir.join("in.json");
    write_json(&input, &write::random_input(4, seed + 100)).unwrap();
    let build = dir.join("b");
    pipeline::compile(&model, &input, &build, opts).unwrap();
    pipeline::setup(&build, None).unwrap();
    let proof = pipeline::prove_for(&build, &input, Transcript::Poseidon, &()).unwrap();
    let path = dir.join("proof.json");
    write_json(&path, &proof).unwrap();
    (build, path, proof)
}

/// snark-verifier's verdict on the aggregate: its PLONK verifier with the accumulator in the
/// first 12 public values decided (two pairings) as its own EVM verifier would.
fn snark_verifier_accepts(params: &Srs, vk: &VerifyingKey<G1Affine>, proof: &[u8], instances: &[Fr]) -> bool {
    let indices = (0..12).map(|i| (0, i)).collect();
    let protocol = compile(
        params,
        vk,
        Config::kzg().with_num_instance(vec![instances.len()]).with_accumulator_indices(Some(indices)),
    );
    let dk: KzgDecidingKey<Bn256> = (params.get_g()[0], params.g2(), params.s_g2()).into();
    let inst = vec![instances.to_vec()];
    let mut rest = proof;
    let mut t = EvmTranscript::<G1Affine, NativeLoader, _, _>::new(&mut rest);
    let Ok(read) = Accumulating::read_proof(&dk, &protocol, &inst, &mut t) else { return false };
    rest.is_empty() && Accumulating::verify(&dk, &protocol, &inst, &read).is_ok()
}

/// The aggregate's three verifiers: zkinfer's Rust verifier, the deployed contract,
/// snark-verifier's.
struct Verifiers<'a> {
    settings: AggregateSettings,
    params: Srs,
    vk: VerifyingKey<G1Affine>,
    client: &'a Client,
    verifier: alloy::primitives::Address,
}

impl Verifiers<'_> {
    /// (Rust, contract, snark-verifier) on one aggregate.
    async fn verdicts(&self, proof: &[u8], instances: &[U256]) -> (bool, bool, bool) {
        let evm = self.client.verify_call(self.verifier, proof, instances).await.map(|(ok, _)| ok).unwrap_or(false);
        let Some(f) = fields(instances) else { return (false, evm, false) };
        let rust = aggregate::verify(&self.settings, &self.params, &self.vk, proof, &f).is_ok();
        (rust, evm, snark_verifier_accepts(&self.params, &self.vk, proof, &f))
    }

    async fn refused(&self, what: &str, proof: &[u8], instances: &[U256]) {
        let v = self.verdicts(proof, instances).await;
        assert_eq!(v, (false, false, false), "{what}: (Rust, contract, snark-verifier) = {v:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aggregate_of_two_models_verifies_on_chain_and_hides_no_bad_inner_proof() {
    let packed = Privacy { input: Visibility::Packed, output: Visibility::Packed, ..Default::default() };
    let fixed = CompileOptions { privacy: packed, ..Default::default() };
    let hashed = CompileOptions {
        lanes: Some(4),
        scale_bits: Some(10),
        privacy: Privacy { weights: WeightsMode::Hashed, ..Default::default() },
        ..Default::default()
    };
    let (build_a, path_a, proof_a) = inner("agg-a", 11, &fixed);
    // Model B: A's architecture with other weights, so another verifying key of the same shape.
    let (_, _, proof_b) = inner("agg-b", 12, &fixed);
    let (build_h, path_h, proof_h) = inner("agg-h", 13, &hashed);
    let dir = common::scratch("agg").join("out");

    // Refused by name before any work: a contract's proof, and a proof given with another build.
    let evm_proof = common::scratch("agg-evm").join("p.json");
    let input_a = build_a.parent().unwrap().join("in.json");
    zkinfer::compile::write_json(&evm_proof, &pipeline::prove(&build_a, &input_a).unwrap()).unwrap();
    let opts = AggregateOptions::default();
    let e = aggregate::aggregate(&[(build_a.clone(), evm_proof)], &dir, &opts, &()).unwrap_err().to_string();
    assert!(e.contains("--for-aggregation"), "{e}");
    let e = aggregate::aggregate(&[(build_h.clone(), path_a.clone())], &dir, &opts, &()).unwrap_err().to_string();
    assert!(e.contains("build"), "{e}");

    let inputs = [(build_a.clone(), path_a), (build_h.clone(), path_h)];
    let report = aggregate::aggregate(&inputs, &dir, &opts, &()).unwrap();
    println!(
        "aggregate of 2: k {}, {} advice columns, keygen {:.1} s, prove {:.1} s",
        report.k, report.advice_columns, report.keygen_seconds, report.proof.prove_seconds
    );
    let agg_path = dir.join("proof.json");
    let agg = aggregate::verify_file(&dir, &agg_path).unwrap();
    let proof = agg.proof_bytes().unwrap();
    let instances = chain::instances_u256(&agg.instances).unwrap();

    // aggregate.json is what the contract is generated from: an edited slot (here the hashed
    // slot's commitment, which the inner key does not fix) is refused, not rendered.
    let json = dir.join("aggregate.json");
    let saved = std::fs::read_to_string(&json).unwrap();
    let mut edited: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert!(edited["slots"][1]["commitment"].is_string(), "slot 1 has hashed weights");
    edited["slots"][1]["commitment"] = format!("0x{:064x}", 1).into();
    std::fs::write(&json, edited.to_string()).unwrap();
    let e =
        pipeline::solidity_aggregate(&dir, &dir.join("sol"), "Edited", Placement::Inline).err().map(|e| e.to_string());
    assert!(e.as_deref().is_some_and(|e| e.contains("aggregate_hash")), "{e:?}");
    std::fs::write(&json, saved).unwrap();

    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let cfg = ClientConfig::new(&anvil.endpoint());
    let client = Client::connect_with(&cfg).await.unwrap();
    let (d, _) = pipeline::deploy_batch(&dir, &cfg, Placement::Inline, false).await.unwrap();
    let s = pipeline::submit_batch(&dir, &agg_path, &cfg, None).await.unwrap();
    println!("submitBatch of 2: {} gas", s.gas_used);
    for (slot, p) in [proof_a.clone(), proof_h.clone()].iter().enumerate() {
        let (outs, block) = client.batch_latest(d.consumer, slot).await.unwrap();
        assert_eq!(block, s.block, "slot {slot} recorded in the batch's block");
        let scale =
            zkinfer::compile::Compiled::load(if slot == 0 { &build_a } else { &build_h }).unwrap().model.scale();
        let want: Vec<i64> = p.outputs.iter().flatten().map(|v| (v * scale).round() as i64).collect();
        let got: Vec<i64> = outs.iter().map(|v| v.as_i64()).collect();
        assert_eq!(got, want, "slot {slot}'s outputs recorded");
    }
    let e = pipeline::submit_batch(&dir, &agg_path, &cfg, None).await.unwrap_err().to_string();
    assert!(e.contains("NothingNew"), "a replayed batch: {e}");

    let settings = AggregateSettings::load(&dir).unwrap();
    let (params, vk) = aggregate::load_vk(&dir, &settings).unwrap();
    let v = Verifiers { settings, params, vk, client: &client, verifier: d.verifier };
    assert_eq!(v.verdicts(&proof, &instances).await, (true, true, true), "the honest aggregate");
    for i in 0..instances.len() {
        let mut changed = instances.clone();
        changed[i] = (changed[i] + U256::from(1)) % common::verifiers::modulus();
        v.refused(&format!("public value {i} changed"), &proof, &changed).await;
    }
    v.refused("a public value too few", &proof, &instances[..instances.len() - 1]).await;
    for at in (0..proof.len()).step_by(proof.len() / 7) {
        let mut flipped = proof.clone();
        flipped[at] ^= 1;
        v.refused(&format!("proof byte {at} flipped"), &flipped, &instances).await;
    }

    // An aggregate an attacker really proves: model B's proof in slot 0, verified in-circuit
    // under model A's key. The circuit holds; the accumulator does not decide.
    let forged = vec![
        (build_a.clone(), proof_b.proof_bytes().unwrap(), proof_b.instance_fields().unwrap()),
        (build_h.clone(), proof_h.proof_bytes().unwrap(), proof_h.instance_fields().unwrap()),
    ];
    let (fp, fi) = aggregate::prove_unchecked(&dir, forged).unwrap();
    // The aggregation proof itself holds: what gives the bad inner proof away is the accumulator.
    zkinfer::prove::verify_with_vk(&v.params, &v.vk, &fp, &fi).expect("the forged aggregation proof holds");
    let e = aggregate::circuit::decide(&v.params, &fi).unwrap_err().to_string();
    assert!(e.contains("does not decide"), "{e}");
    v.refused("model B's proof under model A's key", &fp, &to_u256(&fi)).await;
    let e = pipeline::submit_batch(&dir, &write_forged(&dir, &agg, &fp, &fi), &cfg, None).await.unwrap_err();
    assert!(e.to_string().contains("InvalidProof"), "{e}");
}

/// The forged aggregate as a proof file of this directory, for `submit`.
fn write_forged(dir: &Path, honest: &aggregate::AggregateProof, proof: &[u8], instances: &[Fr]) -> PathBuf {
    let mut f = honest.clone();
    f.proof = format!("0x{}", hex::encode(proof));
    f.instances = instances.iter().map(zkinfer::field::to_hex).collect();
    let path = dir.join("forged.json");
    zkinfer::compile::write_json(&path, &f).unwrap();
    path
}
