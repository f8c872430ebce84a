//! Batches on chain: an aggregate's verifier (`zkinfer solidity --aggregate`) and a consumer
//! pinned to its `AGGREGATE_HASH` (`BatchInference`, or the feed-bound `BatchForecastVault`),
//! deployed together; one transaction then verifies an aggregate and settles every slot.

use super::feed::{FeedParams, VaultParams};
use super::{Client, DeployedKey, Submitted, VerifierCode};
use crate::error::{Error, Result};
use alloy::primitives::{Address, Bytes, FixedBytes, I256, U256};
use alloy::sol;
use alloy::sol_types::SolEvent;
use alloy::sol_types::SolValue;
use std::path::Path;

sol! {
    #[sol(rpc)]
    contract BatchInference {
        function submitBatch(bytes calldata proof, uint256[] calldata instances) external returns (uint256 recorded);
        function latestOutputs(uint256 slot) external view returns (int256[] memory);
        function latestBlock(uint256 slot) external view returns (uint256);
        function batches() external view returns (uint256);
        function aggregateHash() external view returns (bytes32);
        event InferenceVerified(address indexed submitter, uint256 indexed slot, bytes32 indexed modelHash, bytes32 inputsHash, int256[] outputs, uint256 blockNumber);
        event InferenceSkipped(uint256 indexed slot, bytes32 statement);
    }

    #[sol(rpc)]
    contract BatchForecastVault {
        function submitBatch(bytes calldata proof, uint80[] calldata endRounds, uint256[] calldata instances) external;
        function batches() external view returns (uint256);
        event ForecastSettled(uint256 indexed slot, uint80 indexed endRound, int256 price, int256 forecast, uint256 updatedAt);
    }
}

/// What `zkinfer deploy AGG/` deployed, saved as `AGG/deployment.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchDeployment {
    /// The aggregate verifier.
    pub verifier: Address,
    /// The `BatchInference` consumer: where aggregates are submitted.
    pub consumer: Address,
    /// Gas of the verifier's and the consumer's deployments.
    pub verifier_gas: u64,
    /// See `verifier_gas`.
    pub consumer_gas: u64,
    /// The chain deployed on.
    pub chain_id: u64,
    /// The `AGGREGATE_HASH` the consumer pins.
    pub aggregate_hash: String,
    /// The verifier's key contract, when its key is data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<DeployedKey>,
    /// The verifier's identities contract, when they run there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities: Option<DeployedKey>,
}

impl BatchDeployment {
    /// Reads `AGG/deployment.json`.
    pub fn load(dir: &Path) -> Result<BatchDeployment> {
        let path = dir.join("deployment.json");
        if !path.exists() {
            return Err(Error::MissingArtifact {
                what: "deployment.json".into(),
                dir: dir.into(),
                hint: "zkinfer deploy AGG/".into(),
            });
        }
        crate::compile::read_json_as(&path, "batch deployment record", "; run `zkinfer deploy AGG/` again")
    }
}

/// A digest string (0x-hex) as bytes32.
fn word(hex: &str) -> Result<FixedBytes<32>> {
    hex.parse().map_err(|e| Error::value("aggregate hash", hex, format!("is not 32 bytes of hex: {e}")))
}

impl Client {
    /// Deploys the aggregate verifier (after its key and identities contracts, if any) and a
    /// `BatchInference` pinned to `aggregate_hash` (its constructor refuses another verifier,
    /// and one with a private-weights slot unless `allow_unbound_weights`).
    pub async fn deploy_batch(
        &self,
        verifier: VerifierCode,
        consumer_code: Vec<u8>,
        aggregate_hash: &str,
        allow_unbound_weights: bool,
    ) -> Result<BatchDeployment> {
        let pin = word(aggregate_hash)?;
        self.deploy_pinned(verifier, aggregate_hash, |v| {
            let mut code = consumer_code;
            code.extend_from_slice(&(v, pin, allow_unbound_weights).abi_encode_params());
            code
        })
        .await
    }

