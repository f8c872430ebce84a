// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier, VISIBILITY_PUBLIC, VISIBILITY_PACKED} from "./IZkinferVerifier.sol";
import {FeedBoundInference} from "./FeedBoundInference.sol";
import {RiskTiers} from "./RiskTiers.sol";

/// A lending vault whose risk parameters follow a verified price forecast: the model (first
/// output: the next price, in the model's units) must have run on the feed's `window` prices
/// ending at a fresh round, so no bot can move the loan-to-value ratio or the fee by proving over
/// prices it chose. The policy (tiers, and how long one holds): `RiskTiers`.
///
/// Only outputs in clear (public or packed) make sense here (the first output is read as a
/// price): a verifier with hashed outputs (`OutputsNotPublic`) or none (`NoOutputs`) is refused.
contract ForecastVault is FeedBoundInference, RiskTiers {
    error OutputsNotPublic(uint8 visibility);
    error NoOutputs();

    constructor(
        IZkinferVerifier verifier_,
        ModelPin memory pin,
        FeedConfig memory cfg,
        uint256 moveBps_,
        uint256 riskValidity_
    ) FeedBoundInference(verifier_, pin, cfg) RiskTiers(moveBps_, riskValidity_) {}

    function _onInference(uint256[] memory inputs, int256[] memory outputs, uint256 updatedAt) internal override {
        _setRisk(outputs[0], toSigned(inputs[inputs.length - 1]), updatedAt);
    }

    function _onVerifierInstalled() internal override {
        // The previous model's forecast no longer speaks for this vault: defensive until the
        // new model's first accepted forecast.
        _lapseRisk();
    }

    function _checkVerifier(IZkinferVerifier v, ModelPin memory pin) internal view override {
        super._checkVerifier(v, pin);
        uint8 visibility = v.OUTPUT_VISIBILITY();
        if (visibility != VISIBILITY_PUBLIC && visibility != VISIBILITY_PACKED) revert OutputsNotPublic(visibility);
        if (v.NUM_OUTPUTS() == 0) revert NoOutputs();
    }
}
