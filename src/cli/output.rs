//! What the CLI prints: tables of rows, or the same rows as JSON with `--json`; spinners for
//! the long steps.

use std::path::Path;
use zkinfer::chain::build;
use zkinfer::chain::{self, OnChainBinding};
use zkinfer::circuit::privacy::{Visibility, WeightsMode};
use zkinfer::{pipeline, Result};

pub(crate) fn print_compiled(json: bool, c: &zkinfer::compile::Compiled, out: &Path) {
    let s = &c.settings;
    print_rows(json, &[
        ("model", s.model.clone()),
        ("k", s.k.to_string()),
        ("rows", s.rows.to_string()),
        ("lanes", s.lanes.to_string()),
        ("scale", format!("2^{}", s.scale_bits)),
        ("range table", format!("2^{} ({} cells a limb)", s.range_bits, s.scale_bits / s.range_bits.max(1))),
        ("target", format!("{:?}", s.target).to_lowercase()),
        ("calibration", format!("{} input(s)", s.calibration_inputs)),
        ("tables", s.tables.len().to_string()),
        ("fidelity", s.fidelity.as_ref().map_or("-".into(), |f| format!(
            "{} of {} random inputs, corners and calibration inputs accepted; worst error {:.2e} ({:.2e} of max(1, |ref|), tolerance {}); seed {:#x}",
            f.accepted, f.samples + f.corners + f.calibration, f.worst_abs_error, f.worst_rel_error, f.tolerance, f.seed
        ))),
        ("columns", format!("{} advice, {} fixed, {} lookups", s.advice_columns, s.fixed_columns, s.lookups)),
        ("weights", format!("{:?}", s.weights_visibility).to_lowercase()),
        ("input / output", format!("{:?} / {:?}{}", s.input_visibility, s.output_visibility, if s.salted { ", salted" } else { "" }).to_lowercase()),
        ("model_hash", if s.model_hash.is_empty() { "set by `zkinfer setup` (it covers the verifying key)".into() } else { s.model_hash.clone() }),
        ("model_commitment", s.model_commitment.clone().unwrap_or_else(|| "-".into())),
        ("settings", out.join("settings.json").display().to_string()),
    ]);
}

/// What a verifier binds, as rows: its weights mode, input and output visibility, the model
/// hash and commitment, and the statement a proof it accepts makes.
pub(crate) fn binding_rows(settings: &zkinfer::compile::Settings) -> Vec<(&'static str, String)> {
    let b = zkinfer::evm::Binding::of(settings);
    let mut rows = vec![
        ("weights", format!("{} (WEIGHTS_MODE {})", b.weights, b.weights_mode)),
        ("inputs", format!("{} (INPUT_VISIBILITY {})", b.inputs, b.input_visibility)),
        ("outputs", format!("{} (OUTPUT_VISIBILITY {})", b.outputs, b.output_visibility)),
        ("binds_weights", b.binds_weights.to_string()),
        ("model_hash", settings.model_hash.clone()),
        ("model_commitment", settings.model_commitment.clone().unwrap_or_else(|| "0 (none)".into())),
    ];
    for line in b.statement {
        rows.push(("binds", line));
    }
    rows
}

pub(crate) fn print_binding(json: bool, settings: &zkinfer::compile::Settings, mut extra: Vec<(&str, String)>) {
    if json {
        let mut map = serde_json::Map::new();
        for (k, v) in &extra {
            map.insert(k.to_string(), serde_json::Value::String(v.clone()));
        }
        let b = zkinfer::evm::Binding::of(settings);
        map.insert("binding".into(), serde_json::to_value(&b).unwrap());
        map.insert("model_hash".into(), settings.model_hash.clone().into());
        map.insert("model_commitment".into(), settings.model_commitment.clone().unwrap_or_else(|| "0x0".into()).into());
        println!("{}", serde_json::to_string_pretty(&map).unwrap());
    } else {
        extra.extend(binding_rows(settings));
        print_rows(false, &extra);
        if settings.weights_visibility == WeightsMode::Private {
            eprintln!(
                "warning: this verifier binds NO weights: a prover can choose weights that give any output it likes"
            );
        }
    }
}

