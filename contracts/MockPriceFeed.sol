// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// A Chainlink-style feed whose owner pushes answers, one round each (rounds 1, 2, 3, …): the
/// bot's and the tests' stand-in for a real oracle.
contract MockPriceFeed is AggregatorV3Interface {
    address public immutable owner;
    uint8 public immutable override decimals;
    int256[] internal answers;
    uint256[] internal times;

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    error NotOwner();
    error NoSuchRound(uint80 roundId);

    constructor(uint8 decimals_) {
        owner = msg.sender;
        decimals = decimals_;
    }

    function push(int256 answer) public {
        if (msg.sender != owner) revert NotOwner();
        answers.push(answer);
        times.push(block.timestamp);
        emit AnswerUpdated(answer, answers.length, block.timestamp);
    }

    function pushMany(int256[] calldata series) external {
        for (uint256 i = 0; i < series.length; i++) push(series[i]);
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(uint80(answers.length));
    }

    function getRoundData(uint80 roundId) public view override returns (uint80, int256, uint256, uint256, uint80) {
        if (roundId == 0 || roundId > answers.length) revert NoSuchRound(roundId);
        uint256 t = times[roundId - 1];
        return (roundId, answers[roundId - 1], t, t, roundId);
    }
}
