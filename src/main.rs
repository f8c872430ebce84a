//! The `zkinfer` command line: a thin layer over `zkinfer::pipeline` and `zkinfer::chain`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use zkinfer::chain::build::{self, ConsumerKind, DeployOptions};
use zkinfer::chain::feed::VaultParams;
use zkinfer::chain::{self, ClientConfig};
use zkinfer::circuit::privacy::{Privacy, Visibility, WeightsMode};
use zkinfer::compile::write_json;
use zkinfer::compile::Target;
use zkinfer::pipeline::{self, CompileOptions};
use zkinfer::prove::Transcript;
use zkinfer::{Error, Result};

#[path = "cli/aggregate.rs"]
mod aggregate;
#[path = "cli/checks.rs"]
mod checks;
#[path = "cli/demo.rs"]
mod demo;
#[path = "cli/output.rs"]
mod output;
#[path = "cli/registry.rs"]
mod registry;
use checks::{check_conformance_args, refuse_build_artifact, refuse_same_file};
use demo::{demo, write_example};
use output::{
    print_binding, print_compiled, print_deployment, print_rows, print_submission, spinner, usage_error, warn,
    warn_insecure,
};

#[derive(Parser)]
#[command(name = "zkinfer", version, about = "Compile ONNX models into halo2 circuits with Solidity verifiers")]
struct Cli {
    /// Print results as JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// No progress, no warnings: only results and errors.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

/// What a proof reveals (see README, "Privacy modes").
#[derive(clap::Args)]
struct PrivacyArgs {
    /// fixed: weights in the verifying key; private: hidden and unbound; hashed: hidden, their
    /// Poseidon commitment public and checked by the contract (MODEL_COMMITMENT).
    #[arg(long, value_enum, default_value_t = WeightsMode::Fixed)]
    weights: WeightsMode,
    /// auto (packed when that saves gas, else public), packed (in clear, several to a public
    /// value), public (one each), hashed (one Poseidon commitment) or private (nothing exposed).
    #[arg(long, value_enum, default_value_t = Visibility::Auto)]
    input_visibility: Visibility,
    /// auto, packed, public or hashed.
    #[arg(long, value_enum, default_value_t = Visibility::Auto)]
    output_visibility: Visibility,
    /// Blind hashed inputs/outputs with a fresh random salt per proof (kept in *.opening.json).
    #[arg(long)]
    salt: bool,
    /// Pin the fixed-point scale to 2^-BITS (one verifying key for a family of weight sets).
    #[arg(long)]
    scale_bits: Option<u32>,
}

/// The differential import check, run on every compile: the quantised model against tract's
/// float inference on seeded random inputs (see `zkinfer::fidelity`).
#[derive(clap::Args)]
struct CheckArgs {
    /// Random inputs the compiled model is compared with tract on (besides the corners).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    check_samples: u64,
    /// Seed of those inputs (recorded in settings.json).
    #[arg(long, default_value_t = zkinfer::fidelity::FidelityOptions::default().seed)]
    check_seed: u64,
}

impl CheckArgs {
    fn options(&self) -> zkinfer::fidelity::FidelityOptions {
        zkinfer::fidelity::FidelityOptions { samples: self.check_samples as usize, seed: self.check_seed }
    }
}

impl PrivacyArgs {
    fn options(&self, lanes: Option<usize>, target: Target) -> CompileOptions {
        let privacy = Privacy {
            weights: self.weights,
            input: self.input_visibility,
            output: self.output_visibility,
            salted: self.salt,
        };
        CompileOptions { lanes, target, privacy, scale_bits: self.scale_bits, ..Default::default() }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Quantise and lay out a model. Example: zkinfer compile model.onnx --input input.json -o build/
    Compile {
        model: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(short, long, default_value = "build")]
        out: PathBuf,
        /// Inputs per linear row (default: chosen by the layout planner).
        #[arg(long)]
        lanes: Option<usize>,
        /// accuracy: finest scale the rows allow; resources: coarsest scale within 1% error.
        #[arg(long, value_enum, default_value_t = Target::Accuracy)]
        target: Target,
        #[command(flatten)]
        privacy: PrivacyArgs,
        #[command(flatten)]
        check: CheckArgs,
    },
    /// Choose scales and lookup-table ranges from several inputs, then compile.
    /// Example: zkinfer calibrate model.onnx --data a.json b.json c.json --target resources -o build/
    Calibrate {
        model: PathBuf,
        /// Calibration inputs (EZKL input.json format); the first is also the compile input.
        #[arg(long, num_args = 1.., required = true)]
        data: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Target::Accuracy)]
        target: Target,
        #[arg(short, long, default_value = "build")]
        out: PathBuf,
        #[command(flatten)]
        check: CheckArgs,
    },
    /// KZG params and keys. Example: zkinfer setup build/ [--srs ceremony.srs]
    Setup {
        dir: PathBuf,
        /// A halo2-format KZG params file (e.g. from a ceremony). Default: an INSECURE dev SRS.
        #[arg(long)]
        srs: Option<PathBuf>,
    },
    /// Prove one inference. Example: zkinfer prove build/ --input input.json -o proof.json
    Prove {
        dir: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(short, long, default_value = "proof.json")]
        out: PathBuf,
        /// Prove for `zkinfer aggregate` (Poseidon transcript): such a proof is checked only
        /// inside an aggregate, never by a contract alone.
        #[arg(long)]
        for_aggregation: bool,
    },
    /// Fold proofs made with `prove --for-aggregation` into one proof that one contract checks.
    /// Example: zkinfer aggregate p1.json p2.json --build build/ -o agg/
    Aggregate(aggregate::AggregateArgs),
    /// Verify a proof in Rust. Example: zkinfer verify build/ proof.json
    Verify { dir: PathBuf, proof: PathBuf },
    /// Generate and compile the Solidity verifier. Example: zkinfer solidity build/ -o contracts/generated
    Solidity {
        dir: PathBuf,
        #[arg(short, long, default_value = "contracts/generated")]
        out: PathBuf,
        /// Contract name.
        #[arg(long, default_value = "ZkinferVerifier")]
        name: String,
        /// Put the verifying key in a contract of its own (NAMEKey, in the same file), which the
        /// verifier reads and pins by code hash. Automatic when the verifier with its key would
        /// exceed EIP-170's 24,576 bytes.
        #[arg(long)]
        vk_contract: bool,
        /// Put the key, and the gate, permutation and lookup identities too, in contracts of their
        /// own (NAMEKey, NAMEIdentities; the identities' source in NAMEIdentitiesCode.sol.txt), both
        /// pinned by code hash. Automatic when the verifier with only its key moved out would
        /// still exceed 24,576 bytes.
        #[arg(long)]
        identities_contract: bool,
        /// Generate the architecture verifier of a --weights hashed build (WEIGHTS_MODE 3): it
        /// serves every weight set of the architecture and leaves the weights commitment to a
        /// ModelRegistry (see `zkinfer registry`).
        #[arg(long, conflicts_with = "aggregate")]
        registered: bool,
        /// DIR is an aggregation directory (`zkinfer aggregate -o DIR`): generate the verifier of
        /// its aggregates, which decides the inner proofs' accumulator in its own pairing.
        #[arg(long)]
        aggregate: bool,
    },
    /// Deploy the verifier and a consumer: VerifiedInference, or with --feed one that reads its
    /// inputs from a price feed. Example: zkinfer deploy build/ --rpc-url http://127.0.0.1:8545
    Deploy {
        dir: PathBuf,
        /// RPC URL (default: ETH_RPC_URL, else http://127.0.0.1:8545). Key: PRIVATE_KEY or ETH_KEYSTORE.
        #[arg(long)]
        rpc_url: Option<String>,
        /// A Chainlink-style feed (AggregatorV3Interface) whose last answers are the model's inputs.
        #[arg(long)]
        feed: Option<String>,
        /// With --feed: feed answer units per model unit (e.g. 100000000 for an 8-decimal feed).
        #[arg(long, requires = "feed")]
        price_unit: Option<u128>,
        /// With --feed: deploy a ForecastVault (LTV and fee follow the first output) whose policy
        /// moves at this many basis points (1 to 10000: 0 would never leave the neutral tier, more
        /// than 100% never turn defensive).
        #[arg(long, requires = "feed", value_parser = clap::value_parser!(u64).range(1..=10_000))]
        vault_move_bps: Option<u64>,
        /// With --feed: the largest age, in seconds, of the window's newest answer at submission.
        #[arg(long, requires = "feed", default_value_t = 3600)]
        max_price_age: u64,
        /// With --vault-move-bps: seconds a forecast's risk tier holds (from its newest price's
        /// update time); after that the vault is defensive.
        #[arg(long, requires = "vault_move_bps", default_value_t = 3600)]
        risk_validity: u64,
        /// Deploy a verifier that binds NO weights (a --weights private build: it accepts proofs
        /// made with any weights of the architecture). Refused without this flag.
        #[arg(long)]
        allow_unbound_weights: bool,
        /// Deploy the verifying key as a contract of its own, which the verifier reads and pins by
        /// code hash (automatic when the verifier with its key would exceed 24,576 bytes).
        #[arg(long)]
        vk_contract: bool,
        /// Deploy the key and the identities as contracts of their own, both pinned by code hash
        /// (automatic when the verifier with only its key moved out would exceed 24,576 bytes).
        #[arg(long)]
        identities_contract: bool,
    },
    /// One verifier for every weight set of an architecture: deploy it with a ModelRegistry,
    /// register builds, deploy consumers of one entry. Example: zkinfer registry deploy build/
    Registry {
        #[command(subcommand)]
        cmd: registry::RegistryCmd,
    },
    /// For a feed-bound deployment: write the input the consumer will check now (the feed's
    /// window, quantised as on chain). Example: zkinfer feed-input build/ -o input.json
    FeedInput {
        dir: PathBuf,
        #[arg(long)]
        rpc_url: Option<String>,
        #[arg(short, long, default_value = "input.json")]
        out: PathBuf,
    },
    /// Submit a proof to a deployed consumer. Example: zkinfer submit build/ proof.json --address 0x…
    Submit {
        dir: PathBuf,
        proof: PathBuf,
        #[arg(long)]
        rpc_url: Option<String>,
        /// The VerifiedInference contract (default: the one `zkinfer deploy` recorded in DIR).
        #[arg(long)]
        address: Option<String>,
        /// Feed-bound consumer: the feed round the proof's window ends at (default: found, the
        /// newest fresh round newer than the last consumed one whose window the proof is over).
        #[arg(long)]
        round: Option<u128>,
    },
    /// Write the example MLP (ONNX) and an input for it. Example: zkinfer example -o build/example
    Example {
        #[arg(short, long, default_value = "build/example")]
        out: PathBuf,
        /// Layer sizes, input first.
        #[arg(long, value_delimiter = ',', default_value = "8,16,16,2")]
        sizes: Vec<usize>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Run every model folder (network.onnx, input.json, expected.json) end to end and compare with
    /// the reference. Example: zkinfer conformance ../shared/corpus --markdown docs/conformance.md
    Conformance {
        dir: PathBuf,
        /// Where build directories go.
        #[arg(long, default_value = "build/conformance")]
        work: PathBuf,
        /// Also write the table as markdown to this file.
        #[arg(long)]
        markdown: Option<PathBuf>,
        /// Seconds a model may take (compile, setup, two proofs) before it counts as failed.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// One model of a conformance run (the runner starts one process per model).
    #[command(hide = true)]
    ConformanceOne {
        model_dir: PathBuf,
        #[arg(long)]
        work: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// The whole pipeline on the example model, against an Anvil it starts. Example: zkinfer demo
    Demo {
        #[arg(short, long, default_value = "build/demo")]
        out: PathBuf,
    },
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => usage_error(e),
    };
    output::set_quiet(cli.quiet);
    // A panic is a zkinfer bug: one line saying so and where, the internal exit code, and no
    // backtrace in the user's terminal. (Panics the library catches itself stay silent.)
    std::panic::set_hook(Box::new(|info| {
        let msg = zkinfer::error::panic_message(info.payload()).unwrap_or_default();
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let msg = msg.lines().next().unwrap_or("").to_string();
        // println! panics when stdout is gone: a closed pipe (`zkinfer … | head`) ends the
        // process quietly, as SIGPIPE ends other tools; any other failure (a full disk) is said.
        if msg.starts_with("failed printing to stdout") {
            zkinfer::artifact::remove_temporaries();
            if msg.contains("Broken pipe") {
                std::process::exit(141);
            }
            eprintln!("error: cannot write the results to stdout ({msg}); the command itself finished");
            std::process::exit(zkinfer::error::exit::BAD_INPUT);
        }
        eprintln!("error: internal error: zkinfer panicked{at}: {msg}; this is a zkinfer bug: please report it");
        zkinfer::artifact::remove_temporaries();
        std::process::exit(zkinfer::error::exit::INTERNAL);
    }));
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(zkinfer::error::exit::INTERNAL);
        }
    };
    // Ctrl-C or SIGTERM (a `kill`, a CI timeout): the write in flight is to a temporary name
    // (`artifact::write_atomic`); remove it and stop, so no half-written artifact is left under a
    // name a later command would load.
    rt.spawn(async {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else { return };
        let (what, code) = tokio::select! {
            _ = tokio::signal::ctrl_c() => ("interrupted", zkinfer::error::exit::INTERRUPTED),
            _ = term.recv() => ("terminated", zkinfer::error::exit::TERMINATED),
        };
        zkinfer::artifact::stop_writes();
        chain::stop_children();
        let _one_voice = output::last_words();
        eprintln!("error: {what}; nothing half-written was left");
        std::process::exit(code);
    });
    if let Err(e) = rt.block_on(run(cli)) {
        // One line, whatever the message carries: a path with a newline, a node name with
        // terminal escapes from an untrusted model, a node's multi-line answer.
        let _one_voice = output::last_words();
        eprintln!("error: {}", zkinfer::error::one_line(&e.to_string()));
        std::process::exit(e.exit_code());
    }
}