pub(crate) fn print_rows(json: bool, rows: &[(&str, String)]) {
    if json {
        let map: serde_json::Map<String, serde_json::Value> =
            rows.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone()))).collect();
        println!("{}", serde_json::to_string_pretty(&map).unwrap());
    } else {
        let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in rows {
            println!("  {k:<w$}  {v}");
        }
    }
}

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--quiet`: no spinner and no warnings, only results and errors.
pub(crate) fn set_quiet(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

/// Held by whoever prints the process's last line (the error, or the signal handler's
/// "interrupted"), so a signal during an error cannot print a second one.
static LAST_WORDS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The right to print the final line; kept until the process exits.
pub(crate) fn last_words() -> std::sync::MutexGuard<'static, ()> {
    LAST_WORDS.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// A spinner on stderr showing the phase and the time since the command started (hidden with
/// `--quiet`, and by indicatif itself when stderr is not a terminal).
pub(crate) fn spinner(msg: &str) -> Spinner {
    let pb = if quiet() { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new_spinner() };
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
        pb.set_style(style);
    }
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    Spinner(pb)
}

/// A spinner that is also the pipeline's [`pipeline::Progress`]: each phase replaces its message.
pub(crate) struct Spinner(indicatif::ProgressBar);

impl Spinner {
    pub(crate) fn finish_and_clear(&self) {
        self.0.finish_and_clear()
    }
}

impl pipeline::Progress for Spinner {
    fn phase(&self, name: &str) {
        self.0.set_message(name.to_string());
    }
}

/// A warning on stderr, unless `--quiet`.
pub(crate) fn warn(msg: &str) {
    if !quiet() {
        eprintln!("warning: {msg}");
    }
}

pub(crate) fn warn_insecure(dir: &Path) {
    if quiet() {
        return;
    }
    if pipeline::srs_info(dir).is_some_and(|i| i.insecure) {
        eprintln!("warning: {} uses the INSECURE dev SRS (anyone can forge proofs); use `zkinfer setup --srs FILE` for real deployments", dir.display());
    }
}

/// What `zkinfer deploy` prints: the addresses, the gas, what the contracts bind.
pub(crate) fn print_deployment(json: bool, dir: &Path, d: &build::Deployment) -> Result<()> {
    let mut rows = vec![
        ("verifier", d.verifier.to_string()),
        ("consumer", d.consumer.to_string()),
        ("chain_id", d.chain_id.to_string()),
        ("gas", format!("verifier {}, consumer {}", d.verifier_gas, d.consumer_gas)),
    ];
    if let Some(k) = d.key {
        rows.insert(1, ("verifying key", format!("{} (deployment gas {}; pinned by code hash)", k.address, k.gas)));
    }
    if let Some(k) = d.identities {
        rows.insert(2, ("identities", format!("{} (deployment gas {}; pinned by code hash)", k.address, k.gas)));
    }
    if let Some(f) = &d.feed {
        rows.push((
            "feed",
            format!(
                "{} (window {}, price unit {}, max price age {} s)",
                f.feed, f.window, f.price_unit, f.max_price_age
            ),
        ));
    }
    if let Some(b) = &d.binding {
        rows.push((
            "on chain",
            format!(
                "WEIGHTS_MODE {} ({}), INPUT_VISIBILITY {}, OUTPUT_VISIBILITY {}, MODEL_HASH {}",
                b.weights_mode,
                b.weights(),
                OnChainBinding::visibility(b.input_visibility),
                OnChainBinding::visibility(b.output_visibility),
                b.model_hash
            ),
        ));
    }
    rows.push(("deployment", dir.join("deployment.json").display().to_string()));
    let settings = zkinfer::compile::Compiled::load(dir)?.settings;
    if json {
        let mut v = serde_json::to_value(d).unwrap();
        v["binds"] = serde_json::to_value(zkinfer::evm::Binding::of(&settings)).unwrap();
        println!("{}", serde_json::to_string_pretty(&v).unwrap());
    } else {
        print_binding(false, &settings, rows);
    }
    Ok(())
}

/// What `zkinfer submit` prints: the transaction, and the outputs as real numbers (or that they
/// are hashed).
pub(crate) fn print_submission(json: bool, dir: &Path, s: &chain::Submitted) {
    let settings = zkinfer::compile::Compiled::load(dir).map(|c| c.settings).ok();
    let scale_bits = settings.as_ref().map_or(0, |s| s.scale_bits);
    let real: Vec<String> = s
        .outputs
        .iter()
        .map(|v| v.parse::<f64>().map_or(v.clone(), |x| format!("{}", x / (1u64 << scale_bits) as f64)))
        .collect();
    let hashed = settings.is_some_and(|s| s.output_visibility == Visibility::Hashed);
    print_rows(
        json,
        &[
            ("tx", s.tx_hash.clone()),
            ("gas_used", s.gas_used.to_string()),
            ("block", s.block.to_string()),
            ("events", s.events.join("; ")),
            if hashed {
                ("outputs", "hashed: the stored value is their Poseidon commitment".into())
            } else {
                ("outputs", format!("[{}] (fixed point / 2^{scale_bits})", real.join(", ")))
            },
        ],
    );
}

/// clap's error as one line (its own is several, with a usage block): the complaint, and where
/// to read the flags. `--help` and `--version` print as clap prints them.
pub(crate) fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit()
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand || e.kind() == ErrorKind::MissingSubcommand {
        // `zkinfer` alone: the commands on stdout, and the one-line complaint on stderr.
        print!("{}", <crate::Cli as clap::CommandFactory>::command().render_help());
        eprintln!("error: no command given; run `zkinfer COMMAND --help` for one command's flags");
        std::process::exit(zkinfer::error::exit::USAGE)
    }
    let text = e.render().to_string();
    let main = text.split("\n\nUsage:").next().unwrap_or(&text);
    let words: Vec<&str> = main
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("tip:") && !l.starts_with("For more information"))
        .collect();
    let line = words.join(" ").trim_start_matches("error: ").to_string();
    let line = zkinfer::error::one_line(&line);
    eprintln!("error: {line}; run `zkinfer --help` (or `zkinfer COMMAND --help`) for the flags");
    std::process::exit(zkinfer::error::exit::USAGE)
}