    /// Deploys the aggregate verifier and a `BatchForecastVault` pinned to `aggregate_hash`,
    /// reading its windows from `feed` and setting its tiers by `policy`.
    pub async fn deploy_batch_vault(
        &self,
        verifier: VerifierCode,
        vault_code: Vec<u8>,
        aggregate_hash: &str,
        feed: &FeedParams,
        policy: VaultParams,
    ) -> Result<BatchDeployment> {
        let pin = word(aggregate_hash)?;
        let cfg = (feed.feed, U256::from(feed.window), U256::from(feed.price_unit), U256::from(feed.max_price_age));
        let (move_bps, validity) = (U256::from(policy.move_bps), U256::from(policy.risk_validity));
        self.deploy_pinned(verifier, aggregate_hash, |v| {
            let mut code = vault_code;
            code.extend_from_slice(&(v, pin, cfg, move_bps, validity).abi_encode_params());
            code
        })
        .await
    }

    /// The verifier, then the consumer whose creation code (with its constructor arguments)
    /// `consumer` makes from the verifier's address.
    async fn deploy_pinned(
        &self,
        verifier: VerifierCode,
        aggregate_hash: &str,
        consumer: impl FnOnce(Address) -> Vec<u8>,
    ) -> Result<BatchDeployment> {
        let v = self.deploy_verifier(verifier).await?;
        let (consumer, consumer_gas) = self.deploy(consumer(v.verifier)).await?;
        Ok(BatchDeployment {
            verifier: v.verifier,
            consumer,
            verifier_gas: v.gas,
            consumer_gas,
            chain_id: self.chain_id,
            aggregate_hash: aggregate_hash.into(),
            key: v.key,
            identities: v.identities,
        })
    }

    /// Submits an aggregate of forecasts to a `BatchForecastVault`: slot i's window ends at
    /// `end_rounds[i]`. The outputs are each slot's settled forecast, in slot order.
    pub async fn submit_batch_bound(
        &self,
        vault: Address,
        proof: &[u8],
        end_rounds: &[u128],
        instances: &[U256],
    ) -> Result<Submitted> {
        let rounds = end_rounds
            .iter()
            .map(|&r| {
                alloy::primitives::Uint::<80, 2>::try_from(r).map_err(|_| {
                    Error::value(
                        "end round",
                        &r.to_string(),
                        "is not a feed round id (they are below 2^80): give a round the feed reported",
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.ensure_contract(vault, "the batch vault").await?;
        let tx = BatchForecastVault::new(vault, &self.provider)
            .submitBatch(Bytes::copy_from_slice(proof), rounds, instances.to_vec())
            .into_transaction_request();
        let receipt = self.send("submitBatch", tx).await?;
        let mut s = super::submitted(&receipt);
        for log in receipt.inner.logs() {
            if let Ok(e) = BatchForecastVault::ForecastSettled::decode_log(&log.inner) {
                s.outputs.push(e.forecast.to_string());
                s.events.push(format!(
                    "ForecastSettled(slot {}, round {}, price {}, forecast {})",
                    e.slot,
                    super::round_name(e.endRound.to::<u128>()),
                    e.price,
                    e.forecast
                ));
            }
        }
        Ok(s)
    }

    /// Submits an aggregate to a `BatchInference`; the outputs are those of every slot's
    /// `InferenceVerified`, in slot order.
    pub async fn submit_batch(&self, consumer: Address, proof: &[u8], instances: &[U256]) -> Result<Submitted> {
        self.ensure_contract(consumer, "the batch consumer").await?;
        let tx = BatchInference::new(consumer, &self.provider)
            .submitBatch(Bytes::copy_from_slice(proof), instances.to_vec())
            .into_transaction_request();
        let receipt = self.send("submitBatch", tx).await?;
        let mut s = super::submitted(&receipt);
        for log in receipt.inner.logs() {
            if let Ok(e) = BatchInference::InferenceVerified::decode_log(&log.inner) {
                let o: Vec<String> = e.outputs.iter().map(|v| v.to_string()).collect();
                s.outputs.push(format!("slot {}: [{}]", e.slot, o.join(", ")));
                s.events.push(format!(
                    "InferenceVerified(slot {}, outputs = [{}], block {})",
                    e.slot,
                    o.join(", "),
                    e.blockNumber
                ));
            }
        }
        Ok(s)
    }

    /// A slot's stored outputs and the block they were stored in.
    pub async fn batch_latest(&self, consumer: Address, slot: usize) -> Result<(Vec<I256>, u64)> {
        let outs = self.view(consumer, BatchInference::latestOutputsCall { slot: U256::from(slot) }).await?;
        let block = self.view(consumer, BatchInference::latestBlockCall { slot: U256::from(slot) }).await?;
        Ok((outs, block.to::<u64>()))
    }
}
