// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Chainlink's price-feed interface (the subset consumers read), so `FeedBoundInference` works
/// with real feeds as well as `MockPriceFeed`.
interface AggregatorV3Interface {
    function decimals() external view returns (uint8);

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80 roundId_, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
