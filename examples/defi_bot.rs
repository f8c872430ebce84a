//! A DeFi keeper bot: a lending vault's loan-to-value ratio and fee follow a price forecast that
//! is proven in zero knowledge and computed on the chain's own prices.
//!
//! Setup: fit a linear forecaster (the next price from the last 8) to a synthetic price series,
//! write it as ONNX, compile it, set up keys, generate its verifier; start an Anvil (or use
//! `--rpc-url` / `ETH_RPC_URL` with `PRIVATE_KEY`); deploy the verifier, a `MockPriceFeed` and a
//! `ForecastVault` bound to the feed; push a price history.
//! Each round: the market moves (a new price is pushed), the bot reads the last 8 prices from
//! the feed (walking back across the feed's phases), proves the forecast over exactly those
//! prices, submits naming the round the window ends at, and reads the vault back.
//!
//!     cargo run --release --example defi_bot -- --rounds 3
//!
//! `--fast-market` pushes another price while each proof is in flight (the proof still lands:
//! it names its window's end round, fresh though no longer the latest); `--phase-change-at N`
//! switches the feed to a new phase (Chainlink aggregator) before round N.

use clap::Parser;
use std::path::PathBuf;
use std::time::Instant;
use zkinfer::chain::feed::{model_input, quantise, FeedParams, VaultParams};
use zkinfer::chain::{self, Client, ClientConfig, ModelPin};
use zkinfer::pipeline;
use zkinfer::{Error, Result};

#[path = "common/forecaster.rs"]
mod forecaster;
use forecaster::{DECIMALS, MOVE_BPS, PRICE_UNIT, WINDOW};

/// The vault refuses a window whose newest price is older than this, and a forecast's tier
/// lapses to defensive this long after its newest price.
const MAX_PRICE_AGE: u64 = 3600;
const RISK_VALIDITY: u64 = 3600;

#[derive(Parser)]
#[command(about = "Proves price forecasts and feeds them to a vault on chain")]
struct Args {
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Chain to use (else ETH_RPC_URL; else an Anvil started here).
    #[arg(long)]
    rpc_url: Option<String>,
    #[arg(short, long, default_value = "build/bot")]
    out: PathBuf,
    /// One JSON object per round instead of the table.
    #[arg(long)]
    json: bool,
    /// The market moves again while each proof is made (the feed outpaces the proofs).
    #[arg(long)]
    fast_market: bool,
    /// Switch the feed to a new phase before this round.
    #[arg(long)]
    phase_change_at: Option<usize>,
}

