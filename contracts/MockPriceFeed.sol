// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// A Chainlink-style feed whose owner pushes answers: the bot's and the tests' stand-in for a
/// real oracle. Like a Chainlink proxy it has phases (a phase is one underlying aggregator):
/// round ids are `phaseId << 64 | aggregatorRound`, aggregator rounds count from 1 in each
/// phase, the first phase is 1, and `newPhase` switches to a fresh aggregator (its rounds
/// restart at 1). Rounds of earlier phases stay readable through `getRoundData`; a round that
/// does not exist reverts (`NoSuchRound`), as Chainlink's older aggregators do.
contract MockPriceFeed is AggregatorV3Interface {
    address public immutable owner;
    uint8 public immutable override decimals;
    uint16 public phaseId = 1;
    mapping(uint16 => int256[]) internal answers;
    mapping(uint16 => uint256[]) internal times;

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event PhaseChanged(uint16 phaseId);

    error NotOwner();
    error NoSuchRound(uint80 roundId);

    constructor(uint8 decimals_) {
        owner = msg.sender;
        decimals = decimals_;
    }

    function push(int256 answer) public {
        if (msg.sender != owner) revert NotOwner();
        uint16 phase = phaseId;
        answers[phase].push(answer);
        times[phase].push(block.timestamp);
        emit AnswerUpdated(answer, (uint256(phase) << 64) | answers[phase].length, block.timestamp);
    }

    function pushMany(int256[] calldata series) external {
        for (uint256 i = 0; i < series.length; i++) push(series[i]);
    }

    /// Switches to a new aggregator: the next answer is round (phaseId + 1) << 64 | 1.
    function newPhase() external {
        if (msg.sender != owner) revert NotOwner();
        phaseId += 1;
        emit PhaseChanged(phaseId);
    }

    /// Rounds in `phase` so far.
    function roundsInPhase(uint16 phase) external view returns (uint256) {
        return answers[phase].length;
    }

    /// The latest round of the current phase (reverts if the phase has none yet).
    function latestRound() public view returns (uint80) {
        uint16 phase = phaseId;
        uint256 n = answers[phase].length;
        if (n == 0) revert NoSuchRound(uint80(phase) << 64);
        return (uint80(phase) << 64) | uint80(n);
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latestRound());
    }

    function getRoundData(uint80 roundId) public view override returns (uint80, int256, uint256, uint256, uint80) {
        uint256 phase = roundId >> 64;
        uint256 agg = uint64(roundId);
        if (phase == 0 || phase > phaseId || agg == 0 || agg > answers[uint16(phase)].length) revert NoSuchRound(roundId);
        uint256 t = times[uint16(phase)][agg - 1];
        return (roundId, answers[uint16(phase)][agg - 1], t, t, roundId);
    }
}