async fn run(cli: Cli) -> Result<()> {
    let json = cli.json;
    match cli.cmd {
        Cmd::Compile { model, input, out, lanes, target, privacy, check } => {
            let opts = CompileOptions { fidelity: check.options(), ..privacy.options(lanes, target) };
            let c = pipeline::compile(&model, &input, &out, &opts)?;
            print_compiled(json, &c, &out);
        }
        Cmd::Calibrate { model, data, target, out, check } => {
            let opts = CompileOptions {
                target,
                calibration: data[1..].to_vec(),
                fidelity: check.options(),
                ..Default::default()
            };
            let c = pipeline::compile(&model, &data[0], &out, &opts)?;
            print_compiled(json, &c, &out);
            if !json {
                for t in &c.settings.tables {
                    println!("  table {:<24} [{:.4}, {:.4}]  {} entries", t.node, t.lo, t.hi, t.entries);
                }
            }
        }
        Cmd::Setup { dir, srs } => {
            let pb = spinner("setting up");
            let (compiled, _, _, info) = pipeline::setup_with(&dir, srs.as_deref(), &pb)?;
            pb.finish_and_clear();
            if info.insecure && info.source == "dev" {
                warn(&format!("generated an INSECURE dev SRS (k = {}): fine for tests, never for value", info.k));
            } else if info.insecure {
                warn(&format!(
                    "{} is zkinfer's INSECURE dev SRS (its toxic waste is public): fine for tests, never for value",
                    info.source
                ));
            }
            print_rows(
                json,
                &[
                    ("k", info.k.to_string()),
                    ("srs", info.source),
                    ("pk", dir.join("pk.bin").display().to_string()),
                    ("model_hash", compiled.settings.model_hash.clone()),
                ],
            );
        }
        Cmd::Aggregate(args) => aggregate::run(json, args)?,
        Cmd::Prove { dir, input, out, for_aggregation } => {
            let opening = out.with_extension("opening.json");
            for path in [&out, &opening] {
                refuse_build_artifact(&dir, path)?;
                refuse_same_file(&input, path)?;
            }
            let pb = spinner("proving");
            let transcript = if for_aggregation { Transcript::Poseidon } else { Transcript::Evm };
            let p = pipeline::prove_for(&dir, &input, transcript, &pb)?;
            pb.finish_and_clear();
            let salted = !p.opening.salts.is_empty() || !p.opening.outputs.is_empty();
            // The proof and its opening together: a proof whose salts were lost opens nothing.
            let mut batch = zkinfer::artifact::Batch::new();
            batch.write_bytes(&out, &zkinfer::compile::json_bytes(&p)?)?;
            if salted {
                batch.write_bytes(&opening, &zkinfer::compile::json_bytes(&p.opening)?)?;
            }
            batch.commit()?;
            let mut rows = vec![
                ("proof", out.display().to_string()),
                ("seconds", format!("{:.3}", p.prove_seconds)),
                ("bytes", p.proof_bytes()?.len().to_string()),
                ("outputs", format!("{:?}", if p.outputs.is_empty() { &p.opening.outputs } else { &p.outputs })),
            ];
            if salted {
                rows.push(("opening (keep private)", opening.display().to_string()));
            }
            warn_insecure(&dir);
            print_rows(json, &rows);
        }
        Cmd::Verify { dir, proof } if aggregate::is_aggregate(&dir) => aggregate::verify(json, &dir, &proof)?,
        Cmd::Verify { dir, proof } => {
            let (p, opened) = pipeline::verify_file(&dir, &proof)?;
            warn_insecure(&dir);
            let outputs = match opened {
                Some(o) => {
                    format!("{o:?} (hashed; opened by {}, checked)", proof.with_extension("opening.json").display())
                }
                None if p.outputs.is_empty() => "hashed (no opening file beside the proof: not opened)".into(),
                None => format!("{:?}", p.outputs),
            };
            print_rows(json, &[("result", "verified".into()), ("outputs", outputs)]);
        }
        Cmd::Solidity { dir, out, name, vk_contract, identities_contract, registered, aggregate } => {
            let least = least_placement(vk_contract, identities_contract);
            let o = if aggregate {
                pipeline::solidity_aggregate(&dir, &out, &name, least)?
            } else if registered {
                pipeline::solidity_registered(&dir, &out, &name, least)?
            } else {
                pipeline::solidity_with(&dir, &out, &name, least)?
            };
            let mut rows =
                vec![("verifier", o.path.display().to_string()), ("proof_bytes", o.verifier.proof_len.to_string())];
            let sizes: Vec<String> = o.runtime_sizes().iter().map(|(c, size)| format!("{c} {size} B")).collect();
            rows.push(("runtime_sizes", sizes.join(", ")));
            match &o.settings {
                Some(settings) => {
                    warn_insecure(&dir);
                    print_binding(json, settings, rows)
                }
                None => print_rows(json, &rows),
            }
        }
        Cmd::Deploy {
            dir,
            rpc_url,
            feed,
            price_unit,
            vault_move_bps,
            max_price_age,
            risk_validity,
            allow_unbound_weights,
            vk_contract,
            identities_contract,
        } => {
            let placement = least_placement(vk_contract, identities_contract);
            if aggregate::is_aggregate(&dir) {
                let cfg = ClientConfig::from_env(rpc_url.as_deref())?;
                if feed.is_some() {
                    return Err(Error::Usage {
                        flag: "--feed".into(),
                        reason: "an aggregate's consumer (BatchInference) takes its inputs from the caller".into(),
                    });
                }
                return aggregate::deploy(json, &dir, &cfg, placement, allow_unbound_weights).await;
            }
            let kind = match feed {
                None => ConsumerKind::Plain,
                Some(f) => ConsumerKind::Feed {
                    feed: f.parse().map_err(|e| Error::Usage {
                        flag: "--feed".into(),
                        reason: format!("{f:?} is not an address ({e}): give the feed contract's 0x address"),
                    })?,
                    price_unit: price_unit.ok_or_else(|| Error::Usage {
                        flag: "--feed".into(),
                        reason: "needs --price-unit (the feed answer that is 1.0 to the model)".into(),
                    })?,
                    max_price_age,
                    vault: vault_move_bps.map(|move_bps| VaultParams { move_bps, risk_validity }),
                },
            };
            let opts = DeployOptions { kind, allow_unbound_weights, placement };
            let (d, _) = zkinfer::pipeline::deploy(&dir, &ClientConfig::from_env(rpc_url.as_deref())?, &opts).await?;
            warn_insecure(&dir);
            print_deployment(json, &dir, &d)?;
        }
        Cmd::Registry { cmd } => registry::run(cmd, json).await?,
        Cmd::FeedInput { dir, rpc_url, out } => {
            refuse_build_artifact(&dir, &out)?;
            let (input, round) = build::feed_input(&dir, &ClientConfig::from_env(rpc_url.as_deref())?).await?;
            write_json(&out, &input)?;
            print_rows(
                json,
                &[
                    ("input", out.display().to_string()),
                    ("feed round", format!("{round} ({})", chain::round_name(round))),
                ],
            );
        }
        Cmd::Submit { dir, proof, rpc_url, address, round } => {
            if let Some(r) = round.filter(|&r| r >> 80 != 0) {
                return Err(Error::Usage {
                    flag: "--round".into(),
                    reason: format!("{r} is not a feed round id (they are below 2^80): give a round the feed reported"),
                });
            }
            let address = address
                .map(|a| {
                    a.parse().map_err(|e| Error::Usage {
                        flag: "--address".into(),
                        reason: format!("{a:?} is not an address ({e}): give the consumer contract's 0x address"),
                    })
                })
                .transpose()?;
            let cfg = ClientConfig::from_env(rpc_url.as_deref())?;
            if aggregate::is_aggregate(&dir) {
                return aggregate::submit(json, &dir, &proof, &cfg, address).await;
            }
            let p = pipeline::read_proof(&dir, &proof)?;
            let s = build::submit(&dir, &p, &cfg, address, round).await?;
            warn_insecure(&dir);
            print_submission(json, &dir, &s);
        }
        Cmd::Example { out, sizes, seed } => {
            // The dense weights of the MLP are held in memory as f32s: 10 M of them (40 MB) is far
            // beyond what a circuit on one machine proves, and a typo must not abort the process.
            let weights: u128 = sizes.windows(2).map(|w| w[0] as u128 * w[1] as u128).sum();
            if weights > 10_000_000 {
                return Err(Error::Usage {
                    flag: "--sizes".into(),
                    reason: format!(
                        "{sizes:?} makes {weights} weights: give layers of at most 10,000,000 weights in all"
                    ),
                });
            }
            if sizes.len() < 2 || sizes.contains(&0) {
                return Err(Error::Usage {
                    flag: "--sizes".into(),
                    reason: format!("{sizes:?}: give at least two layer sizes, each 1 or more (e.g. 8,16,2)"),
                });
            }
            let (model, input) = write_example(&out, &sizes, seed)?;
            print_rows(json, &[("model", model.display().to_string()), ("input", input.display().to_string())]);
        }
        Cmd::ConformanceOne { model_dir, work, out } => {
            let o =
                std::panic::catch_unwind(|| zkinfer::conformance::run_one(&model_dir, &work)).unwrap_or_else(|_| {
                    let name = model_dir.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
                    zkinfer::conformance::Outcome::failed(&name, "internal panic (a zkinfer bug)")
                });
            write_json(&out, &o)?;
        }
        Cmd::Conformance { dir, work, markdown, timeout } => {
            check_conformance_args(&dir, &work, markdown.as_deref(), timeout)?;
            let outcomes = zkinfer::conformance::run(&dir, &work, std::time::Duration::from_secs(timeout));
            let table = zkinfer::conformance::markdown(&outcomes);
            if json {
                println!("{}", serde_json::to_string_pretty(&outcomes).unwrap());
            } else {
                print!("{table}");
            }
            if let Some(path) = markdown {
                let text = format!("# Conformance: `zkinfer conformance {}`\n\n{table}", dir.display());
                zkinfer::artifact::write_bytes(&path, text.as_bytes())?;
            }
            let failed = outcomes.iter().filter(|o| !o.passed).count();
            if failed > 0 {
                eprintln!("error: {failed} of {} models failed (see the table)", outcomes.len());
                std::process::exit(1);
            }
        }
        Cmd::Demo { out } => demo(&out, json).await?,
    }
    Ok(())
}

/// The smallest verifier layout `--vk-contract` / `--identities-contract` ask for.
fn least_placement(vk_contract: bool, identities_contract: bool) -> pipeline::Placement {
    match (vk_contract, identities_contract) {
        (_, true) => pipeline::Placement::Split,
        (true, false) => pipeline::Placement::Contract,
        (false, false) => pipeline::Placement::Inline,
    }
}
