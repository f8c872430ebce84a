//! The chain client (alloy), usable as a library: deploy a verifier and its consumer, submit
//! proofs, wait for receipts, decode events and reverts, estimate gas, read results.
//!
//! Reads are retried on transient RPC failures (`retry`); a permanent failure comes back as a
//! typed error that says what to do: [`Error::WrongChain`], [`Error::InsufficientFunds`],
//! [`Error::Reverted`] (with the contract's custom error decoded), [`Error::Rpc`]. Keys come from
//! the environment (`keys`) and are never printed or written.
//!
//! ```no_run
//! # async fn run() -> zkinfer::Result<()> {
//! use zkinfer::chain::{self, Client, ClientConfig};
//! use zkinfer::prove::ProofFile;
//! // ETH_RPC_URL and PRIVATE_KEY (or ETH_KEYSTORE + ETH_PASSWORD) from the environment.
//! let client = Client::connect_with(&ClientConfig::from_env(None)?.expect_chain(11155111)).await?;
//! let out = zkinfer::pipeline::solidity("build".as_ref(), "build/solidity".as_ref(), "ZkinferVerifier")?;
//! // The consumer pins the build's MODEL_HASH; `true` would accept a private-weights verifier.
//! let pin = chain::ModelPin::of(&zkinfer::pipeline::load("build".as_ref())?.0.settings, false)?;
//! let d = client.deploy_pair(out.verifier_code()?, out.bytecode("VerifiedInference")?, &pin).await?;
//! let proof = ProofFile::read("proof.json".as_ref())?;
//! let gas = client.estimate_submit(d.consumer, &proof.proof_bytes()?, &chain::instances_u256(&proof.instances)?).await?;
//! let s = client.submit(d.consumer, &proof.proof_bytes()?, &chain::instances_u256(&proof.instances)?).await?;
//! println!("{} used {} gas (estimated {gas}); events: {:?}", s.tx_hash, s.gas_used, s.events);
//! # Ok(()) }
//! ```

pub mod anvil;
pub mod batch;
pub mod build;
mod config;
pub mod feed;
pub mod keys;
pub mod pin;
pub mod registry;
pub mod retry;
mod revert;

pub use anvil::{find_anvil, rpc_url, spawn_anvil, stop_children, DEFAULT_RPC};
pub use config::{ClientConfig, DEFAULT_RPC_TIMEOUT};
pub use pin::{ModelPin, OnChainBinding};
pub use revert::{describe_revert, RevertData};

use crate::error::{Error, Result};
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, I256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::sol;
use alloy::sol_types::SolEvent;
use alloy::transports::TransportError;
pub use build::Deployment;
pub use keys::KeySource;
use retry::{with_retries, Idempotence, RetryPolicy};

/// A verifier's creation code, and its key and identities contracts' when it has them
/// (`zkinfer solidity --vk-contract`, `--identities-contract`).
#[derive(Clone, Debug)]
pub struct VerifierCode {
    /// The verifier's creation code, without constructor arguments.
    pub code: Vec<u8>,
    /// The key contract's creation code: deployed first, its address the verifier's argument.
    pub key: Option<Vec<u8>>,
    /// The identities contract's creation code: deployed next, its address the verifier's
    /// second argument.
    pub identities: Option<Vec<u8>>,
}

impl From<Vec<u8>> for VerifierCode {
    /// A verifier with its key written in.
    fn from(code: Vec<u8>) -> Self {
        VerifierCode { code, key: None, identities: None }
    }
}

/// Where a verifier (and its key and identities contracts) landed, and what each deployment used.
#[derive(Clone, Copy, Debug)]
pub struct DeployedVerifier {
    /// The verifier's address.
    pub verifier: Address,
    /// Gas the verifier's deployment used.
    pub gas: u64,
    /// The key contract, when the key is data.
    pub key: Option<DeployedKey>,
    /// The identities contract, when the identities run there.
    pub identities: Option<DeployedKey>,
}

/// A contract a verifier pins by code hash (its key or identities contract) as deployed.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct DeployedKey {
    /// The contract's address, which the verifier pins by code hash.
    pub address: Address,
    /// Gas its deployment used.
    pub gas: u64,
}

