// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier, WEIGHTS_REGISTERED} from "./IZkinferVerifier.sol";
import {TwoStepOwnable} from "./TwoStepOwnable.sol";

/// The weight sets one architecture verifier serves: a model id names the Poseidon commitment of
/// one set of weights. `zkinfer registry` deploys it beside a `WEIGHTS_REGISTERED` verifier and
/// registers builds of that architecture (checking each build's verifying key first).
///
/// Trust model. The owner decides which weights a model id means, once: an id is written once
/// and never reassigned, even after it is retired, so a consumer that names an id gets those
/// weights or nothing. Retiring an id (a leaked or faulty model) makes every consumer naming it
/// refuse new submissions at once. Every change is an event. Ownership moves in two steps.
contract ModelRegistry is TwoStepOwnable {
    /// The BN254 scalar field modulus; commitments are its elements.
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// The architecture verifier every entry is verified with.
    IZkinferVerifier public immutable VERIFIER;
    /// The verifier's `MODEL_HASH`: the architecture (quantised graph without its weight values,
    /// privacy modes, lanes, verifying key).
    bytes32 public immutable ARCHITECTURE;

    /// The commitment of each live model id; 0 for an id never registered or retired.
    mapping(bytes32 => uint256) private _commitment;
    /// Ids ever registered (live or retired): never registered again.
    mapping(bytes32 => bool) public taken;
    /// The `MODEL_HASH` of the build registered under each id (quantised graph with its weights),
    /// so the id can be traced to the build that was registered.
    mapping(bytes32 => bytes32) public modelHashOf;

    event ModelRegistered(bytes32 indexed id, uint256 commitment, bytes32 modelHash);
    event ModelRetired(bytes32 indexed id, uint256 commitment);

    error NotARegisteredVerifier(address verifier, uint8 mode);
    error IdTaken(bytes32 id);
    error ZeroCommitment();
    error CommitmentOutOfField(uint256 commitment);
    /// The id was never registered, or was retired.
    error UnknownModel(bytes32 id);

    constructor(IZkinferVerifier verifier) {
        if (address(verifier) == address(0)) revert ZeroAddress();
        uint8 mode = verifier.WEIGHTS_MODE();
        if (mode != WEIGHTS_REGISTERED) revert NotARegisteredVerifier(address(verifier), mode);
        VERIFIER = verifier;
        ARCHITECTURE = verifier.MODEL_HASH();
    }

    /// Names `commitment` (a build's `MODEL_COMMITMENT`) `id`, for good.
    function register(bytes32 id, uint256 commitment, bytes32 modelHash) external onlyOwner {
        if (taken[id]) revert IdTaken(id);
        if (commitment == 0) revert ZeroCommitment();
        // A public value is below r: a commitment that is not could never be proven.
        if (commitment >= R) revert CommitmentOutOfField(commitment);
        taken[id] = true;
        _commitment[id] = commitment;
        modelHashOf[id] = modelHash;
        emit ModelRegistered(id, commitment, modelHash);
    }

    /// Ends `id`: consumers naming it refuse every later submission. The id stays taken.
    function retire(bytes32 id) external onlyOwner {
        uint256 c = _commitment[id];
        if (c == 0) revert UnknownModel(id);
        delete _commitment[id];
        emit ModelRetired(id, c);
    }

    /// The commitment `id` names; reverts `UnknownModel` when it names none (never registered,
    /// or retired).
    function commitmentOf(bytes32 id) external view returns (uint256 c) {
        c = _commitment[id];
        if (c == 0) revert UnknownModel(id);
    }

    /// Whether `id` names a commitment now.
    function isLive(bytes32 id) external view returns (bool) {
        return _commitment[id] != 0;
    }
}
