// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";

/// Accepts inference results of one model only with a valid proof, and keeps the latest.
/// The verifier is fixed at deployment: a different model is a different contract.
contract VerifiedInference {
    /// The BN254 scalar field modulus; public values are its elements.
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    IZkinferVerifier public immutable verifier;
    bytes32 public immutable modelHash;
    uint256 public immutable numPublicInputs;
    uint256 public immutable numOutputs;
    uint256 public immutable scaleBits;

    int256[] internal _latestOutputs;
    uint256 public latestBlock;
    uint256 public submissions;

    event InferenceVerified(address indexed submitter, bytes32 indexed modelHash, int256[] outputs, uint256 blockNumber);

    error InvalidProof();

    constructor(IZkinferVerifier verifier_) {
        verifier = verifier_;
        modelHash = verifier_.MODEL_HASH();
        numPublicInputs = verifier_.NUM_PUBLIC_INPUTS();
        numOutputs = verifier_.NUM_OUTPUTS();
        scaleBits = verifier_.SCALE_BITS();
    }

    /// Verifies `proof` over `instances` (inputs part, outputs part, weights commitment if any),
    /// stores the outputs part as signed fixed-point integers (with hashed outputs: their
    /// commitment) and emits `InferenceVerified`. Reverts with `InvalidProof` otherwise.
    function submit(bytes calldata proof, uint256[] calldata instances) external returns (int256[] memory outputs) {
        if (!verifier.verifyProof(proof, instances)) revert InvalidProof();
        outputs = new int256[](numOutputs);
        for (uint256 i = 0; i < outputs.length; i++) {
            outputs[i] = toSigned(instances[numPublicInputs + i]);
        }
        _latestOutputs = outputs;
        latestBlock = block.number;
        submissions += 1;
        emit InferenceVerified(msg.sender, modelHash, outputs, block.number);
    }

    function latestOutputs() external view returns (int256[] memory) {
        return _latestOutputs;
    }

    /// Field elements above (r-1)/2 stand for negative numbers.
    function toSigned(uint256 v) internal pure returns (int256) {
        return v > (R - 1) / 2 ? -int256(R - v) : int256(v);
    }
}
