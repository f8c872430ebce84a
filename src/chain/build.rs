//! The chain steps over a build directory, as `zkinfer deploy`, `feed-input` and `submit` run
//! them: what was deployed is recorded in `deployment.json` beside the keys, so later steps know
//! the chain, the consumer and, for a feed-bound consumer, the feed.

use super::feed::{model_input, FeedParams, VaultParams};
use super::{instances_u256, Client, ClientConfig, DeployedKey, ModelPin, OnChainBinding, Submitted, VerifierCode};
use crate::circuit::privacy::{Visibility, WeightsMode};
use crate::compile::{write_json, Compiled};
use crate::error::{Error, Result};
use crate::prove::ProofFile;
use alloy::primitives::Address;
use std::path::Path;

/// Which consumer to deploy with the verifier.
#[derive(Clone, Debug)]
pub enum ConsumerKind {
    /// `VerifiedInference`: callers supply every public value.
    Plain,
    /// `FeedBoundInference`, or with `vault` a `ForecastVault`: inputs read from `feed`.
    Feed {
        /// The Chainlink-style price feed the inputs are read from.
        feed: Address,
        /// Feed answer units per model unit: a power of ten, at least 10^decimals.
        price_unit: u128,
        /// Largest age in seconds of the window's newest answer at submission.
        max_price_age: u64,
        /// With a vault's policy, deploy a `ForecastVault` instead of a `FeedBoundInference`.
        vault: Option<VaultParams>,
    },
}

/// How to deploy: the consumer, and whether a verifier that binds no weights is acceptable.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    /// Which consumer contract is deployed in front of the verifier.
    pub kind: ConsumerKind,
    /// Deploy a `--weights private` verifier (it accepts proofs made with *any* weights of the
    /// architecture). Refused unless set.
    pub allow_unbound_weights: bool,
    /// The verifier's layout at least: its key in a contract of its own (or its identities too)
    /// even when a smaller layout fits EIP-170 (it goes there anyway when the smaller does not).
    pub placement: crate::evm::key::Placement,
}

impl DeployOptions {
    /// A plain `VerifiedInference` consumer, refusing a verifier that binds no weights.
    pub fn plain() -> Self {
        DeployOptions { kind: ConsumerKind::Plain, allow_unbound_weights: false, placement: Default::default() }
    }
}

/// A feed-bound consumer's source of inputs.
pub type FeedBinding = FeedParams;

/// What `zkinfer deploy` deployed, saved as `deployment.json` so later steps find the contracts and chain.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Deployment {
    /// The verifier contract's address.
    pub verifier: Address,
    /// The consumer contract's address: where proofs are submitted.
    pub consumer: Address,
    /// Gas the verifier's deployment used.
    pub verifier_gas: u64,
    /// Gas the consumer's deployment used.
    pub consumer_gas: u64,
    /// The chain deployed on; later steps refuse an RPC endpoint serving another chain.
    pub chain_id: u64,
    /// For a feed-bound consumer, the feed and how its answers become inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<FeedBinding>,
    /// What the deployed verifier says it binds (read back from its constants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<OnChainBinding>,
    /// The verifier's key contract, when its key is data (`--vk-contract`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<DeployedKey>,
    /// The verifier's identities contract, when its identities run there (`--identities-contract`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities: Option<DeployedKey>,
}

impl Deployment {
    /// Reads `deployment.json` from a build directory; its absence means `zkinfer deploy` has not run.
    pub fn load(dir: &Path) -> Result<Deployment> {
        let path = dir.join("deployment.json");
        if !path.exists() {
            return Err(Error::MissingArtifact {
                what: "deployment.json".into(),
                dir: dir.into(),
                hint: "zkinfer deploy BUILD/".into(),
            });
        }
        crate::compile::read_json_as(
            &path,
            "deployment record",
            "; run `zkinfer deploy BUILD/` again, or give the consumer with --address",
        )
    }
}

