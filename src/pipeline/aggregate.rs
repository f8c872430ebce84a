//! The pipeline's aggregation commands: an aggregation directory's verifier (`zkinfer solidity
//! --aggregate`), its deployment with a `BatchInference`, and submissions to it.

use super::{Placement, SolidityOutput};
use crate::aggregate::AggregateSettings;
use crate::error::Result;
use crate::evm;
use std::path::Path;

/// `zkinfer solidity --aggregate`: the verifier of an aggregation directory's aggregates
/// (`evm::aggregate`), written to `DIR/<Name>.sol` and compiled with the consumers.
pub fn solidity_aggregate(dir: &Path, out: &Path, name: &str, least: Placement) -> Result<SolidityOutput> {
    let s = render_aggregate(dir, &out.join(format!("{name}.sol")), name, least)?;
    s.write()?;
    Ok(s)
}

/// The aggregate's verifier rendered and compiled, nothing written.
pub fn render_aggregate(dir: &Path, path: &Path, name: &str, least: Placement) -> Result<SolidityOutput> {
    render_with(dir, &AggregateSettings::load(dir)?, path, name, least)
}

/// [`render_aggregate`] with the directory's settings already loaded.
fn render_with(
    dir: &Path,
    settings: &AggregateSettings,
    path: &Path,
    name: &str,
    least: Placement,
) -> Result<SolidityOutput> {
    evm::check_contract_name(name)?;
    let (params, vk) = crate::aggregate::load_vk(dir, settings)?;
    let (verifier, contracts) =
        evm::fit_with(name, least, true, |p| evm::aggregate::solidity(name, settings, &vk, &params, p))?;
    Ok(SolidityOutput { verifier, contracts, path: path.into(), settings: None })
}

/// `zkinfer deploy AGG/`: the aggregate's verifier and a `BatchInference` pinned to its
/// `AGGREGATE_HASH`, recorded in `AGG/deployment.json`.
pub async fn deploy_batch(
    dir: &Path,
    cfg: &crate::chain::ClientConfig,
    least: Placement,
    allow_unbound_weights: bool,
) -> Result<(crate::chain::batch::BatchDeployment, SolidityOutput)> {
    let settings = AggregateSettings::load(dir)?;
    let out = render_with(dir, &settings, &dir.join("solidity/AggregateVerifier.sol"), "AggregateVerifier", least)?;
    let client = crate::chain::Client::connect_with(cfg).await?;
    let code = out.verifier_code()?;
    let d = client
        .deploy_batch(code, out.bytecode("BatchInference")?, &settings.aggregate_hash, allow_unbound_weights)
        .await?;
    crate::compile::write_json(&dir.join("deployment.json"), &d)?;
    out.write()?;
    Ok((d, out))
}

/// `zkinfer submit AGG/ PROOF`: the aggregate proof to the deployment's (or `address`'s)
/// `BatchInference`, after the checks `zkinfer verify` makes that the contract would revert on.
pub async fn submit_batch(
    dir: &Path,
    path: &Path,
    cfg: &crate::chain::ClientConfig,
    address: Option<alloy::primitives::Address>,
) -> Result<crate::chain::Submitted> {
    let settings = AggregateSettings::load(dir)?;
    let proof = crate::aggregate::AggregateProof::read(path)?;
    proof.check_aggregate(path, &settings)?;
    settings.check_statement(&proof.instance_fields()?)?;
    let client = crate::chain::Client::connect_with(cfg).await?;
    let consumer = match address {
        Some(a) => a,
        None => {
            let d = crate::chain::batch::BatchDeployment::load(dir)?;
            client.ensure_chain(d.chain_id, "the chain `zkinfer deploy AGG/` deployed to")?;
            d.consumer
        }
    };
    let instances = crate::chain::instances_u256(&proof.instances)?;
    client.submit_batch(consumer, &proof.proof_bytes()?, &instances).await
}
