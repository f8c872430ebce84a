//! One verifier per architecture end to end on Anvil (issue 15 item 2): the architecture verifier
//! of a hashed-weights build and its `ModelRegistry` deployed, two weight sets of the
//! architecture registered, a `RegisteredInference` consumer for one of them taking its model's
//! proof and refusing the other's; a build of another architecture refused at registration, a
//! taken id refused, a retired id refused by the consumer.

mod common;

use zkinfer::chain::{self, registry, Client, ClientConfig};
use zkinfer::pipeline::{self, Placement};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_verifier_serves_every_registered_weight_set() {
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let cfg = ClientConfig::new(&anvil.endpoint());
    let client = Client::connect_with(&cfg).await.unwrap();
    let (a, _, proof_a) = common::hashed_build("registry-a", 11);
    let (b, _, proof_b) = common::hashed_build("registry-b", 12);

    let (deployed, out) = pipeline::registry_deploy(&a, &cfg, Placement::Inline).await.unwrap();
    assert_eq!(registry::RegistryDeployment::load(&a).unwrap().registry, deployed.registry);
    assert!(out.verifier.source.contains("WEIGHTS_MODE = 3"), "an architecture verifier");
    let reg = deployed.registry;
    let ra = pipeline::registry_register(&a, reg, "model-a", &cfg).await.unwrap();
    pipeline::registry_register(&b, reg, "model-b", &cfg).await.unwrap();
    println!(
        "registry: verifier {} gas, registry {} gas, an entry {} gas",
        deployed.verifier_gas, deployed.registry_gas, ra.gas
    );
    let err = pipeline::registry_register(&b, reg, "model-a", &cfg).await.unwrap_err().to_string();
    assert!(err.contains("IdTaken"), "{err}");

    // Another architecture (other lanes): its key is not the registry's, refused before sending.
    let (_, model, other_input, first) = common::example_build("registry-other", &[4, 8, 2], false);
    let other = first.with_file_name("lanes3");
    let opts = pipeline::CompileOptions {
        lanes: Some(3),
        scale_bits: Some(10),
        privacy: zkinfer::circuit::privacy::Privacy {
            weights: zkinfer::circuit::privacy::WeightsMode::Hashed,
            ..Default::default()
        },
        ..Default::default()
    };
    pipeline::compile(&model, &other_input, &other, &opts).unwrap();
    pipeline::setup(&other, None).unwrap();
    let err = pipeline::registry_register(&other, reg, "model-c", &cfg).await.unwrap_err().to_string();
    assert!(err.contains("serves architecture"), "{err}");

    // A consumer is pinned to its build's weights and architecture: B's build cannot take an
    // entry naming A's weights, and a build of another architecture finds a verifier that is
    // not the one it generates.
    let err = pipeline::deploy_registered(&b, reg, "model-a", &cfg).await.unwrap_err().to_string();
    assert!(err.contains("CommitmentMismatch"), "{err}");
    let err = pipeline::deploy_registered(&other, reg, "model-a", &cfg).await.unwrap_err().to_string();
    assert!(err.contains("does not run the architecture verifier"), "{err}");

    // A consumer of model A: A's proof accepted, B's refused (its commitment is B's).
    let d = pipeline::deploy_registered(&a, reg, "model-a", &cfg).await.unwrap();
    assert_eq!(d.verifier, deployed.verifier);
    let inst = |p: &zkinfer::prove::ProofFile| chain::instances_u256(&p.instances).unwrap();
    let s = client.submit(d.consumer, &proof_a.proof_bytes().unwrap(), &inst(&proof_a)).await.unwrap();
    println!("registered submit: {} gas", s.gas_used);
    let err = client.submit(d.consumer, &proof_b.proof_bytes().unwrap(), &inst(&proof_b)).await.unwrap_err();
    assert!(err.to_string().contains("CommitmentMismatch"), "{err}");

    // Retired: the consumer takes nothing more, even a new proof of its own model.
    client.retire_model(reg, registry::model_id("model-a").unwrap()).await.unwrap();
    let other_input = a.parent().unwrap().join("in2.json");
    zkinfer::compile::write_json(&other_input, &zkinfer::onnx::write::random_input(4, 8)).unwrap();
    let again = pipeline::prove(&a, &other_input).unwrap();
    let err = client.submit(d.consumer, &again.proof_bytes().unwrap(), &inst(&again)).await.unwrap_err();
    assert!(err.to_string().contains("UnknownModel"), "{err}");
}