#[derive(serde::Serialize)]
struct Round {
    round: usize,
    feed_round: String,
    price: f64,
    forecast: f64,
    tx: String,
    gas: u64,
    ltv_bps: u64,
    fee_bps: u64,
    read_s: f64,
    prove_s: f64,
    submit_s: f64,
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Args::parse()).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let t0 = Instant::now();
    let step = |s: &str| eprintln!("[{:6.2}s] {s}", t0.elapsed().as_secs_f64());

    let extra = if args.fast_market { args.rounds } else { 0 };
    let (answers, coeffs, intercept) = forecaster::market(args.rounds + extra);
    let history = &answers[..WINDOW];
    let c = forecaster::build(&args.out, &coeffs, intercept, history)?;
    let build = args.out.join("build");
    let s = c.settings.scale_bits;
    step(&format!(
        "forecaster {WINDOW}→1 fitted and compiled: k = {}, {} rows, scale 2^{s}",
        c.settings.k, c.settings.rows
    ));
    pipeline::setup(&build, None)?;
    let sol = pipeline::solidity(&build, &build.join("solidity"), "ForecasterVerifier")?;
    let (compiled, params, keys) = pipeline::load(&build)?;
    step(&format!(
        "keys ready (INSECURE dev SRS); verifier {} B of runtime code",
        sol.runtime_size("ForecasterVerifier")
    ));

    let _anvil;
    let cfg = match args.rpc_url.clone().or_else(|| std::env::var("ETH_RPC_URL").ok()) {
        Some(url) => ClientConfig::from_env(Some(&url))?,
        None => {
            let a = chain::spawn_anvil()?;
            let cfg = ClientConfig::new(&a.endpoint());
            step(&format!("anvil started at {}", a.endpoint()));
            _anvil = a;
            cfg
        }
    };
    let client = Client::connect_with(&cfg).await?;
    let verifier = client.deploy_verifier(sol.verifier_code()?).await?.verifier;
    let feed = client.deploy_feed(sol.bytecode("MockPriceFeed")?, DECIMALS).await?;
    // The vault pins the model this build describes (MODEL_HASH; fixed weights, so no commitment).
    let pin = ModelPin::of(&compiled.settings, false)?;
    let feed_params = FeedParams { feed, window: WINDOW, price_unit: PRICE_UNIT, max_price_age: MAX_PRICE_AGE };
    let policy = VaultParams { move_bps: MOVE_BPS, risk_validity: RISK_VALIDITY };
    let (vault, _) =
        client.deploy_bound(sol.bytecode("ForecastVault")?, verifier, &pin, &feed_params, Some(policy)).await?;
    client.push_prices(feed, history).await?;
    step(&format!(
        "chain {}: verifier {verifier}, feed {feed}, vault {vault} (model {}, prices valid {MAX_PRICE_AGE} s, tiers {RISK_VALIDITY} s); {WINDOW} prices pushed",
        client.chain_id, pin.model_hash
    ));

    let scale = (1u64 << s) as f64;
    let mut rounds = vec![];
    if !args.json {
        println!(
            "| round | feed round | price $ | forecast $ | tx | gas | LTV | fee | read s | prove s | submit s |\n|---|---|---|---|---|---|---|---|---|---|---|"
        );
    }
    let mut next = WINDOW;
    for r in 1..=args.rounds {
        if args.phase_change_at == Some(r) {
            client.new_phase(feed).await?;
            step(&format!("the feed switched to a new phase before round {r}"));
        }
        // The market moves.
        client.push_prices(feed, &answers[next..next + 1]).await?;
        next += 1;

        let t = Instant::now();
        let (window, feed_round) = client.read_window(feed, WINDOW, None).await?;
        let q: Vec<i128> = window.iter().map(|&a| quantise(a, s, PRICE_UNIT)).collect();
        let (onchain, _, _) = client.inputs_at(vault, feed_round).await?;
        if onchain != q {
            return Err(Error::Chain(format!(
                "the vault quantises the feed to {onchain:?}, the bot to {q:?}: the proof would be rejected"
            )));
        }
        let inputs = vec![q.iter().map(|&v| model_input(v, s)).collect::<Result<Vec<f32>>>()?];
        let read_s = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let proof = zkinfer::prove::prove(&compiled, &params, &keys, &inputs)?;
        let prove_s = t.elapsed().as_secs_f64();

        if args.fast_market {
            // The market moves again before the proof lands: it still does, naming its round.
            client.push_prices(feed, &answers[next..next + 1]).await?;
            next += 1;
        }

        let t = Instant::now();
        let tail = chain::instances_u256(&proof.instances[compiled.settings.num_public_inputs..])?;
        let sub = client.submit_bound(vault, &proof.proof_bytes()?, feed_round, &tail).await?;
        let submit_s = t.elapsed().as_secs_f64();

        let state = client.vault_state(vault).await?;
        let row = Round {
            round: r,
            feed_round: chain::round_name(feed_round),
            price: 1000.0 * state.last_price as f64 / scale,
            forecast: 1000.0 * state.last_forecast as f64 / scale,
            tx: sub.tx_hash.clone(),
            gas: sub.gas_used,
            ltv_bps: state.ltv_bps,
            fee_bps: state.fee_bps,
            read_s,
            prove_s,
            submit_s,
        };
        if args.json {
            println!("{}", serde_json::to_string(&row).unwrap());
        } else {
            println!(
                "| {} | {} | {:.2} | {:.2} | {} | {} | {:.0} % | {:.2} % | {:.3} | {:.3} | {:.3} |",
                row.round,
                row.feed_round,
                row.price,
                row.forecast,
                row.tx,
                row.gas,
                row.ltv_bps as f64 / 100.0,
                row.fee_bps as f64 / 100.0,
                row.read_s,
                row.prove_s,
                row.submit_s
            );
        }
        rounds.push(row);
    }
    if !args.json && !rounds.is_empty() {
        let n = rounds.len() as f64;
        let avg = |f: fn(&Round) -> f64| rounds.iter().map(f).sum::<f64>() / n;
        println!(
            "\n{} rounds: mean gas {:.0}, mean seconds read {:.3} / prove {:.3} / submit {:.3}; vault state read back from chain {}",
            rounds.len(),
            avg(|r| r.gas as f64),
            avg(|r| r.read_s),
            avg(|r| r.prove_s),
            avg(|r| r.submit_s),
            client.chain_id
        );
    }
    Ok(())
}
