// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier, WEIGHTS_FIXED, VISIBILITY_PUBLIC} from "../../contracts/IZkinferVerifier.sol";

/// The constants of a fixed-weights model with public inputs and outputs.
function plainConstants(bytes32 modelHash, uint256 inputs, uint256 outputs, uint256 scaleBits)
    pure
    returns (MockVerifier.Constants memory)
{
    return MockVerifier.Constants(modelHash, 0, WEIGHTS_FIXED, VISIBILITY_PUBLIC, VISIBILITY_PUBLIC, inputs, outputs, scaleBits, false);
}

/// A stand-in for a generated verifier in the tests: it reports whatever constants it was built
/// with and accepts exactly the (proof, public values) pairs recorded with `record` (a sound
/// verifier: the recorded pairs model the proofs an honest prover made), or, built with
/// `acceptAll`, everything (the always-true contract of issue 17 finding 2).
contract MockVerifier is IZkinferVerifier {
    struct Constants {
        bytes32 modelHash;
        uint256 modelCommitment;
        uint8 weightsMode;
        uint8 inputVisibility;
        uint8 outputVisibility;
        uint256 numPublicInputs;
        uint256 numOutputs;
        uint256 scaleBits;
        bool acceptAll;
    }

    bytes32 public immutable MODEL_HASH;
    uint256 public immutable MODEL_COMMITMENT;
    uint8 public immutable WEIGHTS_MODE;
    uint8 public immutable INPUT_VISIBILITY;
    uint8 public immutable OUTPUT_VISIBILITY;
    uint256 public immutable NUM_PUBLIC_INPUTS;
    uint256 public immutable NUM_OUTPUTS;
    uint256 public immutable SCALE_BITS;
    /// As a verifier with unpacked public values reports them: one value per public value.
    uint256 public immutable NUM_INPUT_VALUES;
    uint256 public immutable NUM_OUTPUT_VALUES;
    uint256 public immutable PACK_BITS;
    bool public immutable acceptAll;
    mapping(bytes32 => bool) public proven;

    constructor(Constants memory c) {
        MODEL_HASH = c.modelHash;
        MODEL_COMMITMENT = c.modelCommitment;
        WEIGHTS_MODE = c.weightsMode;
        INPUT_VISIBILITY = c.inputVisibility;
        OUTPUT_VISIBILITY = c.outputVisibility;
        NUM_PUBLIC_INPUTS = c.numPublicInputs;
        NUM_OUTPUTS = c.numOutputs;
        SCALE_BITS = c.scaleBits;
        NUM_INPUT_VALUES = c.numPublicInputs;
        NUM_OUTPUT_VALUES = c.numOutputs;
        PACK_BITS = 2 * c.scaleBits + 1;
        acceptAll = c.acceptAll;
    }

    function statement(bytes memory proof, uint256[] memory instances) public pure returns (bytes32) {
        return keccak256(abi.encode(proof, instances));
    }

    function record(bytes calldata proof, uint256[] calldata instances) external {
        proven[statement(proof, instances)] = true;
    }

    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool) {
        return acceptAll || proven[statement(proof, instances)];
    }
}
