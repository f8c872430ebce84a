//! One verifier per architecture: a `WEIGHTS_REGISTERED` verifier generated from a
//! hashed-weights build (`evm::registered`), a `ModelRegistry` naming each weight set's
//! commitment by a write-once id, and `RegisteredInference` consumers that each name one id.
//! Deploying a model of an architecture that already has a verifier then costs one transaction
//! (a registry entry) instead of a verifier.

use super::{Client, DeployedKey, VerifierCode};
use crate::error::{Error, Result};
use alloy::primitives::{Address, FixedBytes, U256};
use alloy::providers::Provider;
use alloy::sol;
use std::path::Path;

sol! {
    #[sol(rpc)]
    contract ModelRegistry {
        function VERIFIER() external view returns (address);
        function ARCHITECTURE() external view returns (bytes32);
        function owner() external view returns (address);
        function register(bytes32 id, uint256 commitment, bytes32 modelHash) external;
        function retire(bytes32 id) external;
        function commitmentOf(bytes32 id) external view returns (uint256);
        function isLive(bytes32 id) external view returns (bool);
        function taken(bytes32 id) external view returns (bool);
        event ModelRegistered(bytes32 indexed id, uint256 commitment, bytes32 modelHash);
        event ModelRetired(bytes32 indexed id, uint256 commitment);
    }
}

/// What `zkinfer registry deploy` deployed, saved as `registry.json` in the build directory.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RegistryDeployment {
    /// The `ModelRegistry`.
    pub registry: Address,
    /// The architecture verifier it serves.
    pub verifier: Address,
    /// The verifier's `MODEL_HASH`: the architecture.
    pub architecture: String,
    /// The chain both are on.
    pub chain_id: u64,
    /// Gas the verifier's deployment used.
    pub verifier_gas: u64,
    /// Gas the registry's deployment used.
    pub registry_gas: u64,
    /// The verifier's key contract, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<DeployedKey>,
    /// The verifier's identities contract, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities: Option<DeployedKey>,
}

impl RegistryDeployment {
    /// Reads `registry.json` from a build directory.
    pub fn load(dir: &Path) -> Result<RegistryDeployment> {
        let path = dir.join("registry.json");
        if !path.exists() {
            return Err(Error::MissingArtifact {
                what: "registry.json".into(),
                dir: dir.into(),
                hint: "zkinfer registry deploy BUILD/".into(),
            });
        }
        crate::compile::read_json_as(&path, "registry deployment", "; run `zkinfer registry deploy` again")
    }
}

/// A model id as the registry keys it: the name's UTF-8 bytes, left-aligned in 32 bytes, as
/// Solidity's `bytes32("name")`; readable in events and on explorers.
pub fn model_id(name: &str) -> Result<FixedBytes<32>> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > 32 {
        return Err(Error::Usage {
            flag: "--id".into(),
            reason: format!("{name:?} must be 1 to 32 bytes (it is stored as a bytes32)"),
        });
    }
    let mut id = [0u8; 32];
    id[..bytes.len()].copy_from_slice(bytes);
    Ok(FixedBytes(id))
}

impl Client {
    /// Deploys an architecture verifier (after its key and identities contracts) and a
    /// `ModelRegistry` serving it, owned by this client's account.
    pub async fn deploy_registry(&self, verifier: VerifierCode, registry_code: Vec<u8>) -> Result<RegistryDeployment> {
        let v = self.deploy_verifier(verifier).await?;
        let mut code = registry_code;
        code.extend_from_slice(&alloy::sol_types::SolValue::abi_encode(&v.verifier));
        let (registry, registry_gas) = self.deploy(code).await?;
        let architecture = self.view(registry, ModelRegistry::ARCHITECTURECall {}).await?.to_string();
        Ok(RegistryDeployment {
            registry,
            verifier: v.verifier,
            architecture,
            chain_id: self.chain_id,
            verifier_gas: v.gas,
            registry_gas,
            key: v.key,
            identities: v.identities,
        })
    }

    /// Registers `commitment` under `id`; returns the gas used.
    pub async fn register_model(
        &self,
        registry: Address,
        id: FixedBytes<32>,
        commitment: U256,
        model_hash: FixedBytes<32>,
    ) -> Result<u64> {
        let tx = ModelRegistry::new(registry, &self.provider)
            .register(id, commitment, model_hash)
            .into_transaction_request();
        Ok(self.send("register", tx).await?.gas_used)
    }

