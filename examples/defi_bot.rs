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
//!
//! `--batch N` settles N rounds in one transaction: each round's forecast is proven for
//! aggregation (Poseidon transcript), every N proofs are aggregated (`zkinfer aggregate`; the
//! aggregation keys are made on the first batch and reused), and one `submitBatch` to a
//! `BatchForecastVault` names each proof's window end round; the vault reads every window from
//! the feed itself and takes its tier from the newest forecast.
//!
//!     cargo run --release --example defi_bot -- --rounds 4 --batch 2

use alloy::primitives::Address;
use clap::Parser;
use std::path::PathBuf;
use std::time::Instant;
use zkinfer::chain::feed::{model_input, quantise, FeedParams, VaultParams};
use zkinfer::chain::{self, Client, ClientConfig, ModelPin};
use zkinfer::compile::write_json;
use zkinfer::pipeline::{self, Placement};
use zkinfer::prove::Transcript;
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
    /// Settle this many rounds per transaction, as one aggregate (`--rounds` must be a multiple).
    #[arg(long)]
    batch: Option<usize>,
}

/// One `--batch` transaction: its rounds' forecasts, settled together.
#[derive(serde::Serialize)]
struct Batch {
    batch: usize,
    feed_rounds: Vec<String>,
    prices: Vec<f64>,
    forecasts: Vec<f64>,
    tx: String,
    gas: u64,
    gas_per_round: u64,
    ltv_bps: u64,
    fee_bps: u64,
    prove_s: f64,
    aggregate_s: f64,
    submit_s: f64,
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

/// What every round reads and proves with: the chain, the feed and its price series, the build.
struct Bot {
    args: Args,
    client: Client,
    feed: Address,
    answers: Vec<i128>,
    /// Index in `answers` of the next price the market pushes.
    next: usize,
    build: PathBuf,
    compiled: zkinfer::compile::Compiled,
    params: zkinfer::prove::Srs,
    keys: zkinfer::prove::Keys,
    sol: zkinfer::pipeline::SolidityOutput,
    t0: Instant,
}

impl Bot {
    fn step(&self, s: &str) {
        eprintln!("[{:6.2}s] {s}", self.t0.elapsed().as_secs_f64());
    }

    fn scale(&self) -> f64 {
        (1u64 << self.compiled.settings.scale_bits) as f64
    }

    /// The market moves: the next price of the series is pushed to the feed.
    async fn push(&mut self) -> Result<()> {
        self.client.push_prices(self.feed, &self.answers[self.next..self.next + 1]).await?;
        self.next += 1;
        Ok(())
    }

    /// The feed's latest window quantised as the consumer will (checked against `vault` when
    /// there is one), the model's inputs, and the round it ends at.
    async fn read(&self, vault: Option<Address>) -> Result<(Vec<i128>, Vec<Vec<f32>>, u128)> {
        let s = self.compiled.settings.scale_bits;
        let (window, feed_round) = self.client.read_window(self.feed, WINDOW, None).await?;
        let q: Vec<i128> = window.iter().map(|&a| quantise(a, s, PRICE_UNIT)).collect();
        if let Some(vault) = vault {
            let (onchain, _, _) = self.client.inputs_at(vault, feed_round).await?;
            if onchain != q {
                return Err(Error::Chain(format!(
                    "the vault quantises the feed to {onchain:?}, the bot to {q:?}: the proof would be rejected"
                )));
            }
        }
        let inputs = vec![q.iter().map(|&v| model_input(v, s)).collect::<Result<Vec<f32>>>()?];
        Ok((q, inputs, feed_round))
    }

