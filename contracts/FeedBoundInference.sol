// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";
import {InferenceConsumer} from "./InferenceConsumer.sol";
import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// On-chain input binding: the model's inputs are not the caller's to choose. `submit` takes
/// only the proof and the public values after the inputs (outputs, and the weights commitment
/// when weights are hashed); the inputs are the feed's last `window` answers, oldest first, each
/// quantised here exactly as the circuit quantises a real number (`quantise`). A proof over any
/// other prices fails verification, so the outputs a subcontract acts on were computed from the
/// chain's own data.
///
/// Rounds are read as `latest - window + 1 … latest`, which assumes consecutive round ids (true
/// within one phase of a Chainlink aggregator, and for `MockPriceFeed`). Each round is used for
/// one accepted inference at most, so an old proof cannot be replayed.
contract FeedBoundInference is InferenceConsumer {
    AggregatorV3Interface public immutable feed;
    /// Number of feed answers the model reads (its input length).
    uint256 public immutable window;
    /// Feed answer units per model unit: the model sees `answer / priceUnit` (e.g. 10**decimals
    /// for prices in whole dollars, 10**(decimals+3) for thousands of dollars).
    uint256 public immutable priceUnit;
    /// The latest round an accepted inference was computed on.
    uint80 public consumedRound;

    error WindowMismatch(uint256 verifierInputs, uint256 window);
    error RoundAlreadyUsed(uint80 round);
    error NotEnoughRounds(uint80 latest, uint256 window);
    error InvalidAnswer(uint80 round);

    constructor(IZkinferVerifier verifier_, AggregatorV3Interface feed_, uint256 window_, uint256 priceUnit_)
        InferenceConsumer(_checked(verifier_, window_))
    {
        if (address(feed_) == address(0) || priceUnit_ == 0) revert ZeroAddress();
        feed = feed_;
        window = window_;
        priceUnit = priceUnit_;
    }

    /// `tail`: the public values after the inputs, as `zkinfer prove` writes them.
    function submit(bytes calldata proof, uint256[] calldata tail) external returns (int256[] memory outputs) {
        (uint256[] memory inputs, uint80 round) = currentInputs();
        if (round <= consumedRound) revert RoundAlreadyUsed(round);
        uint256[] memory instances = new uint256[](inputs.length + tail.length);
        for (uint256 i = 0; i < inputs.length; i++) instances[i] = inputs[i];
        for (uint256 i = 0; i < tail.length; i++) instances[inputs.length + i] = tail[i];
        outputs = _accept(proof, instances);
        consumedRound = round;
        _onInference(inputs, outputs);
    }

    /// The public inputs a proof must be over right now (field elements), and the latest round.
    function currentInputs() public view returns (uint256[] memory inputs, uint80 latest) {
        (latest,,,,) = feed.latestRoundData();
        if (latest < window) revert NotEnoughRounds(latest, window);
        inputs = new uint256[](window);
        for (uint256 i = 0; i < window; i++) {
            uint80 round = latest - uint80(window - 1 - i);
            (, int256 answer,, uint256 updatedAt,) = feed.getRoundData(round);
            if (updatedAt == 0) revert InvalidAnswer(round);
            inputs[i] = toField(quantise(answer));
        }
    }

    /// round(answer · 2^scaleBits / priceUnit), halves away from zero: the circuit's
    /// quantisation of the real number answer / priceUnit (`zkinfer::chain::feed::quantise`).
    function quantise(int256 answer) public view returns (int256) {
        uint256 magnitude = answer < 0 ? uint256(-answer) : uint256(answer);
        uint256 q = (2 * (magnitude << scaleBits) + priceUnit) / (2 * priceUnit);
        return answer < 0 ? -int256(q) : int256(q);
    }

    /// Called after every accepted inference with its inputs (field elements) and outputs
    /// (signed fixed point at 2^scaleBits).
    function _onInference(uint256[] memory inputs, int256[] memory outputs) internal virtual {}

    function _setVerifier(IZkinferVerifier next) internal override {
        // During construction `window` is not readable yet; the constructor checked it.
        if (window != 0 && next.NUM_PUBLIC_INPUTS() != window) revert WindowMismatch(next.NUM_PUBLIC_INPUTS(), window);
        super._setVerifier(next);
    }

    function _checked(IZkinferVerifier v, uint256 window_) private view returns (IZkinferVerifier) {
        if (address(v) != address(0) && v.NUM_PUBLIC_INPUTS() != window_) revert WindowMismatch(v.NUM_PUBLIC_INPUTS(), window_);
        return v;
    }
}