sol! {
    #[sol(rpc)]
    contract VerifiedInference {
        struct ModelPin {
            bytes32 modelHash;
            uint256 modelCommitment;
            bool allowUnboundWeights;
        }
        function submit(bytes calldata proof, uint256[] calldata instances) external returns (int256[] memory outputs);
        function latestOutputs() external view returns (int256[] memory);
        function latestBlock() external view returns (uint256);
        function latestInputsHash() external view returns (bytes32);
        function submissions() external view returns (uint256);
        function accepted(bytes32 statement) external view returns (bool);
        function modelHash() external view returns (bytes32);
        function modelCommitment() external view returns (uint256);
        function weightsMode() external view returns (uint8);
        function verifier() external view returns (address);
        function owner() external view returns (address);
        function pendingOwner() external view returns (address);
        function pendingVerifier() external view returns (address);
        function pendingEta() external view returns (uint256);
        function UPGRADE_DELAY() external view returns (uint256);
        function proposeVerifier(address next, ModelPin calldata pin) external;
        function cancelVerifier() external;
        function acceptVerifier() external;
        function transferOwnership(address next) external;
        function acceptOwnership() external;
        event InferenceVerified(address indexed submitter, bytes32 indexed modelHash, bytes32 inputsHash, int256[] outputs, uint256 blockNumber);
        event VerifierProposed(address indexed next, bytes32 modelHash, uint256 modelCommitment, bool allowUnboundWeights, uint256 eta);
        event VerifierProposalCancelled(address indexed next);
        event VerifierUpgraded(address indexed previous, address indexed next, bytes32 modelHash, uint256 modelCommitment);
        event OwnershipTransferStarted(address indexed previous, address indexed next);
        event OwnershipTransferred(address indexed previous, address indexed next);
    }

    #[sol(rpc)]
    contract ZkinferVerifier {
        function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
        function MODEL_HASH() external view returns (bytes32);
        function MODEL_COMMITMENT() external view returns (uint256);
        function WEIGHTS_MODE() external view returns (uint8);
        function INPUT_VISIBILITY() external view returns (uint8);
        function OUTPUT_VISIBILITY() external view returns (uint8);
        function NUM_PUBLIC_INPUTS() external view returns (uint256);
        function NUM_OUTPUTS() external view returns (uint256);
    }
}

/// A feed round id in words: `phase P round A` (Chainlink's id is `P << 64 | A`).
pub fn round_name(round: u128) -> String {
    format!("phase {} round {}", round >> 64, round as u64)
}

