//! `zkinfer aggregate`: N proofs for aggregation folded into one (docs/aggregation.md).

use crate::output::{print_rows, spinner, warn};
use std::path::Path;
use std::path::PathBuf;
use zkinfer::aggregate::{self, AggregateOptions};
use zkinfer::chain::ClientConfig;
use zkinfer::pipeline::{self, Placement};
use zkinfer::{Error, Result};

/// The arguments of `zkinfer aggregate`.
#[derive(clap::Args)]
pub(crate) struct AggregateArgs {
    /// Proofs made with `zkinfer prove --for-aggregation`, in slot order.
    #[arg(required = true, num_args = 1..)]
    proofs: Vec<PathBuf>,
    /// The build of each proof, in the same order; one --build serves every proof.
    #[arg(long, required = true, num_args = 1..)]
    build: Vec<PathBuf>,
    /// The aggregation directory: keys (reused when the builds are the same, in the same order)
    /// and proof.json.
    #[arg(short, long, default_value = "aggregate")]
    out: PathBuf,
    /// log2 of the aggregation circuit's rows (default: the smallest at which it needs at most
    /// 8 advice columns).
    #[arg(long, value_parser = clap::value_parser!(u32).range(18..=25))]
    k: Option<u32>,
    /// The ceremony SRS the builds were set up from (at least 2^k points). Default: the dev SRS,
    /// when the builds used it.
    #[arg(long)]
    srs: Option<PathBuf>,
}

pub(crate) fn run(json: bool, args: AggregateArgs) -> Result<()> {
    let builds = match args.build.len() {
        1 => vec![args.build[0].clone(); args.proofs.len()],
        n if n == args.proofs.len() => args.build.clone(),
        n => {
            return Err(Error::Usage {
                flag: "--build".into(),
                reason: format!(
                    "{n} builds for {} proofs: give one build for all, or one per proof",
                    args.proofs.len()
                ),
            })
        }
    };
    let inputs: Vec<(PathBuf, PathBuf)> = builds.into_iter().zip(args.proofs).collect();
    let pb = spinner("aggregating");
    let opts = AggregateOptions { k: args.k, srs: args.srs };
    let report = aggregate::aggregate(&inputs, &args.out, &opts, &pb)?;
    pb.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| Error::Internal(e.to_string()))?);
        return Ok(());
    }
    let settings = aggregate::AggregateSettings::load(&args.out)?;
    if settings.insecure {
        warn("the aggregate uses the INSECURE dev SRS (anyone can forge proofs): fine for tests, never for value");
    }
    let mut rows = vec![
        ("proof", args.out.join("proof.json").display().to_string()),
        ("inferences", report.proof.slots.len().to_string()),
        ("k", format!("{} ({} advice columns)", report.k, report.advice_columns)),
        (
            "keygen seconds",
            if report.keygen { format!("{:.1}", report.keygen_seconds) } else { "0 (keys reused)".into() },
        ),
        ("prove seconds", format!("{:.1}", report.proof.prove_seconds)),
        ("bytes", report.proof.proof_bytes()?.len().to_string()),
        ("aggregate_hash", report.proof.aggregate_hash.clone()),
    ];
    for (i, s) in report.proof.slots.iter().enumerate() {
        rows.push(("slot", format!("{i}: {} outputs {:?}", s.model, s.outputs)));
    }
    print_rows(false, &rows);
    Ok(())
}

/// Whether `dir` is an aggregation directory (`zkinfer aggregate -o DIR`): `verify`, `deploy` and
/// `submit` then take its aggregates.
pub(crate) fn is_aggregate(dir: &Path) -> bool {
    dir.join("aggregate.json").exists()
}

/// `zkinfer verify AGG/ PROOF`.
pub(crate) fn verify(json: bool, dir: &Path, proof: &Path) -> Result<()> {
    let p = aggregate::verify_file(dir, proof)?;
    let mut rows = vec![("result", "verified".to_string()), ("inferences", p.slots.len().to_string())];
    for (i, s) in p.slots.iter().enumerate() {
        rows.push(("slot", format!("{i}: {} outputs {:?}", s.model, s.outputs)));
    }
    print_rows(json, &rows);
    Ok(())
}

/// `zkinfer deploy AGG/`: the aggregate's verifier and a BatchInference pinned to it.
pub(crate) async fn deploy(json: bool, dir: &Path, cfg: &ClientConfig, least: Placement, allow: bool) -> Result<()> {
    let (d, out) = pipeline::deploy_batch(dir, cfg, least, allow).await?;
    let rows = vec![
        ("verifier", format!("{} ({} gas)", d.verifier, d.verifier_gas)),
        ("consumer", format!("{} (BatchInference, {} gas)", d.consumer, d.consumer_gas)),
        ("aggregate_hash", d.aggregate_hash.clone()),
        ("source", out.path.display().to_string()),
        ("recorded", dir.join("deployment.json").display().to_string()),
    ];
    print_rows(json, &rows);
    Ok(())
}

/// `zkinfer submit AGG/ PROOF`: one transaction, every slot's outputs recorded.
pub(crate) async fn submit(
    json: bool,
    dir: &Path,
    proof: &Path,
    cfg: &ClientConfig,
    address: Option<alloy::primitives::Address>,
) -> Result<()> {
    let s = pipeline::submit_batch(dir, proof, cfg, address).await?;
    let mut rows =
        vec![("tx", s.tx_hash.clone()), ("gas_used", s.gas_used.to_string()), ("block", s.block.to_string())];
    rows.extend(s.outputs.iter().map(|o| ("outputs", format!("{o} (fixed point, per slot's SCALE_BITS)"))));
    print_rows(json, &rows);
    Ok(())
}
