//! The chain client (alloy): deploy a verifier and its consumer, submit proofs, read results.
//! Keys come from `PRIVATE_KEY` (Anvil's first dev key when the chain is a local Anvil and none
//! is set); they are never printed or written anywhere.

use crate::error::{Error, Result};
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, Bytes, I256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::SolEvent;
use std::path::{Path, PathBuf};

sol! {
    #[sol(rpc)]
    contract VerifiedInference {
        function submit(bytes calldata proof, uint256[] calldata instances) external returns (int256[] memory outputs);
        function latestOutputs() external view returns (int256[] memory);
        function latestBlock() external view returns (uint256);
        function submissions() external view returns (uint256);
        function modelHash() external view returns (bytes32);
        event InferenceVerified(address indexed submitter, bytes32 indexed modelHash, int256[] outputs, uint256 blockNumber);
        error InvalidProof();
    }

    #[sol(rpc)]
    contract ZkinferVerifier {
        function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
        function MODEL_HASH() external view returns (bytes32);
    }
}

/// Anvil's first pre-funded development key: public knowledge, for local chains only.
const ANVIL_DEV_KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ANVIL_CHAIN_ID: u64 = 31337;

pub const DEFAULT_RPC: &str = "http://127.0.0.1:8545";

/// RPC from the flag, else `ETH_RPC_URL`, else the local default.
pub fn rpc_url(flag: Option<&str>) -> String {
    flag.map(str::to_string)
        .or_else(|| std::env::var("ETH_RPC_URL").ok())
        .unwrap_or_else(|| DEFAULT_RPC.to_string())
}

/// Finds an anvil binary: `ANVIL`, the npm package installed by `make deps`, or PATH.
pub fn find_anvil() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("ANVIL") {
        return Some(PathBuf::from(p));
    }
    let npm = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    if npm.exists() {
        return Some(npm);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("anvil")).find(|p| p.is_file()))
}

/// Starts a local Anvil on a free port; it stops when the instance is dropped.
pub fn spawn_anvil() -> Result<AnvilInstance> {
    let path = find_anvil().ok_or_else(|| Error::Chain("anvil not found: run `make deps` or set ANVIL=/path/to/anvil".into()))?;
    Anvil::at(path).try_spawn().map_err(|e| Error::Chain(format!("could not start anvil: {e}")))
}

pub struct Client {
    pub provider: DynProvider,
    pub from: Address,
    pub chain_id: u64,
    pub rpc_url: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    pub tx_hash: String,
    pub gas_used: u64,
    pub block: u64,
    pub outputs: Vec<String>,
}

fn rpc_err(url: &str) -> impl Fn(alloy::transports::TransportError) -> Error + '_ {
    move |e| Error::Chain(format!("RPC {url}: {e}"))
}

impl Client {
    /// Connects and checks that the node answers. The key is `PRIVATE_KEY`, or Anvil's dev key on
    /// a local Anvil chain.
    pub async fn connect(url: &str) -> Result<Client> {
        let parsed: alloy::transports::http::reqwest::Url = url.parse().map_err(|e| Error::Chain(format!("bad RPC URL {url}: {e}")))?;
        let probe = ProviderBuilder::new().connect_http(parsed.clone());
        let chain_id = probe.get_chain_id().await.map_err(|e| {
            Error::Chain(format!(
                "no node answers at {url} ({e}). Start one with `anvil` (installed by `make deps` under node_modules/.bin), or pass --rpc-url / set ETH_RPC_URL"
            ))
        })?;
        let key = match std::env::var("PRIVATE_KEY") {
            Ok(k) => k,
            Err(_) if chain_id == ANVIL_CHAIN_ID => ANVIL_DEV_KEY.to_string(),
            Err(_) => return Err(Error::Chain(format!("chain {chain_id} at {url} is not a local Anvil: set PRIVATE_KEY"))),
        };
        let signer: PrivateKeySigner = key
            .trim()
            .trim_start_matches("0x")
            .parse()
            .map_err(|_| Error::Chain("PRIVATE_KEY is not a 32-byte hex key".into()))?;
        let from = signer.address();
        let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(parsed).erased();
        Ok(Client { provider, from, chain_id, rpc_url: url.to_string() })
    }

    /// Deploys creation code (constructor arguments already appended); returns address and gas.
    pub async fn deploy(&self, code: Vec<u8>) -> Result<(Address, u64)> {
        let tx = TransactionRequest::default().with_from(self.from).with_deploy_code(code);
        let pending = self.provider.send_transaction(tx).await.map_err(rpc_err(&self.rpc_url))?;
        let receipt = pending.get_receipt().await.map_err(|e| Error::Chain(format!("deployment receipt: {e}")))?;
        if !receipt.status() {
            return Err(Error::Chain(format!("deployment reverted (tx {})", receipt.transaction_hash)));
        }
        let addr = receipt.contract_address.ok_or_else(|| Error::Chain("no contract address in receipt".into()))?;
        Ok((addr, receipt.gas_used))
    }