/// `url` with any `user:password@` replaced by `***@`, for messages (a provider's URL often
/// carries an API key there). Keys in the path (`/v3/KEY`) are the provider's convention and
/// stay: the user needs them to tell endpoints apart.
pub fn redacted_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 && !url[s + 3..at].contains('/') => {
            format!("{}***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// A connected client: a signing provider, checked to serve the expected chain, with retries and decoded reverts.
pub struct Client {
    /// The alloy provider, signing as `from`; calls made on it directly skip the client's retries and revert decoding.
    pub provider: DynProvider,
    /// The account transactions are sent from.
    pub from: Address,
    /// The chain the node serves, checked at connect time.
    pub chain_id: u64,
    /// The endpoint, named in error messages.
    pub rpc_url: String,
    /// How transient RPC failures are retried.
    pub retry: RetryPolicy,
    /// How long a sent transaction may wait for its receipt: a transaction stuck in the mempool
    /// (or a node that never reports it) must not hang the CLI.
    pub receipt_timeout: std::time::Duration,
}

/// A mined, successful transaction and what it emitted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    /// The transaction hash, 0x-hex.
    pub tx_hash: String,
    /// Gas the transaction used.
    pub gas_used: u64,
    /// The block it was mined in.
    pub block: u64,
    /// The outputs of the `InferenceVerified` event.
    pub outputs: Vec<String>,
    /// Every event the receipt holds that these contracts define, in words.
    pub events: Vec<String>,
}

/// A receipt's events, decoded where they are ours.
pub fn decode_events(receipt: &TransactionReceipt) -> Vec<String> {
    let mut out = vec![];
    for log in receipt.inner.logs() {
        use VerifiedInference as V;
        if let Ok(e) = V::InferenceVerified::decode_log(&log.inner) {
            let o: Vec<String> = e.outputs.iter().map(|v| v.to_string()).collect();
            out.push(format!(
                "InferenceVerified(outputs = [{}], inputs hash {}, block {})",
                o.join(", "),
                e.inputsHash,
                e.blockNumber
            ));
        } else if let Ok(e) = V::VerifierProposed::decode_log(&log.inner) {
            out.push(format!("VerifierProposed({}, model {}, installable from {})", e.next, e.modelHash, e.eta));
        } else if let Ok(e) = V::VerifierProposalCancelled::decode_log(&log.inner) {
            out.push(format!("VerifierProposalCancelled({})", e.next));
        } else if let Ok(e) = V::VerifierUpgraded::decode_log(&log.inner) {
            out.push(format!("VerifierUpgraded({} → {}, model {})", e.previous, e.next, e.modelHash));
        } else if let Ok(e) = V::OwnershipTransferStarted::decode_log(&log.inner) {
            out.push(format!("OwnershipTransferStarted({} → {})", e.previous, e.next));
        } else if let Ok(e) = V::OwnershipTransferred::decode_log(&log.inner) {
            out.push(format!("OwnershipTransferred({} → {})", e.previous, e.next));
        } else if let Ok(e) = feed::FeedBoundInference::WindowConsumed::decode_log(&log.inner) {
            out.push(format!("WindowConsumed({}, updated at {})", round_name(e.endRound.to::<u128>()), e.updatedAt));
        } else if let Ok(e) = feed::ForecastVault::RiskUpdated::decode_log(&log.inner) {
            out.push(format!(
                "RiskUpdated(forecast {}, price {}, change {} bps, LTV {} bps, fee {} bps, valid until {})",
                e.forecast, e.lastPrice, e.changeBps, e.ltvBps, e.feeBps, e.validUntil
            ));
        }
    }
    out
}

impl Client {
    /// Connects with the key from the environment (or Anvil's dev key on a local Anvil).
    pub async fn connect(url: &str) -> Result<Client> {
        Self::connect_with(&ClientConfig::new(url)).await
    }

    /// Connects, checks the chain id, and sets up the signer.
    pub async fn connect_with(cfg: &ClientConfig) -> Result<Client> {
        let parsed: alloy::transports::http::reqwest::Url = cfg.rpc_url.parse().map_err(|e| Error::Usage {
            flag: "--rpc-url (or ETH_RPC_URL)".into(),
            reason: format!("{:?} is not a URL ({e}): give e.g. http://127.0.0.1:8545", redacted_url(&cfg.rpc_url)),
        })?;
        // Messages name the endpoint without the credentials a URL may carry.
        let shown = redacted_url(&cfg.rpc_url);
        let url = shown.as_str();
        let http = alloy::transports::http::reqwest::Client::builder()
            .timeout(cfg.timeout)
            .build()
            .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))?;
        let rpc = || {
            let transport = alloy::transports::http::Http::with_client(http.clone(), parsed.clone());
            let local = transport.guess_local();
            alloy::rpc::client::RpcClient::new(transport, local)
        };
        let probe = ProviderBuilder::new().connect_client(rpc());
        let chain_id = with_retries(cfg.retry, Idempotence::Read, || probe.get_chain_id(), |e: TransportError, attempts| {
            Error::Rpc {
                url: url.into(),
                what: "eth_chainId".into(),
                reason: format!(
                    "{e}. Is a node running there? Start one with `anvil` (installed by `make deps`), or pass --rpc-url / set ETH_RPC_URL"
                ),
                attempts,
            }
        })
        .await?;
        if let Some(expected) = cfg.chain_id {
            if expected != chain_id {
                return Err(Error::WrongChain {
                    url: url.into(),
                    expected,
                    got: chain_id,
                    hint: "point --rpc-url / ETH_RPC_URL at the intended chain".into(),
                });
            }
        }
        let signer = cfg.key.signer(chain_id, url)?;
        let from = signer.address();
        // Nonces are asked of the node for every transaction (not cached), so other senders
        // with the same key (a second bot, the CLI, a forge script) cannot put us out of step.
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(signer))
            .connect_client(rpc())
            .erased();
        let receipt_timeout = (cfg.timeout * 4).max(std::time::Duration::from_secs(60));
        Ok(Client { provider, from, chain_id, rpc_url: url.to_string(), retry: cfg.retry, receipt_timeout })
    }

    /// Fails with `WrongChain` unless the node serves `chain_id` (e.g. a deployment's chain).
    pub fn ensure_chain(&self, chain_id: u64, hint: &str) -> Result<()> {
        if chain_id != self.chain_id {
            return Err(Error::WrongChain {
                url: self.rpc_url.clone(),
                expected: chain_id,
                got: self.chain_id,
                hint: hint.into(),
            });
        }
        Ok(())
    }

    /// A read (call, query) with retries on transient failures.
    pub async fn read<T, E, F, Fut>(&self, what: &str, op: F) -> Result<T>
    where
        E: retry::Classify + std::fmt::Display + RevertData,
        F: FnMut() -> Fut,
        Fut: std::future::IntoFuture<Output = std::result::Result<T, E>>,
    {
        with_retries(self.retry, Idempotence::Read, op, |e: E, attempts| match e.revert_data() {
            Some(data) => Error::Reverted { what: what.into(), reason: describe_revert(&data) },
            None => Error::Rpc { url: self.rpc_url.clone(), what: what.into(), reason: e.to_string(), attempts },
        })
        .await
    }

    /// A `view` call of `call` on `to`, retried on transient failures, reverts decoded.
    pub async fn view<C: alloy::sol_types::SolCall>(&self, to: Address, call: C) -> Result<C::Return> {
        let tx = TransactionRequest::default().with_to(to).with_input(call.abi_encode());
        let raw = self.read(C::SIGNATURE, || self.provider.call(tx.clone())).await?;
        C::abi_decode_returns(&raw)
            .map_err(|e| Error::Chain(format!("{}: cannot decode the answer of {to}: {e}", C::SIGNATURE)))
    }

    /// Gas a transaction needs; a revert comes back decoded, a lack of funds as such.
    pub async fn estimate(&self, what: &str, tx: &TransactionRequest) -> Result<u64> {
        let tx = tx.clone().with_from(self.from);
        match self.read(what, || self.provider.estimate_gas(tx.clone())).await {
            Err(Error::Rpc { reason, .. }) if retry::says_insufficient_funds(&reason) => {
                let balance = self.read("balance", || self.provider.get_balance(self.from)).await?;
                Err(Error::InsufficientFunds {
                    account: self.from.to_string(),
                    what: what.into(),
                    balance: balance.to_string(),
                    detail: String::new(),
                })
            }
            r => r,
        }
    }

    /// Estimates, checks the balance covers the worst-case fee, sends, waits for the receipt.
    /// A transaction that reverts anyway (state changed in between) is replayed as a call at its
    /// block to recover the reason.
    pub async fn send(&self, what: &str, tx: TransactionRequest) -> Result<TransactionReceipt> {
        let gas = self.estimate(what, &tx).await?;
        let fees = self.read("fee estimate", || self.provider.estimate_eip1559_fees()).await?;
        let limit = gas + gas / 5;
        let needed = U256::from(limit) * U256::from(fees.max_fee_per_gas);
        let balance = self.read("balance", || self.provider.get_balance(self.from)).await?;
        if balance < needed {
            return Err(Error::InsufficientFunds {
                account: self.from.to_string(),
                what: what.into(),
                balance: balance.to_string(),
                detail: format!(" (up to {needed} wei: {limit} gas at {} wei/gas)", fees.max_fee_per_gas),
            });
        }
        let tx = tx
            .with_from(self.from)
            .with_gas_limit(limit)
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
        let pending = with_retries(
            self.retry,
            Idempotence::Send,
            || self.provider.send_transaction(tx.clone()),
            |e: TransportError, attempts| {
                if retry::says_insufficient_funds(&e.to_string()) {
                    return Error::Chain(format!(
                        "{what}: the node says account {} has insufficient funds: fund it or use another key",
                        self.from
                    ));
                }
                Error::Rpc { url: self.rpc_url.clone(), what: what.into(), reason: e.to_string(), attempts }
            },
        )
        .await?;
        let hash = *pending.tx_hash();
        let receipt = pending.with_timeout(Some(self.receipt_timeout)).get_receipt().await.map_err(|e| Error::Rpc {
            url: self.rpc_url.clone(),
            what: format!("{what} receipt (tx {hash})"),
            reason: format!(
                "{e} (waited up to {} s; the transaction may still be mined: check it with `cast receipt {hash}`)",
                self.receipt_timeout.as_secs()
            ),
            attempts: 1,
        })?;
        if !receipt.status() {
            let at = receipt.block_number.map(|b| b.saturating_sub(1)).unwrap_or_default();
            let reason = match self.provider.call(tx).block(at.into()).await {
                Err(e) => e.as_error_resp().and_then(|p| p.as_revert_data()).map(|d| describe_revert(&d)),
                Ok(_) => None,
            };
            return Err(Error::Reverted {
                what: format!("{what} (tx {hash})"),
                reason: reason.unwrap_or_else(|| "no reason recovered (out of gas, or the state changed)".into()),
            });
        }
        Ok(receipt)
    }

    /// Deploys creation code (constructor arguments already appended); returns address and gas.
    pub async fn deploy(&self, code: Vec<u8>) -> Result<(Address, u64)> {
        let tx = TransactionRequest::default().with_deploy_code(code);
        let receipt = self.send("deployment", tx).await?;
        let addr = receipt
            .contract_address
            .ok_or_else(|| Error::Chain("no contract address in the deployment receipt".into()))?;
        Ok((addr, receipt.gas_used))
    }

    /// Deploys a verifier, after its key and identities contracts when it has them (the
    /// verifier's constructor takes their addresses and refuses any of another code hash).
    pub async fn deploy_verifier(&self, v: VerifierCode) -> Result<DeployedVerifier> {
        let mut pinned = vec![];
        for code in [v.key, v.identities].into_iter().flatten() {
            let (address, gas) = self.deploy(code).await?;
            pinned.push(DeployedKey { address, gas });
        }
        let mut code = v.code;
        for p in &pinned {
            code.extend_from_slice(&alloy::sol_types::SolValue::abi_encode(&p.address));
        }
        let (verifier, gas) = self.deploy(code).await?;
        Ok(DeployedVerifier { verifier, gas, key: pinned.first().copied(), identities: pinned.get(1).copied() })
    }

    /// Deploys the verifier (and its key contract), then a `VerifiedInference` bound to it that
    /// pins `pin` (the constructor refuses a verifier reporting another model, or one that binds
    /// no weights unless `pin.allow_unbound_weights`).
    pub async fn deploy_pair(
        &self,
        verifier: impl Into<VerifierCode>,
        consumer_code: Vec<u8>,
        pin: &ModelPin,
    ) -> Result<Deployment> {
        let v = self.deploy_verifier(verifier.into()).await?;
        let mut code = consumer_code;
        code.extend_from_slice(&alloy::sol_types::SolValue::abi_encode_params(&(v.verifier, pin.sol())));
        let (consumer, consumer_gas) = self.deploy(code).await?;
        let binding = Some(self.verifier_binding(v.verifier).await?);
        Ok(Deployment {
            verifier: v.verifier,
            consumer,
            verifier_gas: v.gas,
            consumer_gas,
            chain_id: self.chain_id,
            feed: None,
            binding,
            key: v.key,
            identities: v.identities,
        })
    }

    /// What a deployed verifier says it binds (its constants).
    pub async fn verifier_binding(&self, verifier: Address) -> Result<OnChainBinding> {
        use ZkinferVerifier as Z;
        Ok(OnChainBinding {
            model_hash: self.view(verifier, Z::MODEL_HASHCall {}).await?.to_string(),
            model_commitment: format!("{:#x}", self.view(verifier, Z::MODEL_COMMITMENTCall {}).await?),
            weights_mode: self.view(verifier, Z::WEIGHTS_MODECall {}).await?,
            input_visibility: self.view(verifier, Z::INPUT_VISIBILITYCall {}).await?,
            output_visibility: self.view(verifier, Z::OUTPUT_VISIBILITYCall {}).await?,
        })
    }

    /// `eth_call` of `verifyProof` and its gas estimate (a whole transaction: 21,000 base and
    /// calldata included, the figure EZKL reports).
    pub async fn verify_call(&self, verifier: Address, proof: &[u8], instances: &[U256]) -> Result<(bool, u64)> {
        let call =
            ZkinferVerifier::verifyProofCall { proof: Bytes::copy_from_slice(proof), instances: instances.to_vec() };
        let tx =
            TransactionRequest::default().with_to(verifier).with_input(alloy::sol_types::SolCall::abi_encode(&call));
        let ok = self.view(verifier, call).await?;
        let gas = self.estimate("verifyProof", &tx).await?;
        Ok((ok, gas))
    }

    fn submit_tx(&self, consumer: Address, proof: &[u8], instances: &[U256]) -> TransactionRequest {
        VerifiedInference::new(consumer, &self.provider)
            .submit(Bytes::copy_from_slice(proof), instances.to_vec())
            .into_transaction_request()
    }

    /// Gas `submit` would use (reverts decoded).
    pub async fn estimate_submit(&self, consumer: Address, proof: &[u8], instances: &[U256]) -> Result<u64> {
        self.estimate("submit", &self.submit_tx(consumer, proof, instances)).await
    }

    /// Submits a proof and its public values to a `VerifiedInference` consumer.
    pub async fn submit(&self, consumer: Address, proof: &[u8], instances: &[U256]) -> Result<Submitted> {
        self.ensure_contract(consumer, "the consumer").await?;
        let receipt = self.send("submit", self.submit_tx(consumer, proof, instances)).await?;
        Ok(submitted(&receipt))
    }

    /// Refuses an address without code: a transaction to it would "succeed" and record nothing.
    pub async fn ensure_contract(&self, address: Address, what: &str) -> Result<()> {
        let code = self.read("eth_getCode", || self.provider.get_code_at(address)).await?;
        if code.is_empty() {
            return Err(Error::Chain(format!(
                "there is no contract at {address} on chain {}, so {what} cannot be it: give the address `zkinfer \
                 deploy` printed (or recorded in BUILD/deployment.json) and the RPC of the chain it is on",
                self.chain_id
            )));
        }
        Ok(())
    }

    /// The consumer's stored outputs and the block they were stored in.
    pub async fn latest(&self, consumer: Address) -> Result<(Vec<I256>, u64)> {
        let outs = self.view(consumer, VerifiedInference::latestOutputsCall {}).await?;
        let block = self.view(consumer, VerifiedInference::latestBlockCall {}).await?;
        Ok((outs, block.to::<u64>()))
    }
}

fn submitted(receipt: &TransactionReceipt) -> Submitted {
    let mut outputs = vec![];
    for log in receipt.inner.logs() {
        if let Ok(ev) = VerifiedInference::InferenceVerified::decode_log(&log.inner) {
            outputs = ev.outputs.iter().map(|o| o.to_string()).collect();
        }
    }
    Submitted {
        tx_hash: receipt.transaction_hash.to_string(),
        gas_used: receipt.gas_used,
        block: receipt.block_number.unwrap_or_default(),
        outputs,
        events: decode_events(receipt),
    }
}

/// Field elements (0x-hex) as uint256 calldata.
pub fn instances_u256(hexes: &[String]) -> Result<Vec<U256>> {
    hexes
        .iter()
        .enumerate()
        .map(|(i, h)| {
            h.parse::<U256>()
                .map_err(|e| Error::value(format!("public value {i}"), h, format!("is not a uint256: {e}")))
        })
        .collect()
}
