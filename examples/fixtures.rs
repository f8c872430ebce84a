//! Regenerates the forge fixtures: two models of one architecture (other weights), their
//! verifiers (`contracts/generated/FixtureVerifier{A,B}.sol`) and a proof of each
//! (`test/fixtures/proof_{a,b}.json`); and the same two models with hashed weights
//! (`FixtureHashed{A,B}.sol`, `proof_hashed_{a,b}.json`), whose verifiers share one verifying
//! key and differ only in `MODEL_COMMITMENT`; the same two with private weights
//! (`FixturePrivateA.sol`, `proof_private_{a,b}.json`: one verifying key, and A's verifier accepts
//! B's proof); the hashed pair's verifiers with their keys in contracts of their own
//! (`FixtureHashed{A,B}Keyed.sol`), A's with its identities too (`FixtureHashedASplit.sol`, the
//! identities' source beside it as text) and the architecture verifier both share through a
//! registry (`FixtureRegistered.sol`); and the DeFi bot's forecaster
//! (`FixtureForecaster.sol`, `proof_forecast.json`: a proof over the feed answers it lists); and
//! an aggregate of A's and B's inferences (`FixtureAggregate.sol`, `proof_aggregate*.json`: an
//! honest one, the next batch repeating A's inference, and three an attacker can prove, each
//! hiding a bad inner proof).
//! And the forecaster's proofs over two consecutive windows, aggregated
//! (`FixtureForecastBatch.sol`, `proof_forecast_batch.json`: what a `BatchForecastVault` settles
//! in one transaction).
//! Run with `make fixtures` (`cargo run --example fixtures -- aggregate` or `-- forecast-batch`:
//! that fixture alone).

use std::path::Path;
use zkinfer::chain::feed::{model_input, quantise};
use zkinfer::circuit::privacy::{Privacy, Visibility, WeightsMode};
use zkinfer::compile::write_json;
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions, Placement};

#[path = "common/forecaster.rs"]
mod forecaster;

