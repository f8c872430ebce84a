// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IAggregateVerifier, slotOutputs} from "./IAggregateVerifier.sol";
import {WEIGHTS_FIXED, WEIGHTS_HASHED, WEIGHTS_PRIVATE} from "./IZkinferVerifier.sol";

/// Accepts a batch of inferences, one per slot of an aggregate verifier
/// (`zkinfer solidity --aggregate`), with one proof, and keeps each slot's latest outputs with
/// the hash of its inputs. Trust model: docs/contracts.md, "Batches".
///
/// The verifier is fixed at construction and pinned by its `AGGREGATE_HASH`, which names the
/// aggregation key and every slot's model, weights commitment and public-value range: there is
/// no owner and no way to swap it. A slot whose weights are private (bound to nothing) is refused
/// unless the deployer allows it, as `InferenceConsumer` does.
///
/// Each inference (a slot's model and public values) is recorded once. A slot repeating one
/// recorded before (in an earlier batch or this one) is skipped with `InferenceSkipped`, so a
/// recorded result cannot be replayed over a newer one, and someone who proves one of a batch's
/// inferences first cannot make the whole batch revert; a batch with nothing new reverts
/// `NothingNew`. What is not prevented: a result proven earlier and first submitted later still
/// becomes the slot's latest (as with `VerifiedInference`; bind time through the inputs where it
/// matters). One external call, a `view` call (STATICCALL) to the verifier, precedes every state
/// change.
contract BatchInference {
    IAggregateVerifier public immutable verifier;
    bytes32 public immutable aggregateHash;
    uint256 public immutable numSlots;
    uint256 public immutable numInstances;

    /// A slot's latest accepted inference.
    struct Latest {
        bytes32 inputsHash;
        uint256 blockNumber;
        int256[] outputs;
    }

    mapping(uint256 => Latest) internal _latest;
    /// Inferences accepted so far: keccak256(abi.encode(modelHash, the slot's public values)).
    mapping(bytes32 => bool) public accepted;
    uint256 public batches;

    event InferenceVerified(
        address indexed submitter,
        uint256 indexed slot,
        bytes32 indexed modelHash,
        bytes32 inputsHash,
        int256[] outputs,
        uint256 blockNumber
    );
    /// Slot `slot` repeated an inference recorded before: nothing of it was stored.
    event InferenceSkipped(uint256 indexed slot, bytes32 statement);

    error NotAContract(address account);
    error AggregateMismatch(bytes32 expected, bytes32 actual);
    error SlotUnboundWeights(uint256 slot);
    error SlotWeightsMode(uint256 slot, uint8 mode);
    error PublicValueCount(uint256 expected, uint256 actual);
    error InvalidProof();
    error NothingNew();
    /// Slot `slot`'s public values overlap the accumulator's or an earlier slot's, lie outside the
    /// aggregate's, or its parts exceed them.
    error SlotLayout(uint256 slot);

    constructor(IAggregateVerifier verifier_, bytes32 pin, bool allowUnboundWeights) {
        if (address(verifier_).code.length == 0) revert NotAContract(address(verifier_));
        bytes32 hash = verifier_.AGGREGATE_HASH();
        if (hash != pin) revert AggregateMismatch(pin, hash);
        uint256 n = verifier_.NUM_SLOTS();
        uint256 total = verifier_.NUM_INSTANCES();
        // Slots follow the 12 accumulator limbs, in order, without overlap.
        uint256 end = 12;
        for (uint256 i = 0; i < n; i++) {
            IAggregateVerifier.Slot memory s = verifier_.slot(i);
            if (
                s.offset < end || s.offset + s.numInstances > total
                    || s.numPublicInputs + s.numOutputs > s.numInstances
            ) {
                revert SlotLayout(i);
            }
            end = s.offset + s.numInstances;
            uint8 mode = s.weightsMode;
            if (mode == WEIGHTS_PRIVATE) {
                if (!allowUnboundWeights) revert SlotUnboundWeights(i);
            } else if (mode != WEIGHTS_FIXED && mode != WEIGHTS_HASHED) {
                revert SlotWeightsMode(i, mode);
            }
        }
        verifier = verifier_;
        aggregateHash = pin;
        numSlots = n;
        numInstances = total;
    }

    /// Verifies the aggregate and records every slot's inference not recorded before; returns how
    /// many it recorded. Reverts `InvalidProof` when the verifier says no, and `NothingNew` when
    /// every slot repeats a recorded inference.
    function submitBatch(bytes calldata proof, uint256[] calldata instances) external returns (uint256 recorded) {
        if (instances.length != numInstances) revert PublicValueCount(numInstances, instances.length);
        if (!verifier.verifyProof(proof, instances)) revert InvalidProof();
        uint256[] memory values = instances;
        for (uint256 i = 0; i < numSlots; i++) {
            if (_record(i, verifier.slot(i), values)) recorded += 1;
        }
        if (recorded == 0) revert NothingNew();
        batches += 1;
    }

    function latestOutputs(uint256 slot) external view returns (int256[] memory) {
        return _latest[slot].outputs;
    }

    function latestInputsHash(uint256 slot) external view returns (bytes32) {
        return _latest[slot].inputsHash;
    }

    function latestBlock(uint256 slot) external view returns (uint256) {
        return _latest[slot].blockNumber;
    }

    function _record(uint256 i, IAggregateVerifier.Slot memory s, uint256[] memory values) private returns (bool) {
        uint256 offset = s.offset;
        // As InferenceConsumer hashes them: the inputs part's words, concatenated.
        bytes32 inputsHash = keccak256(abi.encodePacked(_slice(values, offset, s.numPublicInputs)));
        bytes32 statement = keccak256(abi.encode(s.modelHash, _slice(values, offset, s.numInstances)));
        if (accepted[statement]) {
            emit InferenceSkipped(i, statement);
            return false;
        }
        accepted[statement] = true;
        int256[] memory outputs = slotOutputs(s, values);
        Latest storage l = _latest[i];
        l.inputsHash = inputsHash;
        l.blockNumber = block.number;
        l.outputs = outputs;
        emit InferenceVerified(msg.sender, i, s.modelHash, inputsHash, outputs, block.number);
        return true;
    }

    function _slice(uint256[] memory values, uint256 from, uint256 n) private pure returns (uint256[] memory out) {
        out = new uint256[](n);
        for (uint256 j = 0; j < n; j++) {
            out[j] = values[from + j];
        }
    }
}
