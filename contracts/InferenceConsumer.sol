// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";

/// What every consumer of verified inferences shares: the verifier it trusts (switchable by the
/// owner, announced by an event), the latest verified outputs and the block they arrived in.
///
/// Subcontracts decide where the public inputs come from (`VerifiedInference`: the caller;
/// `FeedBoundInference`: a price feed on chain) and call `_accept`. No re-entrancy surface:
/// `_accept` makes one external call, a `view` call (STATICCALL) to the verifier, before any
/// state changes, and no consumer sends value.
abstract contract InferenceConsumer {
    /// The BN254 scalar field modulus; public values are its elements.
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    address public owner;
    IZkinferVerifier public verifier;
    bytes32 public modelHash;
    uint256 public numPublicInputs;
    uint256 public numOutputs;
    uint256 public scaleBits;

    int256[] internal _latestOutputs;
    uint256 public latestBlock;
    uint256 public submissions;

    event InferenceVerified(address indexed submitter, bytes32 indexed modelHash, int256[] outputs, uint256 blockNumber);
    event VerifierUpgraded(address indexed previous, address indexed next, bytes32 modelHash);
    event OwnershipTransferred(address indexed previous, address indexed next);

    error InvalidProof();
    error NotOwner();
    error ZeroAddress();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    constructor(IZkinferVerifier verifier_) {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
        _setVerifier(verifier_);
    }

    function latestOutputs() external view returns (int256[] memory) {
        return _latestOutputs;
    }

    /// Switches to another verifier (and so, possibly, another model); outputs stored so far stay
    /// until the next submission.
    function setVerifier(IZkinferVerifier next) external onlyOwner {
        _setVerifier(next);
    }

    function transferOwnership(address next) external onlyOwner {
        if (next == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, next);
        owner = next;
    }

    /// Verifies `proof` over `instances` (inputs part, outputs part, weights commitment if any),
    /// stores the outputs part as signed fixed-point integers (with hashed outputs: their
    /// commitment) and emits `InferenceVerified`. Reverts with `InvalidProof` otherwise.
    function _accept(bytes calldata proof, uint256[] memory instances) internal returns (int256[] memory outputs) {
        if (!verifier.verifyProof(proof, instances)) revert InvalidProof();
        uint256 first = numPublicInputs;
        outputs = new int256[](numOutputs);
        for (uint256 i = 0; i < outputs.length; i++) {
            outputs[i] = toSigned(instances[first + i]);
        }
        _latestOutputs = outputs;
        latestBlock = block.number;
        submissions += 1;
        emit InferenceVerified(msg.sender, modelHash, outputs, block.number);
    }

    function _setVerifier(IZkinferVerifier next) internal virtual {
        if (address(next) == address(0)) revert ZeroAddress();
        bytes32 hash = next.MODEL_HASH();
        emit VerifierUpgraded(address(verifier), address(next), hash);
        verifier = next;
        modelHash = hash;
        numPublicInputs = next.NUM_PUBLIC_INPUTS();
        numOutputs = next.NUM_OUTPUTS();
        scaleBits = next.SCALE_BITS();
    }

    /// Field elements above (r-1)/2 stand for negative numbers.
    function toSigned(uint256 v) internal pure returns (int256) {
        return v > (R - 1) / 2 ? -int256(R - v) : int256(v);
    }

    function toField(int256 v) internal pure returns (uint256) {
        return v < 0 ? R - uint256(-v) : uint256(v);
    }
}
