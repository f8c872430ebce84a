//! `zkinfer aggregate`: N proofs for aggregation folded into one (docs/aggregation.md).

use crate::output::{print_rows, spinner, warn};
use std::path::PathBuf;
use zkinfer::aggregate::{self, AggregateOptions};
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
                reason: format!("{n} builds for {} proofs: give one build for all, or one per proof", args.proofs.len()),
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
