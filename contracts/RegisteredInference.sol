// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier, WEIGHTS_REGISTERED} from "./IZkinferVerifier.sol";
import {InferenceConsumer} from "./InferenceConsumer.sol";
import {ModelRegistry} from "./ModelRegistry.sol";

/// `VerifiedInference` for one model of a registry: the verifier is the registry's architecture
/// verifier (`WEIGHTS_REGISTERED`, shared by every weight set of the architecture), and the
/// weights are the ones `MODEL_ID` names there. Every submission's last public value must equal
/// the registry's commitment for `MODEL_ID` at that moment, so a retired id takes no more
/// submissions, and an id never changes its weights (the registry writes each id once).
///
/// Each statement is accepted once, as in `VerifiedInference`. The verifier cannot be changed
/// to another contract: the registry's verifier is the only one it takes. To follow another
/// model, deploy another consumer.
contract RegisteredInference is InferenceConsumer {
    /// Immutable: read from code, not storage, on every submission (the registry's own lookup is
    /// the one storage read the model id costs).
    ModelRegistry public immutable registry;
    bytes32 public immutable modelId;
    mapping(bytes32 => bool) public accepted;

    error AlreadyAccepted(bytes32 statement);
    /// The verifier is not the registry's.
    error NotTheRegistryVerifier(address verifier);

    constructor(ModelRegistry registry_, bytes32 modelId_) {
        registry = registry_;
        modelId = modelId_;
        // Refuses an id the registry does not know now.
        registry_.commitmentOf(modelId_);
        _install(registry_.VERIFIER(), ModelPin(registry_.ARCHITECTURE(), 0, false));
    }

    function submit(bytes calldata proof, uint256[] calldata instances) external returns (int256[] memory outputs) {
        bytes32 statement = keccak256(abi.encode(modelHash, instances));
        if (accepted[statement]) revert AlreadyAccepted(statement);
        outputs = _accept(proof, instances);
        accepted[statement] = true;
    }

    function _expectedCommitment() internal view override returns (uint256) {
        return registry.commitmentOf(modelId);
    }

    /// The registry's verifier and nothing else: its architecture, no commitment of its own,
    /// `WEIGHTS_REGISTERED`.
    function _checkVerifier(IZkinferVerifier v, ModelPin memory pin) internal view override {
        if (address(v) != address(registry.VERIFIER())) revert NotTheRegistryVerifier(address(v));
        bytes32 hash = v.MODEL_HASH();
        if (hash != pin.modelHash) revert ModelMismatch(pin.modelHash, hash);
        uint256 commitment = v.MODEL_COMMITMENT();
        if (commitment != 0 || pin.modelCommitment != 0) revert CommitmentMismatch(0, commitment);
        uint8 mode = v.WEIGHTS_MODE();
        if (mode != WEIGHTS_REGISTERED) revert UnknownWeightsMode(mode);
    }
}
