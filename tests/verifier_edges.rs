//! Issue 11, findings 2 and 5: the Rust verifier and the generated contract must accept exactly
//! the same set. Each test plays the attacker with real proofs (the prover run on what an
//! attacker controls), through `pipeline::verify` and the generated verifier on Anvil; before the
//! fixes the Rust verifier accepted both forgeries below and the contract read (0,0) as a point.

mod common;

use alloy::primitives::Address;
use common::verifiers;
use zkinfer::chain::{self, build, Client, ClientConfig};
use zkinfer::compile::Compiled;
use zkinfer::evm::proof_shape::ProofShape;
use zkinfer::pipeline;
use zkinfer::prove::ProofFile;

async fn deployed(client: &Client, dir: &std::path::Path) -> Address {
    let sol = pipeline::solidity(dir, &dir.join("sol"), "ZkinferVerifier").unwrap();
    client.deploy_verifier(sol.verifier_code().unwrap()).await.unwrap().verifier
}

/// Finding 2: instance rows past the layout's public values have no copy constraint, so model B's
/// prover may append a value there. With hashed weights A and B share one verifying key, and the
/// appended value, A's commitment, is where a count-blind verifier looks for the model's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extra_public_value_cannot_name_another_model() {
    let (a, _, proof_a) = common::hashed_build("edges-a", 11);
    let (b, input_b, _) = common::hashed_build("edges-b", 12);
    let commitment_a = Compiled::load(&a).unwrap().settings.model_commitment.unwrap();
    let (proof, instances) =
        verifiers::prove_with_extra(&b, &input_b, &[zkinfer::field::from_hex(&commitment_a).unwrap()]);
    assert_eq!(instances.len(), 8, "4 inputs, 2 outputs, B's commitment, A's commitment");
    let forged = ProofFile {
        proof: format!("0x{}", hex::encode(&proof)),
        instances: instances.iter().map(zkinfer::field::to_hex).collect(),
        ..proof_a.clone()
    };
    pipeline::verify(&a, &proof_a).unwrap();
    let err =
        pipeline::verify(&a, &forged).expect_err("A's build accepted B's proof ending in A's commitment").to_string();
    assert!(err.contains("expected 7 public values, got 8"), "{err}");
    // `zkinfer submit` refuses it before asking any node (nothing listens on this port).
    let cfg = ClientConfig::new("http://127.0.0.1:9");
    let err = build::submit(&a, &forged, &cfg, Some(Address::ZERO), None)
        .await
        .expect_err("submit pre-check passed")
        .to_string();
    assert!(err.contains("expected 7 public values, got 8"), "{err}");

    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let verifier = deployed(&client, &a).await;
    let honest = chain::instances_u256(&proof_a.instances).unwrap();
    assert!(client.verify_call(verifier, &proof_a.proof_bytes().unwrap(), &honest).await.unwrap().0);
    let forged_inst = chain::instances_u256(&forged.instances).unwrap();
    assert!(!client.verify_call(verifier, &proof, &forged_inst).await.unwrap().0, "the contract accepted the forgery");
}

/// Finding 5: halo2 stops reading at the end of the argument, so bytes after it were ignored by
/// the Rust verifier and refused by the contract; and the contract's point check let (0,0)
/// through as the point at infinity, which snark-verifier's transcript does not read as a point.
/// No honest proof contains the identity (every commitment is blinded), so both refuse it while
/// reading the proof, before any pairing: the contract's gas shows where it stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_bytes_and_the_identity_point_are_refused_by_both() {
    let (_, _, input, dir) = common::example_build("edges-mlp", &[4, 6, 2], true);
    let honest = pipeline::prove(&dir, &input).unwrap();
    let proof = honest.proof_bytes().unwrap();
    let inst = chain::instances_u256(&honest.instances).unwrap();
    let (_, _, keys) = pipeline::load(&dir).unwrap();
    let shape = ProofShape::of(keys.vk());
    assert_eq!(shape.bytes(), proof.len(), "ProofShape is not the prover's layout");
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let verifier = deployed(&client, &dir).await;
    let (ok, full_gas) = client.verify_call(verifier, &proof, &inst).await.unwrap();
    assert!(ok);
    let with = |bytes: Vec<u8>| ProofFile { proof: format!("0x{}", hex::encode(bytes)), ..honest.clone() };

    for extra in [vec![0u8], vec![0; 32], vec![0x5a; 64]] {
        let long = [proof.clone(), extra.clone()].concat();
        let err = pipeline::verify(&dir, &with(long.clone())).expect_err("Rust accepted trailing bytes").to_string();
        assert!(err.contains(&format!("exactly {} bytes", proof.len())), "{err}");
        assert!(
            !client.verify_call(verifier, &long, &inst).await.unwrap().0,
            "contract accepted {} trailing bytes",
            extra.len()
        );
    }
    for (slot, &at) in shape.point_offsets().iter().enumerate() {
        let mut bad = proof.clone();
        bad[at..at + 64].fill(0);
        let err = pipeline::verify(&dir, &with(bad.clone())).expect_err("Rust accepted (0,0)").to_string();
        assert!(err.contains("point at infinity"), "point {slot}: {err}");
        let (ok, gas) = client.verify_call(verifier, &bad, &inst).await.unwrap();
        assert!(!ok, "contract accepted (0,0) in point {slot}");
        assert!(
            gas < full_gas / 2,
            "point {slot}: (0,0) read as a point ({gas} gas, a full verification is {full_gas})"
        );
    }
}
