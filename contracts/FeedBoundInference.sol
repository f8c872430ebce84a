// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier, VISIBILITY_PUBLIC, VISIBILITY_PACKED} from "./IZkinferVerifier.sol";
import {PublicValues} from "./PublicValues.sol";
import {InferenceConsumer} from "./InferenceConsumer.sol";
import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// On-chain input binding: the model's inputs are not the caller's to choose. `submit` takes
/// the proof, the feed round the window ends at, and the public values after the inputs
/// (outputs, and the weights commitment when weights are hashed); the inputs are the feed's
/// `window` answers ending at that round, oldest first, each quantised here exactly as the
/// circuit quantises a real number (`quantise`). A proof over any other prices fails
/// verification, so the outputs a subcontract acts on were computed from the chain's own data.
///
/// Rounds. The submitter names the window's end round: it must be in the feed's current phase,
/// newer than the end round of the last accepted inference (`consumedRound`), and its answer at
/// most `maxPriceAge` seconds old. So a proof made over the latest prices still lands after the
/// feed has moved on (while fresh), each end round serves at most one accepted inference, and
/// no window ending at or before an accepted one is ever accepted again. The window is walked
/// back from the end round through `getRoundData`, across Chainlink phases (round id =
/// phaseId << 64 | aggregator round): before aggregator round 1 of a phase comes the last round
/// of the nearest earlier phase that has one (found by probing, as only the proxy knows it);
/// update times must not increase going back.
///
/// Units. The model sees `answer / priceUnit`; `priceUnit` must be a power of ten no smaller
/// than `10**feed.decimals()`, i.e. a model unit is a whole number of the feed's units (1, 10,
/// 1000, …); anything else is refused (`PriceUnitMismatch`): a unit below 10**decimals is the
/// usual sign of a unit computed for a feed with fewer decimals.
contract FeedBoundInference is InferenceConsumer {
    struct FeedConfig {
        AggregatorV3Interface feed;
        /// Number of feed answers the model reads (its input length).
        uint256 window;
        /// Feed answer units per model unit (10**decimals for whole units, 10**(decimals+3) for thousands).
        uint256 priceUnit;
        /// Largest age, in seconds, of the window's newest answer at submission.
        uint256 maxPriceAge;
    }

    AggregatorV3Interface public immutable feed;
    uint256 public immutable window;
    uint256 public immutable priceUnit;
    uint256 public immutable maxPriceAge;
    /// End round of the latest accepted inference's window.
    uint80 public consumedRound;
    /// Update time of that round's answer.
    uint256 public consumedUpdatedAt;

    event WindowConsumed(uint80 indexed endRound, uint256 updatedAt);

    error WindowMismatch(uint256 verifierInputs, uint256 window);
    error InputsNotPublic(uint8 visibility);
    error ZeroWindow();
    error ZeroPriceUnit();
    error PriceUnitMismatch(uint256 priceUnit, uint8 decimals);
    error ZeroMaxPriceAge();
    /// The named end round is not newer than the end round of the last accepted inference.
    error RoundAlreadyUsed(uint80 round);
    error NotCurrentPhase(uint80 round, uint80 latest);
    error StalePrice(uint80 round, uint256 updatedAt, uint256 maxPriceAge);
    error NotEnoughRounds(uint80 endRound, uint256 window);
    /// The feed has no answer for this round (missing, zero update time, or another round id).
    error InvalidAnswer(uint80 round);
    error RoundsOutOfOrder(uint80 round);
    error QuantiseOverflow(int256 answer);

    constructor(IZkinferVerifier verifier_, ModelPin memory pin, FeedConfig memory cfg) {
        if (address(cfg.feed) == address(0)) revert ZeroAddress();
        if (cfg.window == 0) revert ZeroWindow();
        if (cfg.priceUnit == 0) revert ZeroPriceUnit();
        if (cfg.maxPriceAge == 0) revert ZeroMaxPriceAge();
        uint8 decimals = cfg.feed.decimals();
        if (!_powerOfTenAtLeast(cfg.priceUnit, decimals)) revert PriceUnitMismatch(cfg.priceUnit, decimals);
        feed = cfg.feed;
        window = cfg.window;
        priceUnit = cfg.priceUnit;
        maxPriceAge = cfg.maxPriceAge;
        _install(verifier_, pin);
    }

    /// `endRound`: the round the proof's window ends at (`inputsAt(endRound)` are its inputs).
    /// `tail`: the public values after the inputs, as `zkinfer prove` writes them.
    function submit(bytes calldata proof, uint80 endRound, uint256[] calldata tail) external returns (int256[] memory outputs) {
        if (endRound <= consumedRound) revert RoundAlreadyUsed(endRound);
        (uint80 latest,,,,) = feed.latestRoundData();
        if (endRound >> 64 != latest >> 64) revert NotCurrentPhase(endRound, latest);
        (uint256[] memory inputs,, uint256 updatedAt) = inputsAt(endRound);
        if (block.timestamp > updatedAt && block.timestamp - updatedAt > maxPriceAge) {
            revert StalePrice(endRound, updatedAt, maxPriceAge);
        }
        uint256[] memory head = inputVisibility == VISIBILITY_PACKED ? _packed(inputs) : inputs;
        uint256[] memory instances = new uint256[](head.length + tail.length);
        for (uint256 i = 0; i < head.length; i++) instances[i] = head[i];
        for (uint256 i = 0; i < tail.length; i++) instances[head.length + i] = tail[i];
        outputs = _accept(proof, instances);
        consumedRound = endRound;
        consumedUpdatedAt = updatedAt;
        emit WindowConsumed(endRound, updatedAt);
        _onInference(inputs, outputs, updatedAt);
    }

    /// The public inputs a proof must be over right now: the window ending at the latest round.
    function currentInputs() external view returns (uint256[] memory inputs, uint80 latest) {
        (latest,,,,) = feed.latestRoundData();
        (inputs,,) = inputsAt(latest);
    }

    /// The public inputs (field elements) of the window ending at `endRound`, its round ids
    /// (oldest first) and the update time of its newest answer.
    function inputsAt(uint80 endRound) public view returns (uint256[] memory inputs, uint80[] memory rounds, uint256 updatedAt) {
        uint256 n = window;
        inputs = new uint256[](n);
        rounds = new uint80[](n);
        uint80 round = endRound;
        uint256 newer = type(uint256).max;
        for (uint256 i = n; i > 0; i--) {
            (bool ok, int256 answer, uint256 t) = _read(round);
            if (!ok) revert InvalidAnswer(round);
            if (t > newer) revert RoundsOutOfOrder(round);
            if (i == n) updatedAt = t;
            newer = t;
            inputs[i - 1] = toField(quantise(answer));
            rounds[i - 1] = round;
            if (i > 1) round = _previousRound(round, endRound);
        }
    }

    /// round(answer · 2^scaleBits / priceUnit), halves away from zero: the circuit's
    /// quantisation of the real number answer / priceUnit (`zkinfer::chain::feed::quantise`).
    /// Reverts `QuantiseOverflow` where the result would not be a field element below (r-1)/2.
    function quantise(int256 answer) public view returns (int256) {
        uint256 magnitude = answer < 0 ? uint256(-(answer + 1)) + 1 : uint256(answer);
        uint256 s = scaleBits;
        uint256 shifted = magnitude << s;
        if (s > 255 || shifted >> s != magnitude) revert QuantiseOverflow(answer);
        uint256 unit = priceUnit;
        uint256 q = shifted / unit;
        uint256 rem = shifted % unit;
        if (rem >= unit - rem) q += 1;
        if (q > (R - 1) / 2) revert QuantiseOverflow(answer);
        return answer < 0 ? -int256(q) : int256(q);
    }

    /// Called after every accepted inference with its inputs (field elements), outputs (signed
    /// fixed point at 2^scaleBits) and the update time of the window's newest answer.
    function _onInference(uint256[] memory inputs, int256[] memory outputs, uint256 updatedAt) internal virtual {}

    function _checkVerifier(IZkinferVerifier v, ModelPin memory pin) internal view virtual override {
        super._checkVerifier(v, pin);
        uint8 visibility = v.INPUT_VISIBILITY();
        if (visibility != VISIBILITY_PUBLIC && visibility != VISIBILITY_PACKED) revert InputsNotPublic(visibility);
        uint256 inputs = v.NUM_INPUT_VALUES();
        if (inputs != window) revert WindowMismatch(inputs, window);
    }

    /// The inputs part of the public values for packed inputs: the window's words.
    function _packed(uint256[] memory inputs) internal view returns (uint256[] memory) {
        int256[] memory values = new int256[](inputs.length);
        for (uint256 i = 0; i < inputs.length; i++) values[i] = toSigned(inputs[i]);
        return PublicValues.pack(values, packBits);
    }

    /// (answer present, answer, update time) of `round`; a reverting or empty round is absent.
    function _read(uint80 round) internal view returns (bool ok, int256 answer, uint256 updatedAt) {
        try feed.getRoundData(round) returns (uint80 id, int256 a, uint256, uint256 t, uint80) {
            return (id == round && t != 0, a, t);
        } catch {
            return (false, 0, 0);
        }
    }

    /// The round before `round`: the previous aggregator round, or before the first round of a
    /// phase, the last round of the nearest earlier phase that has rounds.
    function _previousRound(uint80 round, uint80 endRound) internal view returns (uint80) {
        if (uint64(round) > 1) return round - 1;
        for (uint256 phase = round >> 64; phase > 0;) {
            phase--;
            uint80 last = _lastRoundOf(uint80(phase) << 64);
            if (last != 0) return last;
        }
        revert NotEnoughRounds(endRound, window);
    }

    /// The last round of the phase whose ids start at `base | 1` (0 if it has none): aggregator
    /// rounds are consecutive from 1, so an exponential then a binary search over "has data".
    function _lastRoundOf(uint80 base) internal view returns (uint80) {
        (bool ok,,) = _read(base | 1);
        if (!ok) return 0;
        uint80 lo = 1; // has data
        uint80 hi = 2; // to find: one without
        while (true) {
            (ok,,) = _read(base | hi);
            if (!ok) break;
            lo = hi;
            if (hi == uint80(1) << 63) return base | lo;
            hi <<= 1;
        }
        while (hi - lo > 1) {
            uint80 mid = lo + (hi - lo) / 2;
            (ok,,) = _read(base | mid);
            if (ok) lo = mid;
            else hi = mid;
        }
        return base | lo;
    }

    function _powerOfTenAtLeast(uint256 unit, uint8 decimals) private pure returns (bool) {
        uint256 e = 0;
        while (unit % 10 == 0) {
            unit /= 10;
            e++;
        }
        return unit == 1 && e >= decimals;
    }
}