fn main() -> zkinfer::Result<()> {
    match std::env::args().nth(1).as_deref() {
        Some("aggregate") => return aggregate_fixture(),
        Some("forecast-batch") => return forecast_batch_fixture(),
        _ => {}
    }
    let hashed = CompileOptions {
        lanes: Some(4),
        scale_bits: Some(10),
        privacy: Privacy { weights: WeightsMode::Hashed, ..Default::default() },
        ..Default::default()
    };
    // The private-weights pair keeps one public value per element, so the forge tests run real
    // proofs through both layouts of the public values.
    let unpacked =
        Privacy { weights: WeightsMode::Private, input: Visibility::Public, output: Visibility::Public, salted: false };
    let private = CompileOptions { privacy: unpacked, ..hashed.clone() };
    // Models A and B pack their inputs and outputs (too few for `auto` to pack): the forge tests
    // unpack a real proof's words.
    let packed = Privacy { input: Visibility::Packed, output: Visibility::Packed, ..Default::default() };
    let plain = CompileOptions { privacy: packed, ..Default::default() };
    let runs = [
        ("a", 11u64, plain.clone(), Some("FixtureVerifierA")),
        ("b", 12u64, plain, Some("FixtureVerifierB")),
        ("hashed_a", 11u64, hashed.clone(), Some("FixtureHashedA")),
        ("hashed_b", 12u64, hashed, Some("FixtureHashedB")),
        // Private weights: one verifier (model A's) and a proof of each model; the verifying key
        // is the architecture's, so A's contract accepts B's proof: it binds no weights.
        ("private_a", 11u64, private.clone(), Some("FixturePrivateA")),
        ("private_b", 12u64, private, None),
    ];
    for (tag, seed, opts, name) in runs {
        let dir = Path::new("build/fixtures").join(tag);
        let model = dir.join("model.onnx");
        write::save(&write::mlp_model(&[4, 8, 2], seed), &model)?;
        let input = dir.join("input.json");
        write_json(&input, &write::random_input(4, seed + 100))?;
        let build = dir.join("build");
        pipeline::compile(&model, &input, &build, &opts)?;
        pipeline::setup(&build, None)?;
        let proof = pipeline::prove(&build, &input)?;
        pipeline::verify(&build, &proof)?;
        write_json(&Path::new("test/fixtures").join(format!("proof_{tag}.json")), &proof)?;
        write_values(&build, &proof, &Path::new("test/fixtures").join(format!("values_{tag}.json")))?;
        if let Some(name) = name {
            let out = pipeline::solidity(&build, Path::new("contracts/generated"), name)?;
            println!("{name}: {} ({} proof bytes)", out.path.display(), proof.proof_bytes()?.len());
        }
        // The hashed pair again with the key in a contract of its own (test/VerifyingKey.t.sol).
        if tag.starts_with("hashed") {
            let name = format!("{}Keyed", name.unwrap_or_default());
            let out = pipeline::solidity_with(&build, Path::new("contracts/generated"), &name, Placement::Contract)?;
            println!("{name}: {} (verifier {} B)", out.path.display(), out.runtime_size(&name));
        }
        // And model A's with its identities in a contract of their own too (test/Identities.t.sol),
        // and the architecture verifier A and B share through a registry (test/Registry.t.sol).
        if tag == "hashed_a" {
            let out = pipeline::solidity_registered(
                &build,
                Path::new("contracts/generated"),
                "FixtureRegistered",
                Placement::Inline,
            )?;
            println!(
                "FixtureRegistered: {} (verifier {} B)",
                out.path.display(),
                out.runtime_size("FixtureRegistered")
            );
            let name = format!("{}Split", name.unwrap_or_default());
            let out = pipeline::solidity_with(&build, Path::new("contracts/generated"), &name, Placement::Split)?;
            println!("{name}: {} (verifier {} B)", out.path.display(), out.runtime_size(&name));
        }
    }
    forecast_fixture()?;
    forecast_batch_fixture()?;
    aggregate_fixture()
}

