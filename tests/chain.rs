//! The chain client as a library, against a local Anvil: typed errors for the permanent failures
//! (wrong chain, no funds, reverts decoded), retries for the transient ones, the forge deploy
//! script, the corpus forecaster `ltsf` through the feed-bound path the DeFi bot uses, and the
//! committed aggregate of two forecasts through the batch vault its `--batch N` uses.

mod common;

use alloy::primitives::U256;
use std::path::Path;
use zkinfer::chain::feed::{model_input, quantise, FeedParams};
use zkinfer::chain::retry::RetryPolicy;
use zkinfer::chain::{self, Client, ClientConfig, KeySource, ModelPin, VerifiedInference};
use zkinfer::{pipeline, Error};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn forge() -> std::path::PathBuf {
    Path::new(ROOT).join("node_modules/@foundry-rs/forge-linux-amd64/bin/forge")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_are_typed_and_explained() {
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let url = anvil.endpoint();

    let e = Client::connect_with(&ClientConfig::new(&url).expect_chain(1)).await.err().unwrap();
    assert!(matches!(e, Error::WrongChain { expected: 1, got: 31337, .. }), "{e}");

    // A fresh key holds nothing: refused before sending, with the balance named.
    let mut broke = ClientConfig::new(&url);
    broke.key = KeySource::Hex(format!("{:064x}", 0xdead_beef_u64));
    let client = Client::connect_with(&broke).await.unwrap();
    let e = client.deploy(vec![0x60, 0x00, 0x60, 0x00, 0xf3]).await.err().unwrap();
    assert!(matches!(e, Error::InsufficientFunds { .. }), "{e}");
    assert!(e.to_string().contains("holds 0 wei") && e.to_string().contains("fund the account"), "{e}");

    // Reverts come back decoded: a bad proof, and a stranger switching the verifier.
    let (_d, _m, _i, build) = common::example_build("chain_errors", &[4, 4, 2], true);
    let sol = pipeline::solidity(&build, &build.join("sol"), "ZkinferVerifier").unwrap();
    let settings = pipeline::load(&build).unwrap().0.settings;
    let pin = ModelPin::of(&settings, false).unwrap();
    let client = Client::connect(&url).await.unwrap();
    let d = client
        .deploy_pair(sol.verifier_code().unwrap(), sol.bytecode("VerifiedInference").unwrap(), &pin)
        .await
        .unwrap();
    assert_eq!(
        d.binding.as_ref().unwrap().model_hash,
        settings.model_hash,
        "the deployed verifier reports the build's MODEL_HASH"
    );
    let n = settings.num_public_inputs + settings.num_outputs;
    let e = client.submit(d.consumer, &[1, 2, 3], &vec![U256::from(1); n]).await.err().unwrap();
    assert!(matches!(&e, Error::Reverted { reason, .. } if reason.starts_with("InvalidProof()")), "{e}");
    let e = client.submit(d.consumer, &[1, 2, 3], &[U256::from(1)]).await.err().unwrap();
    assert!(e.to_string().contains(&format!("PublicValueCount({n}, 1)")), "{e}");
    let mut stranger = ClientConfig::new(&url);
    stranger.key = KeySource::Hex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d".into()); // Anvil dev key 1
    let stranger = Client::connect_with(&stranger).await.unwrap();
    let tx = VerifiedInference::new(d.consumer, &stranger.provider)
        .proposeVerifier(d.verifier, pin.sol())
        .into_transaction_request();
    let e = stranger.send("proposeVerifier", tx).await.err().unwrap();
    assert!(e.to_string().contains("NotOwner(): only the contract's owner"), "{e}");
    assert!(client.estimate_submit(d.consumer, &[0u8; 10], &[]).await.is_err());
    // A consumer pinned to another model refuses the verifier at construction, in words.
    let mut wrong = pin.clone();
    wrong.model_hash = alloy::primitives::B256::repeat_byte(7);
    let e = client
        .deploy_pair(sol.verifier_code().unwrap(), sol.bytecode("VerifiedInference").unwrap(), &wrong)
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("ModelMismatch(") && e.to_string().contains("but the consumer expects"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried() {
    // Nothing listens yet; the node comes up while the client is retrying.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let late = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(600));
        alloy::node_bindings::Anvil::at(chain::find_anvil().unwrap()).port(port).spawn()
    });
    let mut cfg = ClientConfig::new(&url);
    cfg.retry = RetryPolicy { attempts: 8, first_backoff: std::time::Duration::from_millis(200) };
    let client = Client::connect_with(&cfg).await.expect("retried until the node answered");
    assert_eq!(client.chain_id, 31337);
    let anvil = late.join().unwrap();
    drop(anvil);

    // A node that never comes: a clear error after the attempts.
    cfg.retry = RetryPolicy { attempts: 2, first_backoff: std::time::Duration::from_millis(50) };
    let e = Client::connect_with(&cfg).await.err().unwrap();
    assert!(matches!(e, Error::Rpc { attempts: 2, .. }), "{e}");
    assert!(e.to_string().contains("after 2 attempts") && e.to_string().contains("Is a node running there?"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forge_script_deploys_verifier_and_consumer() {
    if !forge().exists() {
        panic!("forge not found at {} (run `make deps`)", forge().display());
    }
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let fixture = std::fs::read_to_string(Path::new(ROOT).join("contracts/generated/FixtureVerifierA.sol")).unwrap();
    let model_hash = fixture
        .lines()
        .find_map(|l| l.trim().strip_prefix("bytes32 public constant MODEL_HASH = "))
        .map(|h| h.trim_end_matches(';').to_string())
        .expect("MODEL_HASH in the fixture verifier");
    let script = |verifier: Option<&str>| {
        let mut cmd = std::process::Command::new(forge());
        cmd.current_dir(ROOT)
            .args(["script", "script/Deploy.s.sol", "--rpc-url", &anvil.endpoint(), "--broadcast"])
            .env("PRIVATE_KEY", format!("0x{}", chain::keys::ANVIL_DEV_KEY))
            .env("MODEL_HASH", &model_hash)
            .env_remove("VERIFIER")
            .env_remove("PRICE_FEED");
        if let Some(v) = verifier {
            cmd.env("VERIFIER", v);
        }
        cmd.output().unwrap()
    };
    // Without VERIFIER the script refuses (it used to deploy the test fixture silently).
    let out = script(None);
    assert!(!out.status.success(), "deployed without VERIFIER");
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("VerifierNotSet"), "{all}");
    let out = script(Some("FixtureVerifierA.sol:FixtureVerifierA"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "forge script failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("weights: fixed"), "{stdout}");
    assert!(!stdout.contains(chain::keys::ANVIL_DEV_KEY), "the key was printed");
    let consumer = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("consumer: address "))
        .expect("consumer address in forge's output")
        .parse()
        .unwrap();
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let hash = client.view(consumer, VerifiedInference::modelHashCall {}).await.unwrap();
    assert_eq!(hash.to_string(), model_hash, "consumer pins model {hash}");
}

/// The corpus' 96-step DLinear-style forecaster, its inputs read from a feed on chain and
/// quantised by the contract: accepted, its outputs within tolerance of the reference; the same
/// proof after the feed moves is rejected, the reason decoded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ltsf_forecaster_through_the_feed_bound_path() {
    let Some(corpus) = common::corpus() else { return };
    let dir = corpus.join("ltsf");
    let work = common::scratch("chain_ltsf");
    let build = work.join("b");
    let c = pipeline::compile(&dir.join("network.onnx"), &dir.join("input.json"), &build, &Default::default()).unwrap();
    pipeline::setup(&build, None).unwrap();
    let sol = pipeline::solidity(&build, &work.join("sol"), "LtsfVerifier").unwrap();
    let (compiled, params, keys) = pipeline::load(&build).unwrap();
    let window = c.settings.input_values();
    assert_eq!(window, 96);

    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let verifier = client.deploy_verifier(sol.verifier_code().unwrap()).await.unwrap().verifier;
    let feed = client.deploy_feed(sol.bytecode("MockPriceFeed").unwrap(), 8).await.unwrap();
    let unit = 100_000_000u128;
    let pin = ModelPin::of(&compiled.settings, false).unwrap();
    let feed_params = FeedParams { feed, window, price_unit: unit, max_price_age: 3600 };
    let (consumer, _) = client
        .deploy_bound(sol.bytecode("FeedBoundInference").unwrap(), verifier, &pin, &feed_params, None)
        .await
        .unwrap();
    let x: Vec<f64> =
        zkinfer::compile::read_input(&dir.join("input.json")).unwrap()[0].iter().map(|&v| v as f64).collect();
    let answers: Vec<i128> = x.iter().map(|v| (v * unit as f64).round() as i128).collect();
    client.push_prices(feed, &answers).await.unwrap();

    let s = c.settings.scale_bits;
    let (read, end) = client.read_window(feed, window, None).await.unwrap();
    let q: Vec<i128> = read.iter().map(|&a| quantise(a, s, unit)).collect();
    assert_eq!(client.bound_inputs(consumer).await.unwrap().0, q, "Rust and Solidity quantise alike");
    let inputs = vec![q.iter().map(|&v| model_input(v, s).unwrap()).collect()];
    let proof = zkinfer::prove::prove(&compiled, &params, &keys, &inputs).unwrap();
    let tail = chain::instances_u256(&proof.instances[c.settings.num_public_inputs..]).unwrap();
    // The market moves while the proof is made: it still lands, naming its window's end round.
    client.push_prices(feed, &[answers[0]]).await.unwrap();
    let sub = client.submit_bound(consumer, &proof.proof_bytes().unwrap(), end, &tail).await.unwrap();
    assert_eq!(sub.outputs.len(), 24);
    let got: Vec<Vec<f64>> = vec![sub.outputs.iter().map(|v| v.parse::<f64>().unwrap() / (1u64 << s) as f64).collect()];
    let want = zkinfer::conformance::expected(&dir).unwrap();
    let (abs, _) = zkinfer::conformance::compare(&got, &want).unwrap();
    assert!(abs < 0.05, "on-chain outputs off by {abs}");

    // Once: the same window again is a replay; the newer window is other prices.
    let e = client.submit_bound(consumer, &proof.proof_bytes().unwrap(), end, &tail).await.err().unwrap();
    assert!(matches!(&e, Error::Reverted { reason, .. } if reason.starts_with("RoundAlreadyUsed(")), "{e}");
    let latest = client.latest_round(feed).await.unwrap();
    let e = client.submit_bound(consumer, &proof.proof_bytes().unwrap(), latest, &tail).await.err().unwrap();
    assert!(matches!(&e, Error::Reverted { reason, .. } if reason.starts_with("InvalidProof()")), "{e}");
    // The constructor refuses a window the verifier's model does not read.
    let narrow = FeedParams { window: 95, ..feed_params };
    let e = client
        .deploy_bound(sol.bytecode("FeedBoundInference").unwrap(), verifier, &pin, &narrow, None)
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("WindowMismatch(96, 95)"), "{e}");
}

/// The CLI's path for a feed-bound consumer, as a library: `deploy --feed` records the feed,
/// `feed-input` writes the window the contract will check (here across a phase change of the
/// feed), `prove`, `submit` finds the window's end round and sends only the outputs; a proof over
/// a window that is consumed or never was is stopped before sending; a private-weights build is
/// deployed only with the explicit flag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_bound_deployment_from_a_build_directory() {
    use zkinfer::chain::build::{self, ConsumerKind, DeployOptions};
    let (dir, _m, _i, b) = common::example_build("chain_feed_build", &[4, 4, 2], true);
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let cfg = ClientConfig::new(&anvil.endpoint());
    let client = Client::connect_with(&cfg).await.unwrap();
    let sol = pipeline::solidity(&b, &dir.join("sol"), "ZkinferVerifier").unwrap();
    let feed = client.deploy_feed(sol.bytecode("MockPriceFeed").unwrap(), 8).await.unwrap();
    client.push_prices(feed, &[50_000_000, -25_000_000]).await.unwrap();
    client.new_phase(feed).await.unwrap();
    client.push_prices(feed, &[75_000_000, 10_000_000]).await.unwrap();
    let kind = ConsumerKind::Feed { feed, price_unit: 100_000_000, max_price_age: 3600, vault: None };
    let (d, _) = zkinfer::pipeline::deploy(
        &b,
        &cfg,
        &DeployOptions { kind: kind.clone(), allow_unbound_weights: false, placement: Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(d.feed.as_ref().unwrap().window, 4);
    assert_eq!(d.binding.as_ref().unwrap().weights_mode, 0);

    let (input, round) = build::feed_input(&b, &cfg).await.unwrap();
    assert_eq!(round, (2u128 << 64) | 2, "{}", chain::round_name(round));
    let path = dir.join("feed_input.json");
    zkinfer::compile::write_json(&path, &input).unwrap();
    let proof = pipeline::prove(&b, &path).unwrap();
    // The market moves before the proof is sent: submit finds the window it is over.
    client.push_prices(feed, &[20_000_000]).await.unwrap();
    let s = build::submit(&b, &proof, &cfg, None, None).await.unwrap();
    assert_eq!(s.outputs.len(), 2);
    assert!(s.events[0].starts_with("InferenceVerified"), "{:?}", s.events);
    assert!(s.events.iter().any(|e| e.starts_with("WindowConsumed(phase 2 round 2")), "{:?}", s.events);

    let e = build::submit(&b, &proof, &cfg, None, None).await.err().unwrap();
    assert!(e.to_string().contains("other inputs than every fresh window"), "{e}");
    let e = build::submit(&b, &proof, &cfg, None, Some(round)).await.err().unwrap();
    assert!(e.to_string().contains("RoundAlreadyUsed("), "{e}");

    // --weights private: refused unless asked for exactly that.
    let p = common::scratch("chain_feed_private");
    let model = p.join("m.onnx");
    zkinfer::onnx::write::save(&zkinfer::onnx::write::mlp_model(&[4, 4, 2], 1), &model).unwrap();
    let opts = pipeline::CompileOptions {
        privacy: zkinfer::circuit::privacy::Privacy {
            weights: zkinfer::circuit::privacy::WeightsMode::Private,
            ..Default::default()
        },
        ..Default::default()
    };
    let pb = p.join("b");
    pipeline::compile(&model, &path, &pb, &opts).unwrap();
    pipeline::setup(&pb, None).unwrap();
    let e = zkinfer::pipeline::deploy(&pb, &cfg, &DeployOptions::plain()).await.err().unwrap();
    assert!(e.to_string().contains("binds NO weights") && e.to_string().contains("--allow-unbound-weights"), "{e}");
    let (d, _) = zkinfer::pipeline::deploy(
        &pb,
        &cfg,
        &DeployOptions { kind: ConsumerKind::Plain, allow_unbound_weights: true, placement: Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(d.binding.unwrap().weights_mode, 2);
}

/// The batch path the bot's `--batch N` takes, as a library, on the committed aggregate of two
/// forecasts (`make fixtures`): `deploy_batch_vault` pins the aggregate's verifier, and
/// `submit_batch_bound` settles both forecasts in one transaction, naming feed rounds 8 and 9;
/// rounds out of order and a replay come back as reverts in words; a round id beyond 80 bits is
/// refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_vault_settles_the_committed_aggregate() {
    use zkinfer::chain::feed::VaultParams;
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(ROOT).join("test/fixtures/proof_forecast_batch.json")).unwrap(),
    )
    .unwrap();
    let ints = |key: &str| -> Vec<i128> {
        json[key].as_array().unwrap().iter().map(|v| v.as_i64().unwrap() as i128).collect()
    };
    let strings = |key: &str| -> Vec<String> {
        json[key].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    };
    let window = json["window"].as_u64().unwrap() as usize;
    let source = std::fs::read_to_string(Path::new(ROOT).join("contracts/generated/FixtureForecastBatch.sol")).unwrap();
    let mut sources = vec![("FixtureForecastBatch.sol", source.as_str())];
    sources.extend(zkinfer::evm::HANDWRITTEN);
    let compiled = zkinfer::evm::compile(&sources).unwrap();
    let code = |name: &str| compiled.iter().find(|c| c.name == name).unwrap().bytecode.clone();

    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let feed = client.deploy_feed(code("MockPriceFeed"), json["decimals"].as_u64().unwrap() as u8).await.unwrap();
    client.push_prices(feed, &ints("answers")).await.unwrap();
    let params =
        FeedParams { feed, window, price_unit: json["price_unit"].as_u64().unwrap() as u128, max_price_age: 3600 };
    let policy = VaultParams { move_bps: json["move_bps"].as_u64().unwrap(), risk_validity: 3600 };
    let d = client
        .deploy_batch_vault(
            code("FixtureForecastBatch").into(),
            code("BatchForecastVault"),
            json["aggregate_hash"].as_str().unwrap(),
            &params,
            policy,
        )
        .await
        .unwrap();
    let proof = hex::decode(json["proof"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    let instances = chain::instances_u256(&strings("instances")).unwrap();
    let rounds = [(1u128 << 64) | window as u128, (1u128 << 64) | (window as u128 + 1)];
    let repeated = [rounds[0], rounds[0]];
    let e = client.submit_batch_bound(d.consumer, &proof, &repeated, &instances).await.err().unwrap();
    assert!(matches!(&e, Error::Reverted { reason, .. } if reason.starts_with("RoundsNotIncreasing(")), "{e}");
    let sub = client.submit_batch_bound(d.consumer, &proof, &rounds, &instances).await.unwrap();
    let want: Vec<String> = ints("forecasts").iter().map(|f| f.to_string()).collect();
    assert_eq!(sub.outputs, want, "both forecasts settled, in slot order");
    let state = client.vault_state(d.consumer).await.unwrap();
    assert_eq!(state.last_forecast, ints("forecasts")[1], "the newest forecast sets the tier");
    assert_eq!(state.last_price, ints("prices")[1]);
    assert_eq!(state.consumed_round, rounds[1]);

    let e = client.submit_batch_bound(d.consumer, &proof, &rounds, &instances).await.err().unwrap();
    assert!(matches!(&e, Error::Reverted { reason, .. } if reason.starts_with("RoundAlreadyUsed(")), "{e}");
    let e = client.submit_batch_bound(d.consumer, &proof, &[1u128 << 80, 1], &instances).await.err().unwrap();
    assert!(e.to_string().contains("not a feed round id"), "{e}");
}
