//! On-chain input binding: a Chainlink-style price feed, the consumers that read their inputs
//! from it (`FeedBoundInference`, `ForecastVault`), and the quantisation both sides must agree on.

use super::{submitted, Client, Submitted};
use crate::error::{Error, Result};
use alloy::primitives::{Address, Bytes, I256, U256};
use alloy::providers::Provider;
use alloy::sol;
use alloy::sol_types::SolValue;

sol! {
    #[sol(rpc)]
    contract MockPriceFeed {
        function push(int256 answer) external;
        function pushMany(int256[] calldata series) external;
        function newPhase() external;
        function phaseId() external view returns (uint16);
        function decimals() external view returns (uint8);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function getRoundData(uint80 roundId) external view returns (uint80 roundId_, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }

    #[sol(rpc)]
    contract FeedBoundInference {
        struct ModelPin {
            bytes32 modelHash;
            uint256 modelCommitment;
            bool allowUnboundWeights;
        }
        struct FeedConfig {
            address feed;
            uint256 window;
            uint256 priceUnit;
            uint256 maxPriceAge;
        }
        function submit(bytes calldata proof, uint80 endRound, uint256[] calldata tail) external returns (int256[] memory outputs);
        function currentInputs() external view returns (uint256[] memory inputs, uint80 latest);
        function inputsAt(uint80 endRound) external view returns (uint256[] memory inputs, uint80[] memory rounds, uint256 updatedAt);
        function quantise(int256 answer) external view returns (int256);
        function consumedRound() external view returns (uint80);
        function consumedUpdatedAt() external view returns (uint256);
        function window() external view returns (uint256);
        function inputVisibility() external view returns (uint8);
        function packBits() external view returns (uint256);
        function priceUnit() external view returns (uint256);
        function maxPriceAge() external view returns (uint256);
        function feed() external view returns (address);
        event WindowConsumed(uint80 indexed endRound, uint256 updatedAt);
    }

    #[sol(rpc)]
    contract ForecastVault {
        function ltvBps() external view returns (uint256);
        function feeBps() external view returns (uint256);
        function riskFresh() external view returns (bool);
        function riskValidUntil() external view returns (uint256);
        function riskValidity() external view returns (uint256);
        function lastForecast() external view returns (int256);
        function lastPrice() external view returns (int256);
        function maxBorrow(uint256 collateralValue) external view returns (uint256);
        event RiskUpdated(int256 forecast, int256 lastPrice, int256 changeBps, uint256 ltvBps, uint256 feeBps, uint256 validUntil);
    }
}

/// Where a feed-bound consumer reads its inputs (`FeedBoundInference.FeedConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedParams {
    /// The feed contract (Chainlink `AggregatorV3Interface`).
    pub feed: Address,
    /// Answers the model reads (its number of inputs).
    pub window: usize,
    /// Feed answer units per model unit: a power of ten, at least 10^decimals.
    pub price_unit: u128,
    /// Largest age in seconds of the window's newest answer at submission.
    #[serde(default)]
    pub max_price_age: u64,
}

/// A `ForecastVault`'s policy: the move that changes the tier, and how long a forecast's tier holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VaultParams {
    /// The forecast move, in basis points of the last price, at or beyond which the tier changes.
    pub move_bps: u64,
    /// Seconds a forecast's tier holds, from the update time of the newest price it read.
    pub risk_validity: u64,
}

/// round(answer · 2^scale_bits / price_unit), halves away from zero: the fixed-point value the
/// circuit gives the real number `answer / price_unit`. `FeedBoundInference.quantise` computes
/// the same in Solidity; a proof is accepted only if both sides agree on every input.
pub fn quantise(answer: i128, scale_bits: u32, price_unit: u128) -> i128 {
    let magnitude = answer.unsigned_abs();
    let q = ((2 * (magnitude << scale_bits) + price_unit) / (2 * price_unit)) as i128;
    if answer < 0 {
        -q
    } else {
        q
    }
}