/// Models A and B's inferences aggregated (`build/fixtures/aggregate`), its verifier, the honest
/// aggregate, and three aggregates an attacker who skips the inner checks can prove: slot 0 with
/// a flipped evaluation in A's proof, with B's proof under A's key, and with A's proof over
/// another output. The aggregation circuit is satisfied by all three; the accumulator is not.
fn aggregate_fixture() -> zkinfer::Result<()> {
    use zkinfer::prove::Transcript;
    let dir = Path::new("build/fixtures/aggregate");
    let mut inner = vec![];
    for tag in ["a", "b"] {
        let build = Path::new("build/fixtures").join(tag).join("build");
        let input = Path::new("build/fixtures").join(tag).join("input.json");
        let proof = pipeline::prove_for(&build, &input, Transcript::Poseidon, &())?;
        let path = dir.join(format!("inner_{tag}.json"));
        zkinfer::artifact::create_dir(dir)?;
        write_json(&path, &proof)?;
        inner.push((build, path, proof));
    }
    let pairs: Vec<_> = inner.iter().map(|(b, p, _)| (b.clone(), p.clone())).collect();
    let report = zkinfer::aggregate::aggregate(&pairs, dir, &Default::default(), &())?;
    write_json(Path::new("test/fixtures/proof_aggregate.json"), &report.proof)?;
    let out =
        pipeline::solidity_aggregate(dir, Path::new("contracts/generated"), "FixtureAggregate", Placement::Inline)?;
    println!("FixtureAggregate: {} (k {}, prove {:.0} s)", out.path.display(), report.k, report.proof.prove_seconds);
    // The next batch: slot 0 repeats A's inference, slot 1 is B's on another input.
    let next_input = dir.join("input_b_next.json");
    write_json(&next_input, &write::random_input(4, 500))?;
    let next_b = pipeline::prove_for(&inner[1].0, &next_input, Transcript::Poseidon, &())?;
    let next_path = dir.join("inner_b_next.json");
    write_json(&next_path, &next_b)?;
    let next = [pairs[0].clone(), (inner[1].0.clone(), next_path)];
    let next = zkinfer::aggregate::aggregate(&next, dir, &Default::default(), &())?;
    write_json(Path::new("test/fixtures/proof_aggregate_next.json"), &next.proof)?;
    let parts = |i: usize| -> zkinfer::Result<(Vec<u8>, Vec<halo2_proofs::halo2curves::bn256::Fr>)> {
        Ok((inner[i].2.proof_bytes()?, inner[i].2.instance_fields()?))
    };
    let ((a, a_inst), (b, b_inst)) = (parts(0)?, parts(1)?);
    let (build_a, build_b) = (inner[0].0.clone(), inner[1].0.clone());
    let mut flipped = a.clone();
    let first_scalar = zkinfer::aggregate::first_scalar_offset(&build_a)?;
    flipped[first_scalar] ^= 1;
    let mut other_output = a_inst.clone();
    other_output[1] += halo2_proofs::halo2curves::bn256::Fr::from(1u64);
    let forged = [
        ("bad_inner", vec![(build_a.clone(), flipped, a_inst.clone()), (build_b.clone(), b.clone(), b_inst.clone())]),
        (
            "swapped_key",
            vec![(build_a.clone(), b.clone(), b_inst.clone()), (build_b.clone(), b.clone(), b_inst.clone())],
        ),
        ("changed_value", vec![(build_a, a, other_output), (build_b, b, b_inst)]),
    ];
    for (tag, slots) in forged {
        let (proof, instances) = zkinfer::aggregate::prove_unchecked(dir, slots)?;
        write_json(
            &Path::new("test/fixtures").join(format!("proof_aggregate_{tag}.json")),
            &serde_json::json!({
                "proof": format!("0x{}", hex::encode(&proof)),
                "instances": instances.iter().map(zkinfer::field::to_hex).collect::<Vec<_>>(),
            }),
        )?;
        println!("proof_aggregate_{tag}.json");
    }
    Ok(())
}

/// The proof's outputs as the integers a consumer stores (fixed point at the model's scale),
/// worked out here from the witness's dequantised outputs, not from the public values: what the
/// forge tests compare the contracts' unpacking with.
fn write_values(build: &Path, proof: &zkinfer::prove::ProofFile, path: &Path) -> zkinfer::Result<()> {
    let s = zkinfer::compile::Compiled::load(build)?.settings.scale_bits;
    let outputs: Vec<i64> = proof.outputs.iter().flatten().map(|v| (v * (1u64 << s) as f64).round() as i64).collect();
    write_json(path, &serde_json::json!({ "outputs": outputs }))
}

/// The forecaster's verifier and a proof over the bot's starting window of feed answers; the
/// forge tests push those answers to a feed and submit the proof through the vault.
fn forecast_fixture() -> zkinfer::Result<()> {
    let dir = Path::new("build/fixtures/forecast");
    let (answers, coeffs, intercept) = forecaster::market(1);
    let history = &answers[..forecaster::WINDOW];
    let c = forecaster::build(dir, &coeffs, intercept, history)?;
    let build = dir.join("build");
    pipeline::setup(&build, None)?;
    let s = c.settings.scale_bits;
    let q: Vec<i128> = history.iter().map(|&a| quantise(a, s, forecaster::PRICE_UNIT)).collect();
    let x = q.iter().map(|&v| model_input(v, s)).collect::<zkinfer::Result<Vec<f32>>>()?;
    let (compiled, params, keys) = pipeline::load(&build)?;
    let proof = zkinfer::prove::prove(&compiled, &params, &keys, &[x])?;
    pipeline::verify(&build, &proof)?;
    let out = pipeline::solidity(&build, Path::new("contracts/generated"), "FixtureForecaster")?;
    let tail = &proof.instances[c.settings.num_public_inputs..];
    write_json(
        Path::new("test/fixtures/proof_forecast.json"),
        &serde_json::json!({
            "proof": proof.proof,
            "instances": proof.instances,
            "tail": tail,
            // The window's quantised answers and the forecast as integers at the model's scale
            // (from the quantiser and the witness, not from the public values).
            "input_values": q.iter().map(|&v| v as i64).collect::<Vec<_>>(),
            "output_values": proof.outputs.iter().flatten().map(|v| (v * (1u64 << s) as f64).round() as i64).collect::<Vec<_>>(),
            "answers": history,
            "next_answer": answers[forecaster::WINDOW],
            "decimals": forecaster::DECIMALS,
            "price_unit": forecaster::PRICE_UNIT as u64,
            "window": forecaster::WINDOW,
            "move_bps": forecaster::MOVE_BPS,
        }),
    )?;
    println!("FixtureForecaster: {} ({} proof bytes)", out.path.display(), proof.proof_bytes()?.len());
    Ok(())
}