/// Refusals that would otherwise cost a deployment and a revert: a verifier binding no weights
/// without leave, a feed-bound consumer over inputs that are not public, a vault over outputs
/// that are not public.
pub fn check_deployable(settings: &crate::compile::Settings, dir: &Path, opts: &DeployOptions) -> Result<()> {
    if settings.weights_visibility == WeightsMode::Private && !opts.allow_unbound_weights {
        return Err(Error::Usage { flag: "--allow-unbound-weights".into(), reason: format!(
            "not given, and {} was compiled with --weights private: its verifier binds NO weights (it accepts a proof made with any \
             weights of the architecture, so a prover can choose weights that give any output). Recompile with \
             --weights fixed or hashed, or pass --allow-unbound-weights if \"some model of this shape\" is the statement you want",
            dir.display()
        )});
    }
    if let ConsumerKind::Feed { vault, price_unit, max_price_age, .. } = &opts.kind {
        // The consumer's constructor refuses these; refused here, before the verifier's
        // deployment has spent gas on a pair that cannot be completed.
        let zero =
            |flag: &str, what: &str| Error::Usage { flag: flag.into(), reason: format!("0 {what}: give 1 or more") };
        if *price_unit == 0 {
            return Err(zero("--price-unit", "feed units per model unit would divide by zero"));
        }
        if *max_price_age == 0 {
            return Err(zero("--max-price-age", "seconds would make every price stale"));
        }
        if vault.is_some_and(|v| v.risk_validity == 0) {
            return Err(zero("--risk-validity", "seconds would make every forecast expire at once"));
        }
        if !matches!(settings.input_visibility, Visibility::Public | Visibility::Packed | Visibility::Auto) {
            return Err(Error::Usage { flag: "--feed".into(), reason: format!(
                "a feed-bound consumer supplies the inputs in clear; {} was compiled with --input-visibility {}: recompile with packed or public inputs",
                dir.display(),
                format!("{:?}", settings.input_visibility).to_lowercase()
            )});
        }
        if vault.is_some() && (settings.output_visibility == Visibility::Hashed || settings.num_outputs == 0) {
            return Err(Error::Usage {
                flag: "--vault-move-bps".into(),
                reason: format!(
                "a ForecastVault reads the first output as a price; {} has {} outputs: recompile with packed or public outputs",
                dir.display(),
                format!("{:?}", settings.output_visibility).to_lowercase()
            ),
            });
        }
    }
    Ok(())
}

/// Deploys the verifier with its consumer (which pins this build's MODEL_HASH and
/// MODEL_COMMITMENT) and records `deployment.json`. The contracts come compiled, by name
/// (`pipeline::deploy` generates them): the chain client is the pipeline's last stage and reads
/// nothing of the earlier ones but the build directory's settings.
pub async fn deploy(
    dir: &Path,
    verifier_code: VerifierCode,
    bytecode: &dyn Fn(&str) -> Result<Vec<u8>>,
    cfg: &ClientConfig,
    opts: &DeployOptions,
) -> Result<Deployment> {
    let settings = Compiled::load(dir)?.settings;
    check_deployable(&settings, dir, opts)?;
    let pin = ModelPin::of(&settings, opts.allow_unbound_weights)?;
    let client = Client::connect_with(cfg).await?;
    let d = match &opts.kind {
        ConsumerKind::Plain => client.deploy_pair(verifier_code, bytecode("VerifiedInference")?, &pin).await?,
        ConsumerKind::Feed { feed, price_unit, max_price_age, vault } => {
            client.check_feed(*feed, *price_unit).await?;
            let v = client.deploy_verifier(verifier_code).await?;
            let name = if vault.is_some() { "ForecastVault" } else { "FeedBoundInference" };
            let params = FeedParams {
                feed: *feed,
                window: settings.input_values(),
                price_unit: *price_unit,
                max_price_age: *max_price_age,
            };
            let (consumer, consumer_gas) =
                client.deploy_bound(bytecode(name)?, v.verifier, &pin, &params, *vault).await?;
            let binding = Some(client.verifier_binding(v.verifier).await?);
            Deployment {
                verifier: v.verifier,
                consumer,
                verifier_gas: v.gas,
                consumer_gas,
                chain_id: client.chain_id,
                feed: Some(params),
                binding,
                key: v.key,
                identities: v.identities,
            }
        }
    };
    write_json(&dir.join("deployment.json"), &d)?;
    Ok(d)
}

