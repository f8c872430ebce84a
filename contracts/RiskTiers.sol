// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A lending vault's risk policy driven by a price forecast, shared by `ForecastVault` (one
/// proof per forecast) and `BatchForecastVault` (an aggregate of several).
///
/// Policy: a forecast drop of `moveBps` or more → defensive (LTV 60 %, fee 0.50 %); a rise of
/// `moveBps` or more → LTV 80 %, fee 0.10 %; otherwise LTV 75 %, fee 0.30 %. A forecast sets the
/// tier for `riskValidity` seconds from the update time of the newest price it read; after that,
/// and before the first forecast (or after a verifier change), the vault is defensive. Submitting
/// is open to anyone, so withholding unfavourable forecasts buys at most `riskValidity` of a
/// stale tier, never more than the latest fresh forecast allows.
abstract contract RiskTiers {
    uint256 public constant DEFENSIVE_LTV_BPS = 6000;
    uint256 public constant DEFENSIVE_FEE_BPS = 50;
    uint256 public constant NEUTRAL_LTV_BPS = 7500;
    uint256 public constant NEUTRAL_FEE_BPS = 30;
    uint256 public constant GENEROUS_LTV_BPS = 8000;
    uint256 public constant GENEROUS_FEE_BPS = 10;
    /// |forecast| and |price| above this are refused (`ForecastOutOfRange`) rather than overflow.
    int256 internal constant MAX_MAGNITUDE = 2 ** 200;

    uint256 public immutable moveBps;
    uint256 public immutable riskValidity;
    /// The tier the latest forecast set (in force until `riskValidUntil`).
    uint256 public forecastLtvBps;
    uint256 public forecastFeeBps;
    uint256 public riskValidUntil;
    int256 public lastForecast;
    int256 public lastPrice;

    event RiskUpdated(int256 forecast, int256 lastPrice, int256 changeBps, uint256 ltvBps, uint256 feeBps, uint256 validUntil);

    error ZeroRiskValidity();
    error ForecastOutOfRange(int256 forecast, int256 price);

    constructor(uint256 moveBps_, uint256 riskValidity_) {
        if (riskValidity_ == 0) revert ZeroRiskValidity();
        moveBps = moveBps_;
        riskValidity = riskValidity_;
    }

    /// True while the latest forecast's tier is in force.
    function riskFresh() public view returns (bool) {
        return block.timestamp <= riskValidUntil;
    }

    /// The loan-to-value ratio in force now: the latest forecast's while fresh, else defensive.
    function ltvBps() public view returns (uint256) {
        return riskFresh() ? forecastLtvBps : DEFENSIVE_LTV_BPS;
    }

    function feeBps() public view returns (uint256) {
        return riskFresh() ? forecastFeeBps : DEFENSIVE_FEE_BPS;
    }

    /// How much may be borrowed against `collateralValue` now.
    function maxBorrow(uint256 collateralValue) external view returns (uint256) {
        return (collateralValue * ltvBps()) / 10_000;
    }

    /// The tier a forecast of `forecast` after a last price of `price` sets, and the change in bps.
    function tierOf(int256 forecast, int256 price) public view returns (uint256 ltv, uint256 fee, int256 change) {
        if (forecast > MAX_MAGNITUDE || forecast < -MAX_MAGNITUDE || price > MAX_MAGNITUDE || price < -MAX_MAGNITUDE) {
            revert ForecastOutOfRange(forecast, price);
        }
        change = price == 0 ? int256(0) : ((forecast - price) * 10_000) / (price < 0 ? -price : price);
        int256 move = int256(moveBps);
        if (change <= -move) {
            (ltv, fee) = (DEFENSIVE_LTV_BPS, DEFENSIVE_FEE_BPS);
        } else if (change >= move) {
            (ltv, fee) = (GENEROUS_LTV_BPS, GENEROUS_FEE_BPS);
        } else {
            (ltv, fee) = (NEUTRAL_LTV_BPS, NEUTRAL_FEE_BPS);
        }
    }

    /// Puts in force the tier of `forecast` after `price`, for `riskValidity` from `updatedAt`
    /// (the update time of the newest price the forecast read).
    function _setRisk(int256 forecast, int256 price, uint256 updatedAt) internal {
        (uint256 ltv, uint256 fee, int256 change) = tierOf(forecast, price);
        uint256 validUntil = updatedAt + riskValidity;
        (forecastLtvBps, forecastFeeBps, riskValidUntil) = (ltv, fee, validUntil);
        lastForecast = forecast;
        lastPrice = price;
        emit RiskUpdated(forecast, price, change, ltv, fee, validUntil);
    }

    /// Defensive until the next accepted forecast.
    function _lapseRisk() internal {
        riskValidUntil = 0;
        (forecastLtvBps, forecastFeeBps) = (DEFENSIVE_LTV_BPS, DEFENSIVE_FEE_BPS);
    }
}
