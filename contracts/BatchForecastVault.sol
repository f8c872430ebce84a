// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IAggregateVerifier, slotOutputs} from "./IAggregateVerifier.sol";
import {
    WEIGHTS_FIXED, WEIGHTS_HASHED, VISIBILITY_PUBLIC, VISIBILITY_PACKED
} from "./IZkinferVerifier.sol";
import {PublicValues} from "./PublicValues.sol";
import {FeedWindow} from "./FeedWindow.sol";
import {RiskTiers} from "./RiskTiers.sol";

/// `ForecastVault` for batches: one aggregate (`zkinfer aggregate`) settles one forecast per slot,
/// each over the feed's window ending at its own round, in one transaction. Trust model:
/// docs/contracts.md, "Batches".
///
/// The verifier is fixed at construction and pinned by its `AGGREGATE_HASH` (the aggregation key
/// and every slot's model and weights commitment): no owner, no swap. Every slot must read the
/// feed's window (inputs public or packed, `window` values), show its outputs (public or packed,
/// at least one) and bind its weights (fixed or hashed: a slot that proves *any* weights is
/// refused outright, since the vault moves money on it); all share one scale.
///
/// Rounds. `submitBatch` names each slot's end round: strictly increasing across the slots, all
/// in the feed's current phase, the newest newer than the last settled one (`consumedRound`) and
/// at most `maxPriceAge` old. The contract reads every window itself and refuses a batch whose
/// public values carry other inputs (`InputsMismatch`), so no slot's forecast was computed on
/// prices the submitter chose. Every slot newer than `consumedRound` is settled
/// (`ForecastSettled`, in order); an older one is skipped (`ForecastSkipped`), so a batch
/// overlapping one settled before still lands, and a batch never holds the tier back: the next
/// batch needs one new round, as `ForecastVault` does. The newest sets the tier, as one
/// `ForecastVault.submit` of it would; older rounds never move it.
contract BatchForecastVault is FeedWindow, RiskTiers {
    /// The aggregate's first public values: the KZG accumulator's limbs.
    uint256 internal constant ACCUMULATOR_LIMBS = 12;

    IAggregateVerifier public immutable verifier;
    bytes32 public immutable aggregateHash;
    uint256 public immutable numSlots;
    uint256 public immutable numInstances;
    /// The scale every slot's inputs and outputs are fixed point at (2^-scaleBits).
    uint256 public immutable scaleBits;
    /// End round of the newest window settled.
    uint80 public consumedRound;
    /// Update time of that round's answer.
    uint256 public consumedUpdatedAt;
    uint256 public batches;

    /// Slot `slot`'s forecast over the window ending at `endRound` (whose newest answer, `price`,
    /// was updated at `updatedAt`), both in the model's fixed point.
    event ForecastSettled(uint256 indexed slot, uint80 indexed endRound, int256 price, int256 forecast, uint256 updatedAt);
    /// Slot `slot`'s window ends at or before a round settled earlier: nothing of it was settled.
    event ForecastSkipped(uint256 indexed slot, uint80 indexed endRound);

    error NotAContract(address account);
    error AggregateMismatch(bytes32 expected, bytes32 actual);
    /// Slot `slot`'s public values overlap the accumulator's or an earlier slot's, or lie outside
    /// the aggregate's, or its parts exceed them.
    error SlotLayout(uint256 slot);
    error NoSlots();
    error SlotWeightsMode(uint256 slot, uint8 mode);
    /// Slot `slot` does not read `window` feed values in clear.
    error SlotInputs(uint256 slot);
    /// Slot `slot` shows no output in clear.
    error SlotOutputs(uint256 slot);
    /// Slot `slot` has another scale than slot 0.
    error SlotScale(uint256 slot);
    error RoundCount(uint256 expected, uint256 actual);
    error PublicValueCount(uint256 expected, uint256 actual);
    /// The batch's newest `round` is not newer than the last round settled.
    error RoundAlreadyUsed(uint80 round);
    /// `round` is not after the round the slot before it names.
    error RoundsNotIncreasing(uint80 round);
    /// Slot `slot`'s inputs in the public values are not the feed's window.
    error InputsMismatch(uint256 slot);
    error InvalidProof();

    constructor(IAggregateVerifier verifier_, bytes32 pin, FeedConfig memory cfg, uint256 moveBps_, uint256 riskValidity_)
        FeedWindow(cfg)
        RiskTiers(moveBps_, riskValidity_)
    {
        if (address(verifier_).code.length == 0) revert NotAContract(address(verifier_));
        bytes32 hash = verifier_.AGGREGATE_HASH();
        if (hash != pin) revert AggregateMismatch(pin, hash);
        uint256 n = verifier_.NUM_SLOTS();
        if (n == 0) revert NoSlots();
        uint256 total = verifier_.NUM_INSTANCES();
        uint256 scale = verifier_.slot(0).scaleBits;
        // Slots follow the 12 accumulator limbs, in order, without overlap.
        uint256 end = ACCUMULATOR_LIMBS;
        for (uint256 i = 0; i < n; i++) {
            IAggregateVerifier.Slot memory s = verifier_.slot(i);
            if (s.offset < end) revert SlotLayout(i);
            _checkSlot(i, s, total, cfg.window, scale);
            end = s.offset + s.numInstances;
        }
        verifier = verifier_;
        aggregateHash = pin;
        numSlots = n;
        numInstances = total;
        scaleBits = scale;
        _lapseRisk();
    }

    /// Settles one forecast per slot: `endRounds[i]` is the round slot i's window ends at,
    /// `instances` the aggregate's public values as `zkinfer aggregate` writes them.
    function submitBatch(bytes calldata proof, uint80[] calldata endRounds, uint256[] calldata instances) external {
        uint256 n = numSlots;
        if (endRounds.length != n) revert RoundCount(n, endRounds.length);
        if (instances.length != numInstances) revert PublicValueCount(numInstances, instances.length);
        uint80 settled = consumedRound;
        if (endRounds[n - 1] <= settled) revert RoundAlreadyUsed(endRounds[n - 1]);
        (IAggregateVerifier.Slot[] memory slots, int256[] memory prices, uint256[] memory times) =
            _readWindows(endRounds, instances);
        if (!verifier.verifyProof(proof, instances)) revert InvalidProof();
        consumedRound = endRounds[n - 1];
        consumedUpdatedAt = times[n - 1];
        batches += 1;
        uint256[] memory values = instances;
        int256 forecast;
        for (uint256 i = 0; i < n; i++) {
            if (endRounds[i] <= settled) {
                emit ForecastSkipped(i, endRounds[i]);
                continue;
            }
            forecast = slotOutputs(slots[i], values)[0];
            emit ForecastSettled(i, endRounds[i], prices[i], forecast, times[i]);
        }
        _setRisk(forecast, prices[n - 1], times[n - 1]);
    }

    /// Reads every slot's window from the feed (consecutive windows share their reads) and checks
    /// it against the slot's inputs part of `instances`: the slots, each window's newest price
    /// and its update time.
    function _readWindows(uint80[] calldata endRounds, uint256[] calldata instances)
        private
        view
        returns (IAggregateVerifier.Slot[] memory slots, int256[] memory prices, uint256[] memory times)
    {
        uint256 n = endRounds.length;
        (slots, prices, times) = (new IAggregateVerifier.Slot[](n), new int256[](n), new uint256[](n));
        (uint80 latest,,,,) = feed.latestRoundData();
        uint80 previous = 0;
        Window memory w;
        for (uint256 i = 0; i < n; i++) {
            if (endRounds[i] <= previous) revert RoundsNotIncreasing(endRounds[i]);
            previous = endRounds[i];
            IAggregateVerifier.Slot memory s = verifier.slot(i);
            w = _window(previous, latest, i == n - 1, w);
            uint256[] memory head = s.inputVisibility == VISIBILITY_PACKED ? _packedWindow(w.inputs, s.packBits) : w.inputs;
            for (uint256 j = 0; j < head.length; j++) {
                if (instances[s.offset + j] != head[j]) revert InputsMismatch(i);
            }
            (slots[i], prices[i], times[i]) = (s, PublicValues.toSigned(w.inputs[w.inputs.length - 1]), w.updatedAt);
        }
    }

    function _inputScaleBits() internal view override returns (uint256) {
        return scaleBits;
    }

    /// A slot this vault can act on: inside the public values, reading the window, showing an
    /// output, binding its weights, at the common scale.
    function _checkSlot(uint256 i, IAggregateVerifier.Slot memory s, uint256 total, uint256 window_, uint256 scale)
        private
        pure
    {
        if (s.offset + s.numInstances > total || s.numPublicInputs + s.numOutputs > s.numInstances) {
            revert SlotLayout(i);
        }
        if (s.weightsMode != WEIGHTS_FIXED && s.weightsMode != WEIGHTS_HASHED) revert SlotWeightsMode(i, s.weightsMode);
        bool packable = s.packBits > 0 && s.packBits <= 252;
        bool inputsRead = s.numInputValues == window_
            && ((s.inputVisibility == VISIBILITY_PUBLIC && s.numPublicInputs == window_)
                || (s.inputVisibility == VISIBILITY_PACKED && packable
                    && s.numPublicInputs == PublicValues.wordCount(window_, s.packBits)));
        if (!inputsRead) revert SlotInputs(i);
        bool outputsShown = s.numOutputs > 0
            && (s.outputVisibility == VISIBILITY_PUBLIC
                || (s.outputVisibility == VISIBILITY_PACKED && s.numOutputValues > 0 && packable));
        if (!outputsShown) revert SlotOutputs(i);
        if (s.scaleBits != scale) revert SlotScale(i);
    }
}
