// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";
import {InferenceConsumer} from "./InferenceConsumer.sol";

/// Accepts inference results of one model only with a valid proof, and keeps the latest with the
/// hash of its inputs. The caller supplies every public value, so the inputs are the caller's
/// choice: use `FeedBoundInference` when they must be the chain's own data.
///
/// Each statement (the model and every public value) is accepted once: resubmitting an accepted
/// proof, or another proof of the same statement, reverts `AlreadyAccepted`, so `latestBlock`
/// is the block in which these inputs were first proven here. With private inputs the statement
/// is the outputs alone, so each distinct output vector is accepted once (use salted hashed
/// inputs when the same outputs recur legitimately).
contract VerifiedInference is InferenceConsumer {
    /// Statements accepted so far: keccak256(abi.encode(modelHash, instances)).
    mapping(bytes32 => bool) public accepted;

    error AlreadyAccepted(bytes32 statement);

    constructor(IZkinferVerifier verifier_, ModelPin memory pin) {
        _install(verifier_, pin);
    }

    function submit(bytes calldata proof, uint256[] calldata instances) external returns (int256[] memory outputs) {
        bytes32 statement = keccak256(abi.encode(modelHash, instances));
        if (accepted[statement]) revert AlreadyAccepted(statement);
        outputs = _accept(proof, instances);
        accepted[statement] = true;
    }
}