    /// Retires `id`: consumers naming it take no more submissions. Returns the gas used.
    pub async fn retire_model(&self, registry: Address, id: FixedBytes<32>) -> Result<u64> {
        let tx = ModelRegistry::new(registry, &self.provider).retire(id).into_transaction_request();
        Ok(self.send("retire", tx).await?.gas_used)
    }
}

/// `zkinfer registry deploy`: deploys the architecture verifier and its registry, and records
/// them in `registry.json` in the build directory.
pub async fn deploy(
    dir: &Path,
    verifier: VerifierCode,
    registry_code: Vec<u8>,
    cfg: &super::ClientConfig,
) -> Result<RegistryDeployment> {
    let client = Client::connect_with(cfg).await?;
    let d = client.deploy_registry(verifier, registry_code).await?;
    crate::compile::write_json(&dir.join("registry.json"), &d)?;
    Ok(d)
}

/// What `zkinfer registry register` did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Registered {
    /// The registry.
    pub registry: Address,
    /// The id, as the registry keys it.
    pub id: FixedBytes<32>,
    /// The build's weights commitment now named by `id`.
    pub commitment: U256,
    /// Gas the registration used.
    pub gas: u64,
}

/// Registers `pin`'s commitment under `id` in `registry`, once the registry is shown to serve
/// `pin`'s architecture (the `MODEL_HASH` of the build's architecture verifier): an entry of
/// another architecture could never verify, and would mislead whoever reads the registry.
/// `model_hash` is the build's own `MODEL_HASH`, recorded beside the entry.
pub async fn register(
    registry: Address,
    id: FixedBytes<32>,
    pin: &super::ModelPin,
    model_hash: FixedBytes<32>,
    cfg: &super::ClientConfig,
) -> Result<Registered> {
    let client = Client::connect_with(cfg).await?;
    client.ensure_contract(registry, "the registry").await?;
    let served = client.view(registry, ModelRegistry::ARCHITECTURECall {}).await?;
    if served != pin.model_hash {
        return Err(Error::Usage {
            flag: "--registry".into(),
            reason: format!(
                "{registry} serves architecture {served}, and this build's verifying key is architecture {}: \
                 register it in a registry of its own architecture (`zkinfer registry deploy` on this build)",
                pin.model_hash
            ),
        });
    }
    let gas = client.register_model(registry, id, pin.model_commitment, model_hash).await?;
    Ok(Registered { registry, id, commitment: pin.model_commitment, gas })
}

/// Deploys a `RegisteredInference` naming `id` in `registry` and records it in the build's
/// `deployment.json`, so that `zkinfer submit` finds it. `pin` is what the build says (its
/// architecture and weights commitment; the consumer's constructor checks both against the
/// registry), and `runs_as` tells whether code read from the chain is the architecture verifier
/// this build generates: a registry's verifier that is not is refused here, because the
/// consumer takes the registry's word for which verifier to call.
pub async fn deploy_consumer(
    dir: &Path,
    consumer_code: Vec<u8>,
    registry: Address,
    id: FixedBytes<32>,
    pin: &super::ModelPin,
    runs_as: &dyn Fn(&[u8]) -> bool,
    cfg: &super::ClientConfig,
) -> Result<super::Deployment> {
    let client = Client::connect_with(cfg).await?;
    client.ensure_contract(registry, "the registry").await?;
    let verifier = client.view(registry, ModelRegistry::VERIFIERCall {}).await?;
    let code = client.read("eth_getCode", || client.provider.get_code_at(verifier)).await?;
    if !runs_as(&code) {
        return Err(Error::Usage {
            flag: "--registry".into(),
            reason: format!(
                "{registry}'s verifier {verifier} does not run the architecture verifier zkinfer generates for {}: \
                 it is not this build's architecture, or not a zkinfer verifier; use a registry made with \
                 `zkinfer registry deploy` on a build of this architecture",
                dir.display()
            ),
        });
    }
    let mut code = consumer_code;
    code.extend_from_slice(&alloy::sol_types::SolValue::abi_encode_params(&(registry, id, pin.sol())));
    let (consumer, consumer_gas) = client.deploy(code).await?;
    let d = super::Deployment {
        verifier,
        consumer,
        verifier_gas: 0,
        consumer_gas,
        chain_id: client.chain_id,
        feed: None,
        binding: Some(client.verifier_binding(verifier).await?),
        key: None,
        identities: None,
    };
    crate::compile::write_json(&dir.join("deployment.json"), &d)?;
    Ok(d)
}