/// The model input whose quantisation is exactly `q` (an f32 is exact for |q| < 2^24).
pub fn model_input(q: i128, scale_bits: u32) -> Result<f32> {
    if q.unsigned_abs() >= 1 << 24 {
        return Err(Error::Chain(format!(
            "price quantises to {q}, beyond what an f32 model input holds exactly; use a larger price unit"
        )));
    }
    Ok(q as f32 / (1u64 << scale_bits) as f32)
}

/// A public value (a BN254 scalar) as the signed integer it stands for; values beyond i128
/// (never a quantised input) come back as i128::MAX.
pub fn signed(v: U256) -> i128 {
    let r = U256::from_str_radix(crate::field::MODULUS_HEX, 16).expect("the modulus is hex");
    let s = if v > (r - U256::from(1)) / U256::from(2) { -I256::from_raw(r - v) } else { I256::from_raw(v) };
    i128::try_from(s).unwrap_or(i128::MAX)
}

/// A `ForecastVault`'s state as its views report it, for `zkinfer` to print.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VaultState {
    /// The tier in force now (defensive once the latest forecast has expired).
    pub ltv_bps: u64,
    /// The fee in force now, in basis points (defensive once the latest forecast has expired).
    pub fee_bps: u64,
    /// Whether the latest forecast's tier still holds (`block.timestamp <= risk_valid_until`).
    pub risk_fresh: bool,
    /// Unix time until which the latest forecast's tier holds.
    pub risk_valid_until: u64,
    /// The latest accepted forecast (the model's output), in fixed point at 2^scale_bits.
    pub last_forecast: i128,
    /// The newest price that forecast read (the model's last input), in fixed point at 2^scale_bits.
    pub last_price: i128,
    /// The feed round of the last accepted inference; a proof must read a newer round.
    pub consumed_round: u128,
}

/// The round before `round` within its phase, if any (Chainlink ids: `phase << 64 | aggregator round`).
fn previous_in_phase(round: u128) -> Option<u128> {
    ((round as u64) > 1).then_some(round - 1)
}

impl Client {
    /// Deploys `MockPriceFeed` (creation code from `pipeline::solidity`) with `decimals`.
    pub async fn deploy_feed(&self, code: Vec<u8>, decimals: u8) -> Result<Address> {
        let mut code = code;
        code.extend_from_slice(&U256::from(decimals).abi_encode());
        Ok(self.deploy(code).await?.0)
    }

    /// Pushes answers to a `MockPriceFeed` in one transaction; returns the gas used.
    pub async fn push_prices(&self, feed: Address, answers: &[i128]) -> Result<u64> {
        let series: Vec<I256> = answers.iter().map(|&a| I256::try_from(a).unwrap_or_default()).collect();
        let tx = MockPriceFeed::new(feed, &self.provider).pushMany(series).into_transaction_request();
        Ok(self.send("pushMany", tx).await?.gas_used)
    }

    /// Switches a `MockPriceFeed` to a new phase (its next round is `(phase + 1) << 64 | 1`).
    pub async fn new_phase(&self, feed: Address) -> Result<u64> {
        let tx = MockPriceFeed::new(feed, &self.provider).newPhase().into_transaction_request();
        Ok(self.send("newPhase", tx).await?.gas_used)
    }

    /// The feed's latest round id.
    pub async fn latest_round(&self, feed: Address) -> Result<u128> {
        Ok(self.view(feed, MockPriceFeed::latestRoundDataCall {}).await?.roundId.to::<u128>())
    }