/// For a feed-bound deployment: the input the consumer will verify against if the window ends
/// at the feed's latest round (its answers quantised as the contract does), in `input.json`
/// form (with the round as `feed_round`), and that round.
pub async fn feed_input(dir: &Path, cfg: &ClientConfig) -> Result<(serde_json::Value, u128)> {
    let d = Deployment::load(dir)?;
    if d.feed.is_none() {
        return Err(Error::BadInput {
            path: dir.join("deployment.json"),
            reason: "records a consumer without a feed: `zkinfer feed-input` is for deployments made with --feed"
                .into(),
        });
    }
    let client = Client::connect_with(&cfg.clone().expect_chain(d.chain_id)).await?;
    let (q, round) = client.bound_inputs(d.consumer).await?;
    let s = Compiled::load(dir)?.settings.scale_bits;
    let x = q.iter().map(|&v| model_input(v, s)).collect::<Result<Vec<f32>>>()?;
    Ok((serde_json::json!({ "input_data": [x], "feed_round": round.to_string() }), round))
}

/// Submits a proof to the consumer recorded in `dir` (or at `address`), after the checks that
/// would otherwise cost a revert: this model's weights commitment, the deployment's chain, and
/// for a feed-bound consumer that the proof is over a fresh window of the feed (ending at
/// `end_round`, or found: the newest fresh unconsumed round whose window the proof is over).
pub async fn submit(
    dir: &Path,
    proof: &ProofFile,
    cfg: &ClientConfig,
    address: Option<Address>,
    end_round: Option<u128>,
) -> Result<Submitted> {
    proof.check_evm(Path::new("proof.json"))?;
    // The statement as `zkinfer verify` checks it (each public value a field element, their
    // number, the weights commitment), when the build is at hand: the contract would revert.
    if let Ok(compiled) = Compiled::load(dir) {
        crate::prove::Statement::of(&compiled)?.check(&proof.instance_fields()?)?;
    }
    // The recorded deployment, when it is the one addressed (it says whether the consumer is
    // feed-bound and which chain it lives on).
    let deployment = match address {
        Some(a) => Deployment::load(dir).ok().filter(|d| d.consumer == a),
        None => Some(Deployment::load(dir).map_err(|e| match e {
            Error::MissingArtifact { .. } => Error::MissingArtifact {
                what: "deployment.json (or pass the consumer with --address)".into(),
                dir: dir.into(),
                hint: "zkinfer deploy BUILD/".into(),
            },
            e => e,
        })?),
    };
    let client = Client::connect_with(cfg).await?;
    if let Some(d) = &deployment {
        client.ensure_chain(
            d.chain_id,
            &format!("{}/deployment.json was deployed on chain {}; pass that chain's RPC", dir.display(), d.chain_id),
        )?;
    }
    let consumer = address.or(deployment.as_ref().map(|d| d.consumer)).unwrap_or_default();
    let instances = instances_u256(&proof.instances)?;
    match deployment.and_then(|d| d.feed) {
        None => client.submit(consumer, &proof.proof_bytes()?, &instances).await,
        Some(binding) => {
            let (ours, words) = client.stated_inputs(consumer, binding.window, &instances).await?;
            // The window the proof is over: the newest fresh round, newer than the last
            // consumed one, whose window quantises to the proof's inputs.
            let end = match end_round {
                Some(r) => r,
                None => client.find_end_round(consumer, &ours, 64).await?.ok_or_else(|| {
                    Error::Chain(format!(
                        "the proof is over other inputs than every fresh window of the feed newer than the last consumed round: \
                         run `zkinfer feed-input {}` and prove again",
                        dir.display()
                    ))
                })?,
            };
            client.submit_bound(consumer, &proof.proof_bytes()?, end, &instances[words..]).await
        }
    }
}