/// The forecaster's proofs (for aggregation) over the windows ending at the bot's first two
/// rounds, aggregated, and the aggregate's verifier: the forge tests push the answers to a feed
/// and settle both forecasts in one `BatchForecastVault.submitBatch`.
fn forecast_batch_fixture() -> zkinfer::Result<()> {
    use zkinfer::prove::Transcript;
    let root = Path::new("build/fixtures/forecast_batch");
    let (answers, coeffs, intercept) = forecaster::market(2);
    let window = forecaster::WINDOW;
    let c = forecaster::build(root, &coeffs, intercept, &answers[..window])?;
    let build = root.join("build");
    pipeline::setup(&build, None)?;
    let s = c.settings.scale_bits;
    let (compiled, params, keys) = pipeline::load(&build)?;
    let dir = root.join("aggregate");
    zkinfer::artifact::create_dir(&dir)?;
    let (mut pairs, mut prices, mut forecasts) = (vec![], vec![], vec![]);
    for end in [window, window + 1] {
        let q: Vec<i128> = answers[end - window..end].iter().map(|&a| quantise(a, s, forecaster::PRICE_UNIT)).collect();
        let x = q.iter().map(|&v| model_input(v, s)).collect::<zkinfer::Result<Vec<f32>>>()?;
        let proof = zkinfer::prove::prove_for(&compiled, &params, &keys, &[x], Transcript::Poseidon)?;
        let path = dir.join(format!("inner_{end}.json"));
        write_json(&path, &proof)?;
        pairs.push((build.clone(), path));
        prices.push(q[window - 1] as i64);
        forecasts.extend(proof.outputs.iter().flatten().map(|v| (v * (1u64 << s) as f64).round() as i64).take(1));
    }
    let report = zkinfer::aggregate::aggregate(&pairs, &dir, &Default::default(), &())?;
    let out = pipeline::solidity_aggregate(
        &dir,
        Path::new("contracts/generated"),
        "FixtureForecastBatch",
        Placement::Inline,
    )?;
    write_json(
        Path::new("test/fixtures/proof_forecast_batch.json"),
        &serde_json::json!({
            "proof": report.proof.proof,
            "instances": report.proof.instances,
            "aggregate_hash": report.proof.aggregate_hash,
            // Rounds 1..=window+1 of the feed; the slots' windows end at rounds window and window+1.
            "answers": &answers[..window + 1],
            "decimals": forecaster::DECIMALS,
            "price_unit": forecaster::PRICE_UNIT as u64,
            "window": window,
            "move_bps": forecaster::MOVE_BPS,
            // Each window's newest quantised answer and each forecast, integers at the model's
            // scale (from the quantiser and the witness, not from the public values).
            "prices": prices,
            "forecasts": forecasts,
        }),
    )?;
    println!(
        "FixtureForecastBatch: {} (k {}, prove {:.0} s)",
        out.path.display(),
        report.k,
        report.proof.prove_seconds
    );
    Ok(())
}
