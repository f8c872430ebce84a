// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier, VISIBILITY_PUBLIC, VISIBILITY_PACKED} from "./IZkinferVerifier.sol";
import {InferenceConsumer} from "./InferenceConsumer.sol";
import {FeedWindow} from "./FeedWindow.sol";

/// On-chain input binding: the model's inputs are not the caller's to choose. `submit` takes
/// the proof, the feed round the window ends at, and the public values after the inputs
/// (outputs, and the weights commitment when weights are hashed); the inputs are the feed's
/// `window` answers ending at that round, oldest first, each quantised here exactly as the
/// circuit quantises a real number (`quantise`). A proof over any other prices fails
/// verification, so the outputs a subcontract acts on were computed from the chain's own data.
/// How windows are read, and the units: `FeedWindow`.
///
/// Rounds. The submitter names the window's end round: it must be in the feed's current phase,
/// newer than the end round of the last accepted inference (`consumedRound`), and its answer at
/// most `maxPriceAge` seconds old. So a proof made over the latest prices still lands after the
/// feed has moved on (while fresh), each end round serves at most one accepted inference, and
/// no window ending at or before an accepted one is ever accepted again.
contract FeedBoundInference is InferenceConsumer, FeedWindow {
    /// End round of the latest accepted inference's window.
    uint80 public consumedRound;
    /// Update time of that round's answer.
    uint256 public consumedUpdatedAt;

    event WindowConsumed(uint80 indexed endRound, uint256 updatedAt);

    error WindowMismatch(uint256 verifierInputs, uint256 window);
    error InputsNotPublic(uint8 visibility);
    /// The named end round is not newer than the end round of the last accepted inference.
    error RoundAlreadyUsed(uint80 round);

    constructor(IZkinferVerifier verifier_, ModelPin memory pin, FeedConfig memory cfg) FeedWindow(cfg) {
        _install(verifier_, pin);
    }

    /// `endRound`: the round the proof's window ends at (`inputsAt(endRound)` are its inputs).
    /// `tail`: the public values after the inputs, as `zkinfer prove` writes them.
    function submit(bytes calldata proof, uint80 endRound, uint256[] calldata tail) external returns (int256[] memory outputs) {
        if (endRound <= consumedRound) revert RoundAlreadyUsed(endRound);
        (uint80 latest,,,,) = feed.latestRoundData();
        Window memory none;
        Window memory w = _window(endRound, latest, true, none);
        (uint256[] memory inputs, uint256 updatedAt) = (w.inputs, w.updatedAt);
        uint256[] memory head = inputVisibility == VISIBILITY_PACKED ? _packedWindow(inputs, packBits) : inputs;
        uint256[] memory instances = new uint256[](head.length + tail.length);
        for (uint256 i = 0; i < head.length; i++) instances[i] = head[i];
        for (uint256 i = 0; i < tail.length; i++) instances[head.length + i] = tail[i];
        outputs = _accept(proof, instances);
        consumedRound = endRound;
        consumedUpdatedAt = updatedAt;
        emit WindowConsumed(endRound, updatedAt);
        _onInference(inputs, outputs, updatedAt);
    }

    /// Called after every accepted inference with its inputs (field elements), outputs (signed
    /// fixed point at 2^scaleBits) and the update time of the window's newest answer.
    function _onInference(uint256[] memory inputs, int256[] memory outputs, uint256 updatedAt) internal virtual {}

    function _inputScaleBits() internal view override returns (uint256) {
        return scaleBits;
    }

    function _checkVerifier(IZkinferVerifier v, ModelPin memory pin) internal view virtual override {
        super._checkVerifier(v, pin);
        uint8 visibility = v.INPUT_VISIBILITY();
        if (visibility != VISIBILITY_PUBLIC && visibility != VISIBILITY_PACKED) revert InputsNotPublic(visibility);
        uint256 inputs = v.NUM_INPUT_VALUES();
        if (inputs != window) revert WindowMismatch(inputs, window);
    }
}
