// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";
import {FeedBoundInference} from "./FeedBoundInference.sol";
import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// A lending vault whose risk parameters follow a verified price forecast: the model (first
/// output: the next price, in the model's units) must have run on the feed's last `window`
/// prices, so no bot can move the loan-to-value ratio or the fee by proving over prices it chose.
///
/// Policy: a forecast drop of `moveBps` or more → defensive (LTV 60 %, fee 0.50 %); a rise of
/// `moveBps` or more → LTV 80 %, fee 0.10 %; otherwise LTV 75 %, fee 0.30 %.
contract ForecastVault is FeedBoundInference {
    uint256 public immutable moveBps;
    uint256 public ltvBps = 7500;
    uint256 public feeBps = 30;
    int256 public lastForecast;
    int256 public lastPrice;

    event RiskUpdated(int256 forecast, int256 lastPrice, int256 changeBps, uint256 ltvBps, uint256 feeBps);

    constructor(IZkinferVerifier verifier_, AggregatorV3Interface feed_, uint256 window_, uint256 priceUnit_, uint256 moveBps_)
        FeedBoundInference(verifier_, feed_, window_, priceUnit_)
    {
        moveBps = moveBps_;
    }

    /// How much may be borrowed against `collateralValue` now.
    function maxBorrow(uint256 collateralValue) external view returns (uint256) {
        return (collateralValue * ltvBps) / 10_000;
    }

    function _onInference(uint256[] memory inputs, int256[] memory outputs) internal override {
        int256 price = toSigned(inputs[inputs.length - 1]);
        int256 forecast = outputs[0];
        int256 change = price == 0 ? int256(0) : ((forecast - price) * 10_000) / (price < 0 ? -price : price);
        int256 move = int256(moveBps);
        if (change <= -move) {
            (ltvBps, feeBps) = (6000, 50);
        } else if (change >= move) {
            (ltvBps, feeBps) = (8000, 10);
        } else {
            (ltvBps, feeBps) = (7500, 30);
        }
        lastForecast = forecast;
        lastPrice = price;
        emit RiskUpdated(forecast, price, change, ltvBps, feeBps);
    }
}