    async fn phase_change(&self, r: usize) -> Result<()> {
        if self.args.phase_change_at == Some(r) {
            self.client.new_phase(self.feed).await?;
            self.step(&format!("the feed switched to a new phase before round {r}"));
        }
        Ok(())
    }
}

async fn run(args: Args) -> Result<()> {
    let t0 = Instant::now();
    if let Some(n) = args.batch {
        if n == 0 || !args.rounds.is_multiple_of(n) {
            return Err(Error::Usage {
                flag: "--batch".into(),
                reason: format!("{n} does not divide --rounds {}: give a batch size that does", args.rounds),
            });
        }
        if args.phase_change_at.is_some_and(|r| r == 0 || (r - 1) % n != 0) {
            return Err(Error::Usage {
                flag: "--phase-change-at".into(),
                reason: "with --batch, a phase change must come before the first round of a batch (a batch's \
                         windows must all be in the feed's current phase)"
                    .into(),
            });
        }
    }
    let extra = if args.fast_market { args.rounds } else { 0 };
    let (answers, coeffs, intercept) = forecaster::market(args.rounds + extra);
    let c = forecaster::build(&args.out, &coeffs, intercept, &answers[..WINDOW])?;
    let build = args.out.join("build");
    let step = |s: &str| eprintln!("[{:6.2}s] {s}", t0.elapsed().as_secs_f64());
    step(&format!(
        "forecaster {WINDOW}→1 fitted and compiled: k = {}, {} rows, scale 2^{}",
        c.settings.k, c.settings.rows, c.settings.scale_bits
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
    let feed = client.deploy_feed(sol.bytecode("MockPriceFeed")?, DECIMALS).await?;
    client.push_prices(feed, &answers[..WINDOW]).await?;
    step(&format!("chain {}: feed {feed}, {WINDOW} prices pushed", client.chain_id));
    let mut bot = Bot { args, client, feed, answers, next: WINDOW, build, compiled, params, keys, sol, t0 };
    match bot.args.batch {
        None => single(&mut bot).await,
        Some(n) => batched(&mut bot, n).await,
    }
}

/// One proof and one transaction per round, to a `ForecastVault`.
async fn single(bot: &mut Bot) -> Result<()> {
    let verifier = bot.client.deploy_verifier(bot.sol.verifier_code()?).await?.verifier;
    // The vault pins the model this build describes (MODEL_HASH; fixed weights, so no commitment).
    let pin = ModelPin::of(&bot.compiled.settings, false)?;
    let feed_params =
        FeedParams { feed: bot.feed, window: WINDOW, price_unit: PRICE_UNIT, max_price_age: MAX_PRICE_AGE };
    let policy = VaultParams { move_bps: MOVE_BPS, risk_validity: RISK_VALIDITY };
    let code = bot.sol.bytecode("ForecastVault")?;
    let (vault, _) = bot.client.deploy_bound(code, verifier, &pin, &feed_params, Some(policy)).await?;
    bot.step(&format!(
        "verifier {verifier}, vault {vault} (model {}, prices valid {MAX_PRICE_AGE} s, tiers {RISK_VALIDITY} s)",
        pin.model_hash
    ));

    let mut rounds = vec![];
    if !bot.args.json {
        println!(
            "| round | feed round | price $ | forecast $ | tx | gas | LTV | fee | read s | prove s | submit s |\n|---|---|---|---|---|---|---|---|---|---|---|"
        );
    }
    for r in 1..=bot.args.rounds {
        bot.phase_change(r).await?;
        bot.push().await?;

        let t = Instant::now();
        let (_, inputs, feed_round) = bot.read(Some(vault)).await?;
        let read_s = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let proof = zkinfer::prove::prove(&bot.compiled, &bot.params, &bot.keys, &inputs)?;
        let prove_s = t.elapsed().as_secs_f64();

        if bot.args.fast_market {
            // The market moves again before the proof lands: it still does, naming its round.
            bot.push().await?;
        }

        let t = Instant::now();
        let tail = chain::instances_u256(&proof.instances[bot.compiled.settings.num_public_inputs..])?;
        let sub = bot.client.submit_bound(vault, &proof.proof_bytes()?, feed_round, &tail).await?;
        let submit_s = t.elapsed().as_secs_f64();

        let state = bot.client.vault_state(vault).await?;
        let row = Round {
            round: r,
            feed_round: chain::round_name(feed_round),
            price: 1000.0 * state.last_price as f64 / bot.scale(),
            forecast: 1000.0 * state.last_forecast as f64 / bot.scale(),
            tx: sub.tx_hash.clone(),
            gas: sub.gas_used,
            ltv_bps: state.ltv_bps,
            fee_bps: state.fee_bps,
            read_s,
            prove_s,
            submit_s,
        };
        if bot.args.json {
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
    if !bot.args.json && !rounds.is_empty() {
        let n = rounds.len() as f64;
        let avg = |f: fn(&Round) -> f64| rounds.iter().map(f).sum::<f64>() / n;
        println!(
            "\n{} rounds: mean gas {:.0}, mean seconds read {:.3} / prove {:.3} / submit {:.3}; vault state read back from chain {}",
            rounds.len(),
            avg(|r| r.gas as f64),
            avg(|r| r.read_s),
            avg(|r| r.prove_s),
            avg(|r| r.submit_s),
            bot.client.chain_id
        );
    }
    Ok(())
}

/// `--batch n`: n proofs for aggregation, one aggregate, one transaction to a
/// `BatchForecastVault` (deployed with the aggregate's verifier after the first aggregate, whose
/// keys later batches reuse).
async fn batched(bot: &mut Bot, n: usize) -> Result<()> {
    let dir = bot.args.out.join("aggregate");
    let mut vault: Option<Address> = None;
    if !bot.args.json {
        println!(
            "| batch | feed rounds | prices $ | forecasts $ | tx | gas | gas per round | LTV | fee | prove s | aggregate s | submit s |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
        );
    }
    let mut rows = vec![];
    for b in 0..bot.args.rounds / n {
        let (mut inner, mut ends, mut prices, mut prove_s) = (vec![], vec![], vec![], 0.0);
        for i in 0..n {
            bot.phase_change(b * n + i + 1).await?;
            bot.push().await?;
            let (q, inputs, feed_round) = bot.read(vault).await?;
            let t = Instant::now();
            let proof =
                zkinfer::prove::prove_for(&bot.compiled, &bot.params, &bot.keys, &inputs, Transcript::Poseidon)?;
            prove_s += t.elapsed().as_secs_f64();
            let path = bot.args.out.join(format!("inner{i}.json"));
            write_json(&path, &proof)?;
            inner.push((bot.build.clone(), path));
            ends.push(feed_round);
            prices.push(1000.0 * q[q.len() - 1] as f64 / bot.scale());
            if bot.args.fast_market {
                bot.push().await?;
            }
        }
        let t = Instant::now();
        bot.step(&format!("batch {}: aggregating {n} proofs", b + 1));
        let report = zkinfer::aggregate::aggregate(&inner, &dir, &Default::default(), &())?;
        let aggregate_s = t.elapsed().as_secs_f64();
        let vault = match vault {
            Some(v) => v,
            None => vault.insert(deploy_batch_vault(bot, &dir, &report).await?).to_owned(),
        };
        let t = Instant::now();
        let instances = chain::instances_u256(&report.proof.instances)?;
        let sub = bot.client.submit_batch_bound(vault, &report.proof.proof_bytes()?, &ends, &instances).await?;
        let submit_s = t.elapsed().as_secs_f64();
        let state = bot.client.vault_state(vault).await?;
        let forecasts = sub
            .outputs
            .iter()
            .map(|f| f.parse::<f64>().map(|f| 1000.0 * f / bot.scale()))
            .collect::<std::result::Result<Vec<f64>, _>>()
            .map_err(|e| Error::Chain(format!("a ForecastSettled event's forecast does not parse: {e}")))?;
        let row = Batch {
            batch: b + 1,
            feed_rounds: ends.iter().map(|&r| chain::round_name(r)).collect(),
            prices,
            forecasts,
            tx: sub.tx_hash.clone(),
            gas: sub.gas_used,
            gas_per_round: sub.gas_used / n as u64,
            ltv_bps: state.ltv_bps,
            fee_bps: state.fee_bps,
            prove_s,
            aggregate_s,
            submit_s,
        };
        print_batch(&row, bot.args.json);
        rows.push(row);
    }
    if !bot.args.json && !rows.is_empty() {
        let m = rows.len() as f64;
        println!(
            "\n{} batches of {n}: mean gas per transaction {:.0} ({:.0} per round), mean seconds prove {:.1} / aggregate {:.1} / submit {:.3}",
            rows.len(),
            rows.iter().map(|r| r.gas as f64).sum::<f64>() / m,
            rows.iter().map(|r| r.gas_per_round as f64).sum::<f64>() / m,
            rows.iter().map(|r| r.prove_s).sum::<f64>() / m,
            rows.iter().map(|r| r.aggregate_s).sum::<f64>() / m,
            rows.iter().map(|r| r.submit_s).sum::<f64>() / m,
        );
    }
    Ok(())
}

/// The aggregate's verifier and a `BatchForecastVault` pinned to its `AGGREGATE_HASH`.
async fn deploy_batch_vault(
    bot: &Bot,
    dir: &std::path::Path,
    report: &zkinfer::aggregate::AggregateReport,
) -> Result<Address> {
    let out = pipeline::solidity_aggregate(dir, &dir.join("solidity"), "AggregateVerifier", Placement::Inline)?;
    let feed = FeedParams { feed: bot.feed, window: WINDOW, price_unit: PRICE_UNIT, max_price_age: MAX_PRICE_AGE };
    let policy = VaultParams { move_bps: MOVE_BPS, risk_validity: RISK_VALIDITY };
    let d = bot
        .client
        .deploy_batch_vault(
            out.verifier_code()?,
            out.bytecode("BatchForecastVault")?,
            &report.proof.aggregate_hash,
            &feed,
            policy,
        )
        .await?;
    bot.step(&format!(
        "aggregation keys made (k = {}, {} advice columns, {:.0} s); aggregate verifier {} ({} B), batch vault {} (aggregate {})",
        report.k,
        report.advice_columns,
        report.keygen_seconds,
        d.verifier,
        out.runtime_size("AggregateVerifier"),
        d.consumer,
        report.proof.aggregate_hash
    ));
    Ok(d.consumer)
}

fn print_batch(row: &Batch, json: bool) {
    if json {
        println!("{}", serde_json::to_string(row).unwrap());
        return;
    }
    let list = |v: &[f64]| v.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(", ");
    println!(
        "| {} | {} | {} | {} | {} | {} | {} | {:.0} % | {:.2} % | {:.1} | {:.1} | {:.3} |",
        row.batch,
        row.feed_rounds.join(", "),
        list(&row.prices),
        list(&row.forecasts),
        row.tx,
        row.gas,
        row.gas_per_round,
        row.ltv_bps as f64 / 100.0,
        row.fee_bps as f64 / 100.0,
        row.prove_s,
        row.aggregate_s,
        row.submit_s
    );
}