    /// Deploys the verifier, then the consumer bound to it.
    pub async fn deploy_pair(&self, verifier_code: Vec<u8>, consumer_code: Vec<u8>) -> Result<Deployment> {
        let (verifier, verifier_gas) = self.deploy(verifier_code).await?;
        let mut code = consumer_code;
        code.extend_from_slice(&alloy::sol_types::SolValue::abi_encode(&verifier));
        let (consumer, consumer_gas) = self.deploy(code).await?;
        Ok(Deployment { verifier, consumer, verifier_gas, consumer_gas, chain_id: self.chain_id })
    }

    /// `eth_call` of `verifyProof` and its gas estimate (a whole transaction: 21,000 base and
    /// calldata included, the figure EZKL reports).
    pub async fn verify_call(&self, verifier: Address, proof: &[u8], instances: &[U256]) -> Result<(bool, u64)> {
        let v = ZkinferVerifier::new(verifier, &self.provider);
        let call = v.verifyProof(Bytes::copy_from_slice(proof), instances.to_vec());
        let ok = call.call().await.map_err(|e| Error::Chain(format!("verifyProof call: {e}")))?;
        let gas = call.estimate_gas().await.map_err(|e| Error::Chain(format!("verifyProof gas estimate: {e}")))?;
        Ok((ok, gas))
    }

    /// Submits a proof to the consumer. A revert is decoded (`InvalidProof`, or the reason string).
    pub async fn submit(&self, consumer: Address, proof: &[u8], instances: &[U256]) -> Result<Submitted> {
        let c = VerifiedInference::new(consumer, &self.provider);
        let call = c.submit(Bytes::copy_from_slice(proof), instances.to_vec());
        if let Err(e) = call.call().await {
            return Err(Error::Chain(format!("submit would revert: {}", decode_revert(&e))));
        }
        let pending = call.send().await.map_err(|e| Error::Chain(format!("submit: {}", decode_revert(&e))))?;
        let receipt = pending.get_receipt().await.map_err(|e| Error::Chain(format!("submit receipt: {e}")))?;
        if !receipt.status() {
            return Err(Error::Chain(format!("submit reverted (tx {})", receipt.transaction_hash)));
        }
        let mut outputs = vec![];
        for log in receipt.inner.logs() {
            if let Ok(ev) = VerifiedInference::InferenceVerified::decode_log(&log.inner) {
                outputs = ev.outputs.iter().map(|o| o.to_string()).collect();
            }
        }
        Ok(Submitted {
            tx_hash: receipt.transaction_hash.to_string(),
            gas_used: receipt.gas_used,
            block: receipt.block_number.unwrap_or_default(),
            outputs,
        })
    }

    /// The consumer's stored outputs and the block they were stored in.
    pub async fn latest(&self, consumer: Address) -> Result<(Vec<I256>, u64)> {
        let c = VerifiedInference::new(consumer, &self.provider);
        let outs = c.latestOutputs().call().await.map_err(|e| Error::Chain(format!("latestOutputs: {e}")))?;
        let block = c.latestBlock().call().await.map_err(|e| Error::Chain(format!("latestBlock: {e}")))?;
        Ok((outs, block.to::<u64>()))
    }
}

fn decode_revert(e: &alloy::contract::Error) -> String {
    if let Some(err) = e.as_decoded_interface_error::<VerifiedInference::VerifiedInferenceErrors>() {
        return match err {
            VerifiedInference::VerifiedInferenceErrors::InvalidProof(_) => {
                "InvalidProof(): the verifier rejected the proof or its public values".into()
            }
        };
    }
    if let Some(data) = e.as_revert_data() {
        if let Some(reason) = alloy::sol_types::decode_revert_reason(&data) {
            return reason;
        }
        return format!("reverted with data {data}");
    }
    e.to_string()
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Deployment {
    pub verifier: Address,
    pub consumer: Address,
    pub verifier_gas: u64,
    pub consumer_gas: u64,
    pub chain_id: u64,
}

/// Field elements (0x-hex) as uint256 calldata.
pub fn instances_u256(hexes: &[String]) -> Result<Vec<U256>> {
    hexes
        .iter()
        .map(|h| h.parse::<U256>().map_err(|e| Error::Other(format!("instance {h}: {e}"))))
        .collect()
}
