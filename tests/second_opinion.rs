//! A second, independent verifier: Axiom's snark-verifier (its own SHPLONK/Bdfg21 and its own
//! reading of the halo2 protocol) must agree with the generated Solidity verifier on honest and
//! tampered proofs. Its native loader is used: snark-verifier's generated Solidity pins solc
//! 0.8.19, and with the pin relaxed, solc 0.8.37 (the one we ship) fails on it with "stack too
//! deep" (checked on this test's model), so it is not deployed.

mod common;

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand::{Rng, SeedableRng};
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::pcs::kzg::{Bdfg21, KzgAs, KzgDecidingKey};
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier::verifier::{plonk::PlonkVerifier, SnarkVerifier};
use zkinfer::chain::{self, Client};
use zkinfer::compile::write_json;
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions};

type Shplonk = PlonkVerifier<KzgAs<Bn256, Bdfg21>>;

fn snark_verifier_accepts(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    instances: &[Fr],
) -> bool {
    let protocol = compile(params, vk, Config::kzg().with_num_instance(vec![instances.len()]));
    let dk: KzgDecidingKey<Bn256> = (params.get_g()[0], params.g2(), params.s_g2()).into();
    let mut transcript = EvmTranscript::<G1Affine, NativeLoader, _, _>::new(proof);
    let instances = vec![instances.to_vec()];
    let Ok(p) = Shplonk::read_proof(&dk, &protocol, &instances, &mut transcript) else { return false };
    // PlonkVerifier decides the KZG accumulator itself (the pairing check).
    Shplonk::verify(&dk, &protocol, &instances, &p).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snark_verifier_agrees_with_generated_verifier() {
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    agree(&client, "mlp", &write::mlp_model(&[6, 10, 3], 21), write::random_input(6, 121)).await;
    // Products checked at challenges drawn in a second phase (freivalds.rs).
    let rows = write::mlp_model_rows(&[6, 10, 3], 12, 22, "Relu");
    agree(&client, "rows", &rows, write::random_input(72, 122)).await;
}

/// snark-verifier and the generated verifier on one model's honest proof, flipped bytes and
/// changed public values.
async fn agree(client: &Client, name: &str, onnx: &tract_onnx::pb::ModelProto, input_json: serde_json::Value) {
    let dir = common::scratch(&format!("second-opinion-{name}"));
    let model = dir.join("model.onnx");
    write::save(onnx, &model).unwrap();
    let input = dir.join("input.json");
    write_json(&input, &input_json).unwrap();
    let build = dir.join("build");
    pipeline::compile(&model, &input, &build, &CompileOptions::default()).unwrap();
    pipeline::setup(&build, None).unwrap();
    let checks = zkinfer::compile::Compiled::load(&build).unwrap().layout.products.len();
    assert_eq!(checks > 0, name == "rows", "{name}: {checks} product checks");
    let p = pipeline::prove(&build, &input).unwrap();
    let (_, params, keys) = pipeline::load(&build).unwrap();
    let sol = pipeline::solidity(&build, &dir.join("sol"), "ZkinferVerifier").unwrap();
    let code = sol.contracts.iter().find(|c| c.name == "ZkinferVerifier").unwrap().bytecode.clone();
    let (verifier, _) = client.deploy(code).await.unwrap();
    let proof = p.proof_bytes().unwrap();
    let fields = p.instance_fields().unwrap();
    let inst = chain::instances_u256(&p.instances).unwrap();
    assert!(
        snark_verifier_accepts(&params, keys.vk(), &proof, &fields),
        "{name}: snark-verifier rejects an honest proof"
    );
    assert!(client.verify_call(verifier, &proof, &inst).await.unwrap().0);

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(99);
    for _ in 0..12 {
        let mut bad = proof.clone();
        let i = rng.gen_range(0..bad.len());
        bad[i] ^= 1 << rng.gen_range(0..8);
        let ours = client.verify_call(verifier, &bad, &inst).await.map(|r| r.0).unwrap_or(false);
        let theirs = snark_verifier_accepts(&params, keys.vk(), &bad, &fields);
        assert_eq!(ours, theirs, "{name}: disagreement on a flipped byte at {i}");
        assert!(!ours);
    }
    for i in 0..fields.len() {
        let mut f = fields.clone();
        f[i] += Fr::one();
        let mut u = inst.clone();
        u[i] = chain::instances_u256(&[zkinfer::field::to_hex(&f[i])]).unwrap()[0];
        let ours = client.verify_call(verifier, &proof, &u).await.unwrap().0;
        assert_eq!(ours, snark_verifier_accepts(&params, keys.vk(), &proof, &f));
        assert!(!ours);
    }
}
