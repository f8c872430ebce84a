//! The chain steps over a build directory, as `zkinfer deploy`, `feed-input` and `submit` run
//! them: what was deployed is recorded in `deployment.json` beside the keys, so later steps know
//! the chain, the consumer and, for a feed-bound consumer, the feed.

use super::feed::model_input;
use super::{instances_u256, Client, ClientConfig, Submitted};
use crate::circuit::privacy::Visibility;
use crate::compile::{read_json, write_json, Compiled};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::prove::ProofFile;
use alloy::primitives::Address;
use std::path::Path;

/// Which consumer to deploy with the verifier.
#[derive(Clone, Debug)]
pub enum ConsumerKind {
    /// `VerifiedInference`: callers supply every public value.
    Plain,
    /// `FeedBoundInference`, or with `move_bps` a `ForecastVault`: inputs read from `feed`.
    Feed { feed: Address, price_unit: u128, move_bps: Option<u64> },
}

/// A feed-bound consumer's source of inputs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FeedBinding {
    pub feed: Address,
    pub window: usize,
    pub price_unit: u128,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Deployment {
    pub verifier: Address,
    pub consumer: Address,
    pub verifier_gas: u64,
    pub consumer_gas: u64,
    pub chain_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<FeedBinding>,
}

impl Deployment {
    pub fn load(dir: &Path) -> Result<Deployment> {
        read_json(&dir.join("deployment.json")).map_err(|_| Error::MissingArtifact {
            what: "deployment.json".into(),
            dir: dir.into(),
            hint: "zkinfer deploy BUILD/".into(),
        })
    }
}

/// Generates and compiles the verifier, deploys it with its consumer, records `deployment.json`.
pub async fn deploy(dir: &Path, cfg: &ClientConfig, kind: &ConsumerKind) -> Result<(Deployment, pipeline::SolidityOutput)> {
    let settings = Compiled::load(dir)?.settings;
    if matches!(kind, ConsumerKind::Feed { .. }) && settings.input_visibility != Visibility::Public {
        return Err(Error::Chain(format!(
            "a feed-bound consumer supplies the inputs in clear; {} was compiled with --input-visibility {:?}: recompile with public inputs",
            dir.display(),
            settings.input_visibility
        )));
    }
    let out = pipeline::solidity(dir, &dir.join("solidity"), "ZkinferVerifier")?;
    let client = Client::connect_with(cfg).await?;
    let d = match kind {
        ConsumerKind::Plain => client.deploy_pair(out.bytecode("ZkinferVerifier")?, out.bytecode("VerifiedInference")?).await?,
        ConsumerKind::Feed { feed, price_unit, move_bps } => {
            let (verifier, verifier_gas) = client.deploy(out.bytecode("ZkinferVerifier")?).await?;
            let name = if move_bps.is_some() { "ForecastVault" } else { "FeedBoundInference" };
            let window = settings.num_public_inputs;
            let (consumer, consumer_gas) =
                client.deploy_bound(out.bytecode(name)?, verifier, *feed, window, *price_unit, *move_bps).await?;
            let feed = Some(FeedBinding { feed: *feed, window, price_unit: *price_unit });
            Deployment { verifier, consumer, verifier_gas, consumer_gas, chain_id: client.chain_id, feed }
        }
    };
    write_json(&dir.join("deployment.json"), &d)?;
    Ok((d, out))
}

/// For a feed-bound deployment: the input the consumer will verify against now (its feed's
/// window, quantised as the contract does), in `input.json` form, and the round it ends at.
pub async fn feed_input(dir: &Path, cfg: &ClientConfig) -> Result<(serde_json::Value, u64)> {
    let d = Deployment::load(dir)?;
    if d.feed.is_none() {
        return Err(Error::Chain(format!("{}/deployment.json has no feed: deploy with --feed", dir.display())));
    }
    let client = Client::connect_with(&cfg.clone().expect_chain(d.chain_id)).await?;
    let (q, round) = client.bound_inputs(d.consumer).await?;
    let s = Compiled::load(dir)?.settings.scale_bits;
    let x = q.iter().map(|&v| model_input(v, s)).collect::<Result<Vec<f32>>>()?;
    Ok((serde_json::json!({ "input_data": [x] }), round))
}

/// Submits a proof to the consumer recorded in `dir` (or at `address`), after the checks that
/// would otherwise cost a revert: this model's weights commitment, the deployment's chain, and
/// for a feed-bound consumer that the proof is over the feed's current window.
pub async fn submit(dir: &Path, proof: &ProofFile, cfg: &ClientConfig, address: Option<Address>) -> Result<Submitted> {
    let settings = Compiled::load(dir).map(|c| c.settings).ok();
    if let Some(want) = settings.as_ref().and_then(|s| s.model_commitment.as_ref()) {
        if proof.instances.last() != Some(want) {
            return Err(Error::Verify(format!(
                "the proof commits to other weights than {} (MODEL_COMMITMENT {want}): it is another model's proof",
                dir.display()
            )));
        }
    }
    // The recorded deployment, when it is the one addressed (it says whether the consumer is
    // feed-bound and which chain it lives on).
    let deployment = match address {
        Some(a) => Deployment::load(dir).ok().filter(|d| d.consumer == a),
        None => Some(Deployment::load(dir).map_err(|_| Error::MissingArtifact {
            what: "deployment.json".into(),
            dir: dir.into(),
            hint: "zkinfer deploy BUILD/ (or pass --address)".into(),
        })?),
    };
    let client = Client::connect_with(cfg).await?;
    if let Some(d) = &deployment {
        client.ensure_chain(d.chain_id, &format!("{}/deployment.json was deployed on chain {}; pass that chain's RPC", dir.display(), d.chain_id))?;
    }
    let consumer = address.or(deployment.as_ref().map(|d| d.consumer)).unwrap_or_default();
    let instances = instances_u256(&proof.instances)?;
    match deployment.and_then(|d| d.feed) {
        None => client.submit(consumer, &proof.proof_bytes()?, &instances).await,
        Some(binding) => {
            let (now, round) = client.bound_inputs(consumer).await?;
            let ours: Vec<i128> = instances.iter().take(binding.window).map(|&v| super::feed::signed(v)).collect();
            if ours != now {
                return Err(Error::Chain(format!(
                    "the proof is over other inputs than the feed's window ending at round {round}: \
                     run `zkinfer feed-input {}` and prove again",
                    dir.display()
                )));
            }
            client.submit_bound(consumer, &proof.proof_bytes()?, &instances[binding.window..]).await
        }
    }
}
