// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier, WEIGHTS_FIXED, WEIGHTS_HASHED, WEIGHTS_PRIVATE, VISIBILITY_PACKED} from "./IZkinferVerifier.sol";
import {PublicValues} from "./PublicValues.sol";
import {TwoStepOwnable} from "./TwoStepOwnable.sol";

/// What every consumer of verified inferences shares: the verifier it trusts and the model
/// identity it pinned, a timelocked verifier change, two-step ownership, and the latest verified
/// outputs with the hash of the inputs they were computed on. Trust model: docs/contracts.md.
///
/// Model identity. The deployer states the model it expects (`ModelPin`: `MODEL_HASH`, and
/// `MODEL_COMMITMENT` for hashed weights); the verifier must report exactly that, and a
/// verifier that binds no weights (`WEIGHTS_PRIVATE`: it accepts proofs of *any* weights of the
/// architecture) is refused unless the pin says `allowUnboundWeights`. The pinned commitment is
/// also checked here, against the last public value of every submission.
///
/// Changing the verifier (and so the model) takes `UPGRADE_DELAY`: the owner proposes a verifier
/// with its pin (`VerifierProposed`, checked at once), may cancel it (`VerifierProposalCancelled`),
/// and installs it only after the delay (`acceptVerifier`, `VerifierUpgraded`), so everyone
/// relying on the consumer sees a model change coming and can leave first. An install clears the
/// stored outputs: they were the previous model's.
///
/// Subcontracts decide where the public inputs come from (`VerifiedInference`: the caller;
/// `FeedBoundInference`: a price feed on chain) and call `_accept`. No re-entrancy surface:
/// `_accept` makes one external call, a `view` call (STATICCALL) to the verifier, before any
/// state changes, and no consumer sends value.
abstract contract InferenceConsumer is TwoStepOwnable {
    /// The BN254 scalar field modulus; public values are its elements.
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    /// Time between proposing a verifier and installing it.
    uint256 public constant UPGRADE_DELAY = 2 days;

    /// The model a consumer expects its verifier to be: the verifier's `MODEL_HASH`, its
    /// `MODEL_COMMITMENT` (non-zero exactly for hashed weights), and whether a verifier that binds
    /// no weights (`WEIGHTS_PRIVATE`) is acceptable.
    struct ModelPin {
        bytes32 modelHash;
        uint256 modelCommitment;
        bool allowUnboundWeights;
    }

    IZkinferVerifier public verifier;
    bytes32 public modelHash;
    uint256 public modelCommitment;
    uint8 public weightsMode;
    uint256 public numPublicInputs;
    uint256 public numOutputs;
    uint256 public scaleBits;
    /// The verifier's `INPUT_VISIBILITY` and `OUTPUT_VISIBILITY`.
    uint8 public inputVisibility;
    uint8 public outputVisibility;
    /// The verifier's `NUM_OUTPUT_VALUES` and `PACK_BITS`: how packed outputs unpack.
    uint256 public numOutputValues;
    uint256 public packBits;

    /// The proposed verifier, its pin, and when it may be installed (0: nothing proposed).
    IZkinferVerifier public pendingVerifier;
    ModelPin public pendingPin;
    uint256 public pendingEta;

    int256[] internal _latestOutputs;
    /// keccak256 of the inputs part of the public values of the latest accepted inference (the
    /// inputs as field elements, their words when packed, their commitment when hashed, nothing
    /// when private).
    bytes32 public latestInputsHash;
    /// Block of the latest accepted inference (0 before the first, and after a verifier change).
    uint256 public latestBlock;
    uint256 public submissions;

    event InferenceVerified(
        address indexed submitter, bytes32 indexed modelHash, bytes32 inputsHash, int256[] outputs, uint256 blockNumber
    );
    event VerifierProposed(address indexed next, bytes32 modelHash, uint256 modelCommitment, bool allowUnboundWeights, uint256 eta);
    event VerifierProposalCancelled(address indexed next);
    event VerifierUpgraded(address indexed previous, address indexed next, bytes32 modelHash, uint256 modelCommitment);

    error InvalidProof();
    error NotAContract(address account);
    /// The verifier reports another `MODEL_HASH` than the pinned one.
    error ModelMismatch(bytes32 expected, bytes32 actual);
    /// The verifier's `MODEL_COMMITMENT`, or a submission's last public value, is not the pinned commitment.
    error CommitmentMismatch(uint256 expected, uint256 actual);
    /// The verifier binds no weights (`WEIGHTS_PRIVATE`) and the pin does not allow that.
    error UnboundWeights();
    error UnknownWeightsMode(uint8 mode);
    error PublicValueCount(uint256 expected, uint256 actual);
    error NoPendingVerifier();
    error UpgradeNotReady(uint256 eta);

    // Subcontracts install the first verifier at the end of their constructor (`_install`); the
    // deployer becomes the owner (`TwoStepOwnable`).

    function latestOutputs() external view returns (int256[] memory) {
        return _latestOutputs;
    }

    /// Starts a verifier change: `next` must match `pin` now (and again when installed). A new
    /// proposal replaces (and cancels) a pending one.
    function proposeVerifier(IZkinferVerifier next, ModelPin calldata pin) external virtual onlyOwner {
        _checkVerifier(next, pin);
        if (pendingEta != 0) emit VerifierProposalCancelled(address(pendingVerifier));
        uint256 eta = block.timestamp + UPGRADE_DELAY;
        pendingVerifier = next;
        pendingPin = pin;
        pendingEta = eta;
        emit VerifierProposed(address(next), pin.modelHash, pin.modelCommitment, pin.allowUnboundWeights, eta);
    }

    function cancelVerifier() external onlyOwner {
        if (pendingEta == 0) revert NoPendingVerifier();
        emit VerifierProposalCancelled(address(pendingVerifier));
        _clearPending();
    }

    /// Installs the proposed verifier once `UPGRADE_DELAY` has passed since it was proposed.
    function acceptVerifier() external onlyOwner {
        uint256 eta = pendingEta;
        if (eta == 0) revert NoPendingVerifier();
        if (block.timestamp < eta) revert UpgradeNotReady(eta);
        IZkinferVerifier next = pendingVerifier;
        ModelPin memory pin = pendingPin;
        _clearPending();
        _install(next, pin);
    }

    /// Verifies `proof` over `instances` (inputs part, outputs part, weights commitment if any),
    /// stores the outputs as signed fixed-point integers (unpacked when packed; with hashed
    /// outputs, their commitment) with the inputs part's hash, and emits `InferenceVerified`. Reverts with
    /// `InvalidProof` when the verifier says no.
    function _accept(bytes calldata proof, uint256[] memory instances) internal returns (int256[] memory outputs) {
        uint256 first = numPublicInputs;
        uint256 commitment = _expectedCommitment();
        uint256 expected = first + numOutputs + (commitment != 0 ? 1 : 0);
        if (instances.length != expected) revert PublicValueCount(expected, instances.length);
        if (commitment != 0 && instances[expected - 1] != commitment) {
            revert CommitmentMismatch(commitment, instances[expected - 1]);
        }
        if (!verifier.verifyProof(proof, instances)) revert InvalidProof();
        if (outputVisibility == VISIBILITY_PACKED) {
            outputs = PublicValues.unpack(instances, first, numOutputValues, packBits);
        } else {
            outputs = new int256[](numOutputs);
            for (uint256 i = 0; i < outputs.length; i++) {
                outputs[i] = toSigned(instances[first + i]);
            }
        }
        bytes32 inputsHash;
        assembly ("memory-safe") {
            inputsHash := keccak256(add(instances, 0x20), mul(first, 0x20))
        }
        _latestOutputs = outputs;
        latestInputsHash = inputsHash;
        latestBlock = block.number;
        submissions += 1;
        emit InferenceVerified(msg.sender, modelHash, inputsHash, outputs, block.number);
    }

    /// Refuses a verifier that is not the pinned model, or binds no weights without leave.
    /// Subcontracts add their own requirements (input count, visibility).
    function _checkVerifier(IZkinferVerifier v, ModelPin memory pin) internal view virtual {
        if (address(v) == address(0)) revert ZeroAddress();
        if (address(v).code.length == 0) revert NotAContract(address(v));
        bytes32 hash = v.MODEL_HASH();
        if (hash != pin.modelHash) revert ModelMismatch(pin.modelHash, hash);
        uint256 commitment = v.MODEL_COMMITMENT();
        if (commitment != pin.modelCommitment) revert CommitmentMismatch(pin.modelCommitment, commitment);
        uint8 mode = v.WEIGHTS_MODE();
        if (mode == WEIGHTS_PRIVATE) {
            if (!pin.allowUnboundWeights) revert UnboundWeights();
            if (commitment != 0) revert CommitmentMismatch(0, commitment);
        } else if (mode == WEIGHTS_HASHED) {
            if (commitment == 0) revert CommitmentMismatch(0, 0);
        } else if (mode == WEIGHTS_FIXED) {
            if (commitment != 0) revert CommitmentMismatch(0, commitment);
        } else {
            revert UnknownWeightsMode(mode);
        }
    }

    /// Checks `next` against `pin` and makes it the verifier; the stored outputs (the previous
    /// model's) are cleared.
    function _install(IZkinferVerifier next, ModelPin memory pin) internal {
        _checkVerifier(next, pin);
        emit VerifierUpgraded(address(verifier), address(next), pin.modelHash, pin.modelCommitment);
        verifier = next;
        modelHash = pin.modelHash;
        modelCommitment = pin.modelCommitment;
        weightsMode = next.WEIGHTS_MODE();
        numPublicInputs = next.NUM_PUBLIC_INPUTS();
        numOutputs = next.NUM_OUTPUTS();
        scaleBits = next.SCALE_BITS();
        inputVisibility = next.INPUT_VISIBILITY();
        outputVisibility = next.OUTPUT_VISIBILITY();
        numOutputValues = next.NUM_OUTPUT_VALUES();
        packBits = next.PACK_BITS();
        delete _latestOutputs;
        latestInputsHash = bytes32(0);
        latestBlock = 0;
        _onVerifierInstalled();
    }

    /// The weights commitment the last public value must equal (0: none): the pinned one here;
    /// a registry's entry in `RegisteredInference`.
    function _expectedCommitment() internal view virtual returns (uint256) {
        return modelCommitment;
    }

    /// Called after every verifier install (also the first, during construction).
    function _onVerifierInstalled() internal virtual {}

    function _clearPending() private {
        pendingVerifier = IZkinferVerifier(address(0));
        delete pendingPin;
        pendingEta = 0;
    }

    /// Field elements above (r-1)/2 stand for negative numbers.
    function toSigned(uint256 v) internal pure returns (int256) {
        return PublicValues.toSigned(v);
    }

    function toField(int256 v) internal pure returns (uint256) {
        return PublicValues.toField(v);
    }
}
