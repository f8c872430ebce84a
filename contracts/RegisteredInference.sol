// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier, WEIGHTS_REGISTERED} from "./IZkinferVerifier.sol";
import {InferenceConsumer} from "./InferenceConsumer.sol";
import {ModelRegistry} from "./ModelRegistry.sol";

/// `VerifiedInference` for one model of a registry: the verifier is the registry's architecture
/// verifier (`WEIGHTS_REGISTERED`, shared by every weight set of the architecture), and the
/// weights are the ones `modelId` names there.
///
/// The deployer states what it expects (`ModelPin`: the architecture's `MODEL_HASH` and the
/// weights' commitment), as with a dedicated consumer, and the registry must agree now and on
/// every submission: the last public value must equal the pinned commitment, and the registry
/// must still name it under `modelId`. The registry is trusted for one thing only, to say when
/// an id is retired (then nothing more is accepted); a registry that lied about an id could stop
/// this consumer but not make it take other weights, and a registry over another architecture
/// is refused at construction.
///
/// Each statement is accepted once, as in `VerifiedInference`. The verifier is the registry's
/// and cannot be changed (`proposeVerifier` reverts): to follow another model, deploy another
/// consumer.
contract RegisteredInference is InferenceConsumer {
    /// Immutable: read from code, not storage, on every submission (the registry's own lookup is
    /// the one storage read the model id costs).
    ModelRegistry public immutable registry;
    bytes32 public immutable modelId;
    mapping(bytes32 => bool) public accepted;

    /// The commitment `pin` stated, which `modelId` must keep naming.
    uint256 public immutable pinnedCommitment;

    error AlreadyAccepted(bytes32 statement);
    /// The verifier is not the registry's.
    error NotTheRegistryVerifier(address verifier);
    /// The registry serves another architecture than the pinned one.
    error ArchitectureMismatch(bytes32 expected, bytes32 actual);
    /// The verifier of a registered consumer is the registry's, for good.
    error VerifierFixed();

    /// `pin`: the architecture's `MODEL_HASH` (`zkinfer solidity --registered`) and the weights'
    /// commitment (the build's `MODEL_COMMITMENT`), as the deployer computed them.
    constructor(ModelRegistry registry_, bytes32 modelId_, ModelPin memory pin) {
        registry = registry_;
        modelId = modelId_;
        pinnedCommitment = pin.modelCommitment;
        bytes32 architecture = registry_.ARCHITECTURE();
        if (architecture != pin.modelHash) revert ArchitectureMismatch(pin.modelHash, architecture);
        uint256 named = registry_.commitmentOf(modelId_);
        if (named != pin.modelCommitment) revert CommitmentMismatch(pin.modelCommitment, named);
        _install(registry_.VERIFIER(), ModelPin(pin.modelHash, 0, false));
    }

    function submit(bytes calldata proof, uint256[] calldata instances) external returns (int256[] memory outputs) {
        bytes32 statement = keccak256(abi.encode(modelHash, instances));
        if (accepted[statement]) revert AlreadyAccepted(statement);
        outputs = _accept(proof, instances);
        accepted[statement] = true;
    }

    /// The pinned commitment, while the registry still names it under `modelId` (a retired id
    /// reverts `UnknownModel` in the registry).
    function _expectedCommitment() internal view override returns (uint256) {
        uint256 named = registry.commitmentOf(modelId);
        if (named != pinnedCommitment) revert CommitmentMismatch(pinnedCommitment, named);
        return named;
    }

    /// A reinstall of the same verifier would only clear the stored outputs.
    function proposeVerifier(IZkinferVerifier, ModelPin calldata) external view override onlyOwner {
        revert VerifierFixed();
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