    /// (answer, update time) of a round, or `None` where the feed has none (reverts or is empty).
    async fn round_data(&self, feed: Address, round: u128) -> Result<Option<(i128, u64)>> {
        let call = MockPriceFeed::getRoundDataCall { roundId: alloy::primitives::Uint::from(round) };
        match self.view(feed, call).await {
            Ok(r) if r.updatedAt != U256::ZERO && r.roundId_.to::<u128>() == round => {
                let answer = i128::try_from(r.answer)
                    .map_err(|_| Error::Chain(format!("{}: answer out of range", super::round_name(round))))?;
                Ok(Some((answer, r.updatedAt.to::<u64>())))
            }
            Ok(_) | Err(Error::Reverted { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The last round of the phase whose ids start at `base | 1`, if it has any.
    async fn last_round_of(&self, feed: Address, base: u128) -> Result<Option<u128>> {
        if self.round_data(feed, base | 1).await?.is_none() {
            return Ok(None);
        }
        let (mut lo, mut hi) = (1u128, 2u128);
        while self.round_data(feed, base | hi).await?.is_some() {
            lo = hi;
            if hi == 1 << 63 {
                return Ok(Some(base | lo));
            }
            hi *= 2;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.round_data(feed, base | mid).await?.is_some() {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(Some(base | lo))
    }

    /// The round before `round`, across phases: the walk `FeedBoundInference` makes.
    pub async fn previous_round(&self, feed: Address, round: u128) -> Result<Option<u128>> {
        if let Some(r) = previous_in_phase(round) {
            return Ok(Some(r));
        }
        let mut phase = round >> 64;
        while phase > 0 {
            phase -= 1;
            if let Some(last) = self.last_round_of(feed, phase << 64).await? {
                return Ok(Some(last));
            }
        }
        Ok(None)
    }

    /// The feed's `window` answers ending at `end` (default: the latest round), oldest first,
    /// walked back through `getRoundData` across phases as the contract does; and the end round.
    pub async fn read_window(&self, feed: Address, window: usize, end: Option<u128>) -> Result<(Vec<i128>, u128)> {
        let end = match end {
            Some(e) => e,
            None => self.latest_round(feed).await?,
        };
        let mut answers = Vec::with_capacity(window);
        let mut round = Some(end);
        for i in 0..window {
            let r = round.ok_or_else(|| {
                Error::Chain(format!("the feed {feed} has fewer than {window} rounds up to {}", super::round_name(end)))
            })?;
            let (answer, _) = self
                .round_data(feed, r)
                .await?
                .ok_or_else(|| Error::Chain(format!("the feed {feed} has no answer for {}", super::round_name(r))))?;
            answers.push(answer);
            if i + 1 < window {
                round = self.previous_round(feed, r).await?;
            }
        }
        answers.reverse();
        Ok((answers, end))
    }

    /// What the consumer's constructor checks of its feed, checked before anything is deployed:
    /// a contract is there, it answers `decimals()`, and `price_unit` is a power of ten of at
    /// least 10^decimals.
    pub async fn check_feed(&self, feed: Address, price_unit: u128) -> Result<()> {
        self.ensure_contract(feed, "the feed").await?;
        let decimals = self.view(feed, MockPriceFeed::decimalsCall {}).await.map_err(|_| Error::Usage {
            flag: "--feed".into(),
            reason: format!("{feed} does not answer decimals(): give a Chainlink-style (AggregatorV3Interface) feed"),
        })?;
        let mut unit = price_unit;
        let mut exponent = 0u32;
        while unit > 1 && unit.is_multiple_of(10) {
            unit /= 10;
            exponent += 1;
        }
        if unit != 1 || exponent < decimals as u32 {
            return Err(Error::Usage {
                flag: "--price-unit".into(),
                reason: format!(
                    "{price_unit} for a feed of {decimals} decimals: give a power of ten of at least 10^{decimals} \
                     (10^{decimals} when the model reads whole units)"
                ),
            });
        }
        Ok(())
    }

    /// Deploys a feed-bound consumer: `FeedBoundInference(verifier, pin, feed)`, or with `vault`
    /// a `ForecastVault(verifier, pin, feed, moveBps, riskValidity)`.
    pub async fn deploy_bound(
        &self,
        code: Vec<u8>,
        verifier: Address,
        pin: &super::ModelPin,
        feed: &FeedParams,
        vault: Option<VaultParams>,
    ) -> Result<(Address, u64)> {
        let mut code = code;
        let cfg = (feed.feed, U256::from(feed.window), U256::from(feed.price_unit), U256::from(feed.max_price_age));
        let pin = pin.sol();
        let pin = (pin.modelHash, pin.modelCommitment, pin.allowUnboundWeights);
        code.extend_from_slice(&match vault {
            Some(v) => (verifier, pin, cfg, U256::from(v.move_bps), U256::from(v.risk_validity)).abi_encode_params(),
            None => (verifier, pin, cfg).abi_encode_params(),
        });
        self.deploy(code).await
    }

    /// The public inputs the consumer will verify a proof against if its window ends at the
    /// feed's latest round, as signed fixed-point integers, and that round.
    pub async fn bound_inputs(&self, consumer: Address) -> Result<(Vec<i128>, u128)> {
        let r = self.view(consumer, FeedBoundInference::currentInputsCall {}).await?;
        let inputs = r.inputs.iter().map(|&v| signed(v)).collect();
        Ok((inputs, r.latest.to::<u128>()))
    }

    /// The public inputs of the window ending at `end` (signed fixed point), its round ids
    /// (oldest first) and the update time of its newest answer, as the consumer computes them.
    pub async fn inputs_at(&self, consumer: Address, end: u128) -> Result<(Vec<i128>, Vec<u128>, u64)> {
        let call = FeedBoundInference::inputsAtCall { endRound: alloy::primitives::Uint::from(end) };
        let r = self.view(consumer, call).await?;
        Ok((
            r.inputs.iter().map(|&v| signed(v)).collect(),
            r.rounds.iter().map(|x| x.to::<u128>()).collect(),
            r.updatedAt.to::<u64>(),
        ))
    }

    /// The newest round, newer than the consumer's last consumed one and with a fresh answer,
    /// whose window quantises to `inputs` (a proof's inputs): the end round to submit it with.
    /// Looks back at most `limit` rounds.
    pub async fn find_end_round(&self, consumer: Address, inputs: &[i128], limit: usize) -> Result<Option<u128>> {
        use FeedBoundInference as F;
        let feed = self.view(consumer, F::feedCall {}).await?;
        let consumed = self.view(consumer, F::consumedRoundCall {}).await?.to::<u128>();
        let max_age = self.view(consumer, F::maxPriceAgeCall {}).await?.to::<u64>();
        let now =
            self.read("block", || self.provider.get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)).await?;
        let now = now.map(|b| b.header.timestamp).unwrap_or_default();
        let mut round = Some(self.latest_round(feed).await?);
        for _ in 0..limit {
            let Some(r) = round.filter(|&r| r > consumed) else { break };
            let (q, rounds, updated_at) = match self.inputs_at(consumer, r).await {
                Ok(x) => x,
                Err(Error::Reverted { .. }) => return Ok(None),
                Err(e) => return Err(e),
            };
            if now.saturating_sub(updated_at) > max_age {
                return Ok(None);
            }
            if q == inputs {
                return Ok(Some(r));
            }
            round = match rounds.len() {
                n if n >= 2 => Some(rounds[n - 2]),
                _ => self.previous_round(feed, r).await?,
            };
        }
        Ok(None)
    }

    /// The inputs a proof's public values state for a feed-bound consumer reading `window`
    /// answers, and where its tail starts: the inputs are packed when the consumer's verifier
    /// packs them (`inputVisibility`, `packBits`), else one per public value.
    pub async fn stated_inputs(
        &self,
        consumer: Address,
        window: usize,
        instances: &[U256],
    ) -> Result<(Vec<i128>, usize)> {
        use FeedBoundInference as F;
        let packed = self.view(consumer, F::inputVisibilityCall {}).await? == 3;
        if !packed {
            let n = window.min(instances.len());
            return Ok((instances[..n].iter().map(|&v| signed(v)).collect(), n));
        }
        let bits = self.view(consumer, F::packBitsCall {}).await?;
        let bits = u32::try_from(bits).ok().filter(|b| (2..=64).contains(b)).ok_or_else(|| {
            Error::Chain(format!("the consumer {consumer} reports packBits {bits}, which no zkinfer verifier has"))
        })?;
        let words = window.div_ceil(crate::circuit::packed::per_word(bits)).min(instances.len());
        use halo2_proofs::halo2curves::{bn256::Fr, ff::PrimeField};
        let fields: Vec<Fr> = instances[..words]
            .iter()
            .map(|v| Option::from(Fr::from_repr(v.to_le_bytes::<32>())))
            .collect::<Option<_>>()
            .ok_or_else(|| Error::Chain("a public value of the proof is not below the field modulus".into()))?;
        let inputs = crate::circuit::packed::unpack(&fields, window, bits).ok_or_else(|| {
            Error::Chain(format!("the proof's first {words} public values are not {window} packed inputs"))
        })?;
        Ok((inputs, words))
    }

    /// Submits a proof to a feed-bound consumer: its window ends at `end_round`; `tail` is the
    /// public values after the inputs (the contract supplies the inputs from the feed).
    pub async fn submit_bound(
        &self,
        consumer: Address,
        proof: &[u8],
        end_round: u128,
        tail: &[U256],
    ) -> Result<Submitted> {
        let round = alloy::primitives::Uint::<80, 2>::try_from(end_round).map_err(|_| Error::Usage {
            flag: "--round".into(),
            reason: format!("{end_round} is not a feed round id (they are below 2^80): give a round the feed reported"),
        })?;
        self.ensure_contract(consumer, "the consumer").await?;
        let tx = FeedBoundInference::new(consumer, &self.provider)
            .submit(Bytes::copy_from_slice(proof), round, tail.to_vec())
            .into_transaction_request();
        Ok(submitted(&self.send("submit", tx).await?))
    }

    /// Reads a vault's tier, forecast and consumed round with one view call each (not atomically).
    pub async fn vault_state(&self, vault: Address) -> Result<VaultState> {
        use ForecastVault as V;
        let int = |x: I256| i128::try_from(x).unwrap_or_default();
        Ok(VaultState {
            ltv_bps: self.view(vault, V::ltvBpsCall {}).await?.to::<u64>(),
            fee_bps: self.view(vault, V::feeBpsCall {}).await?.to::<u64>(),
            risk_fresh: self.view(vault, V::riskFreshCall {}).await?,
            risk_valid_until: self.view(vault, V::riskValidUntilCall {}).await?.to::<u64>(),
            last_forecast: int(self.view(vault, V::lastForecastCall {}).await?),
            last_price: int(self.view(vault, V::lastPriceCall {}).await?),
            consumed_round: self.view(vault, FeedBoundInference::consumedRoundCall {}).await?.to::<u128>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The integer rule equals the prover's float rule (`quant::quantize`) on the real
        /// number answer / unit, wherever that number is not within float error of a half step.
        #[test]
        fn quantise_matches_the_circuits_rounding(answer in -10i128.pow(14)..10i128.pow(14), s in 8u32..18, d in 0u32..12) {
            let unit = 10u128.pow(d);
            let exact = answer as f64 / unit as f64 * (1u64 << s) as f64;
            let frac = (exact.abs().fract() - 0.5).abs();
            prop_assume!(frac > 1e-6 && exact.abs() < 1e15);
            prop_assert_eq!(quantise(answer, s, unit), exact.round() as i128);
        }
    }

    #[test]
    fn halves_round_away_from_zero_and_inputs_are_exact() {
        assert_eq!(quantise(3, 1, 4), 2); // 1.5 → 2
        assert_eq!(quantise(-3, 1, 4), -2);
        assert_eq!(quantise(1, 1, 4), 1); // 0.5 → 1
        let q = quantise(200_012_345_678, 12, 100_000_000_000);
        let x = model_input(q, 12).unwrap();
        assert_eq!(crate::quant::quantize(x, 4096.0), q as i64);
        assert!(model_input(1 << 24, 12).is_err());
    }
}
