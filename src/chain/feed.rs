//! On-chain input binding: a Chainlink-style price feed, the consumers that read their inputs
//! from it (`FeedBoundInference`, `ForecastVault`), and the quantisation both sides must agree on.

use super::{submitted, Client, Submitted};
use crate::error::{Error, Result};
use alloy::primitives::{Address, Bytes, I256, U256};
use alloy::sol;
use alloy::sol_types::SolValue;

sol! {
    #[sol(rpc)]
    contract MockPriceFeed {
        function push(int256 answer) external;
        function pushMany(int256[] calldata series) external;
        function decimals() external view returns (uint8);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function getRoundData(uint80 roundId) external view returns (uint80 roundId_, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }

    #[sol(rpc)]
    contract FeedBoundInference {
        function submit(bytes calldata proof, uint256[] calldata tail) external returns (int256[] memory outputs);
        function currentInputs() external view returns (uint256[] memory inputs, uint80 latest);
        function quantise(int256 answer) external view returns (int256);
        function consumedRound() external view returns (uint80);
        function window() external view returns (uint256);
        function priceUnit() external view returns (uint256);
    }

    #[sol(rpc)]
    contract ForecastVault {
        function ltvBps() external view returns (uint256);
        function feeBps() external view returns (uint256);
        function lastForecast() external view returns (int256);
        function lastPrice() external view returns (int256);
        function maxBorrow(uint256 collateralValue) external view returns (uint256);
        event RiskUpdated(int256 forecast, int256 lastPrice, int256 changeBps, uint256 ltvBps, uint256 feeBps);
    }
}

/// round(answer · 2^scale_bits / price_unit), halves away from zero: the fixed-point value the
/// circuit gives the real number `answer / price_unit`. `FeedBoundInference.quantise` computes
/// the same in Solidity; a proof is accepted only if both sides agree on every input.
pub fn quantise(answer: i128, scale_bits: u32, price_unit: u128) -> i128 {
    let magnitude = answer.unsigned_abs();
    let q = ((2 * (magnitude << scale_bits) + price_unit) / (2 * price_unit)) as i128;
    if answer < 0 { -q } else { q }
}

/// The model input whose quantisation is exactly `q` (an f32 is exact for |q| < 2^24).
pub fn model_input(q: i128, scale_bits: u32) -> Result<f32> {
    if q.unsigned_abs() >= 1 << 24 {
        return Err(Error::Other(format!(
            "price quantises to {q}, beyond what an f32 model input holds exactly; use a larger price unit"
        )));
    }
    Ok(q as f32 / (1u64 << scale_bits) as f32)
}

/// A public value (a BN254 scalar) as the signed integer it stands for; values beyond i128
/// (never a quantised input) come back as i128::MAX.
pub fn signed(v: U256) -> i128 {
    let r = U256::from_str_radix(crate::evm::verifier::R_HEX, 16).expect("R_HEX is hex");
    let s = if v > (r - U256::from(1)) / U256::from(2) { -I256::from_raw(r - v) } else { I256::from_raw(v) };
    i128::try_from(s).unwrap_or(i128::MAX)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct VaultState {
    pub ltv_bps: u64,
    pub fee_bps: u64,
    pub last_forecast: i128,
    pub last_price: i128,
    pub consumed_round: u64,
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

    /// The feed's last `window` answers, oldest first, and the latest round id.
    pub async fn read_window(&self, feed: Address, window: usize) -> Result<(Vec<i128>, u64)> {
        let latest = self.view(feed, MockPriceFeed::latestRoundDataCall {}).await?.roundId.to::<u64>();
        if (latest as usize) < window {
            return Err(Error::Chain(format!("the feed {feed} has {latest} rounds, fewer than the model's window of {window}")));
        }
        let mut answers = Vec::with_capacity(window);
        for round in latest + 1 - window as u64..=latest {
            let r = self.view(feed, MockPriceFeed::getRoundDataCall { roundId: alloy::primitives::Uint::from(round) }).await?;
            answers.push(i128::try_from(r.answer).map_err(|_| Error::Chain(format!("round {round}: answer out of range")))?);
        }
        Ok((answers, latest))
    }

    /// Deploys a feed-bound consumer: `FeedBoundInference(verifier, feed, window, priceUnit)`, or
    /// with `move_bps` a `ForecastVault(…, moveBps)`.
    pub async fn deploy_bound(
        &self,
        code: Vec<u8>,
        verifier: Address,
        feed: Address,
        window: usize,
        price_unit: u128,
        move_bps: Option<u64>,
    ) -> Result<(Address, u64)> {
        let mut code = code;
        let (w, unit) = (U256::from(window), U256::from(price_unit));
        code.extend_from_slice(&match move_bps {
            Some(m) => (verifier, feed, w, unit, U256::from(m)).abi_encode_params(),
            None => (verifier, feed, w, unit).abi_encode_params(),
        });
        self.deploy(code).await
    }

    /// The public inputs the consumer will verify a proof against right now, as signed
    /// fixed-point integers, and the feed round they end at.
    pub async fn bound_inputs(&self, consumer: Address) -> Result<(Vec<i128>, u64)> {
        let r = self.view(consumer, FeedBoundInference::currentInputsCall {}).await?;
        let inputs = r.inputs.iter().map(|&v| signed(v)).collect();
        Ok((inputs, r.latest.to::<u64>()))
    }

    /// Submits a proof to a feed-bound consumer: `tail` is the public values after the inputs
    /// (the contract supplies the inputs from the feed).
    pub async fn submit_bound(&self, consumer: Address, proof: &[u8], tail: &[U256]) -> Result<Submitted> {
        let tx = FeedBoundInference::new(consumer, &self.provider)
            .submit(Bytes::copy_from_slice(proof), tail.to_vec())
            .into_transaction_request();
        Ok(submitted(&self.send("submit", tx).await?))
    }

    pub async fn vault_state(&self, vault: Address) -> Result<VaultState> {
        use ForecastVault as V;
        let int = |x: I256| i128::try_from(x).unwrap_or_default();
        Ok(VaultState {
            ltv_bps: self.view(vault, V::ltvBpsCall {}).await?.to::<u64>(),
            fee_bps: self.view(vault, V::feeBpsCall {}).await?.to::<u64>(),
            last_forecast: int(self.view(vault, V::lastForecastCall {}).await?),
            last_price: int(self.view(vault, V::lastPriceCall {}).await?),
            consumed_round: self.view(vault, FeedBoundInference::consumedRoundCall {}).await?.to::<u64>(),
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
        let q = quantise(2_000_12345678, 12, 100_000_000_000);
        let x = model_input(q, 12).unwrap();
        assert_eq!(crate::quant::quantize(x, 4096.0), q as i64);
        assert!(model_input(1 << 24, 12).is_err());
    }
}
