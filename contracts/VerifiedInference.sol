// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";
import {InferenceConsumer} from "./InferenceConsumer.sol";

/// Accepts inference results of one model only with a valid proof, and keeps the latest. The
/// caller supplies every public value; use `FeedBoundInference` when the inputs must be the
/// chain's own data.
contract VerifiedInference is InferenceConsumer {
    constructor(IZkinferVerifier verifier_) InferenceConsumer(verifier_) {}

    function submit(bytes calldata proof, uint256[] calldata instances) external returns (int256[] memory outputs) {
        return _accept(proof, instances);
    }
}
