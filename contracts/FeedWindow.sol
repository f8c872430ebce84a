// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";
import {PublicValues} from "./PublicValues.sol";
import {TwoStepOwnable} from "./TwoStepOwnable.sol";

/// A price feed's window of answers as a model's inputs: what every feed-bound consumer
/// (`FeedBoundInference` for one proof, `BatchForecastVault` for an aggregate) reads, so that the
/// inputs are the chain's own data and not the submitter's to choose.
///
/// Rounds. A window is named by its end round and read back from it through `getRoundData`,
/// across Chainlink phases (round id = phaseId << 64 | aggregator round): before aggregator round
/// 1 of a phase comes the last round of the nearest earlier phase that has one (found by probing,
/// as only the proxy knows it); update times must not increase going back. An end round must be
/// in the feed's current phase (`_window`), so a consumer never reads a window a phase change has
/// left behind.
///
/// Units. The model sees `answer / priceUnit`; `priceUnit` must be a power of ten no smaller
/// than `10**feed.decimals()`, i.e. a model unit is a whole number of the feed's units (1, 10,
/// 1000, …); anything else is refused (`PriceUnitMismatch`): a unit below 10**decimals is the
/// usual sign of a unit computed for a feed with fewer decimals.
abstract contract FeedWindow {
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

    error ZeroWindow();
    error ZeroPriceUnit();
    error PriceUnitMismatch(uint256 priceUnit, uint8 decimals);
    error ZeroMaxPriceAge();
    error NotCurrentPhase(uint80 round, uint80 latest);
    error StalePrice(uint80 round, uint256 updatedAt, uint256 maxPriceAge);
    error NotEnoughRounds(uint80 endRound, uint256 window);
    /// The feed has no answer for this round (missing, zero update time, or another round id).
    error InvalidAnswer(uint80 round);
    error RoundsOutOfOrder(uint80 round);
    error QuantiseOverflow(int256 answer);

    constructor(FeedConfig memory cfg) {
        if (address(cfg.feed) == address(0)) revert TwoStepOwnable.ZeroAddress();
        if (cfg.window == 0) revert ZeroWindow();
        if (cfg.priceUnit == 0) revert ZeroPriceUnit();
        if (cfg.maxPriceAge == 0) revert ZeroMaxPriceAge();
        uint8 decimals = cfg.feed.decimals();
        if (!_powerOfTenAtLeast(cfg.priceUnit, decimals)) revert PriceUnitMismatch(cfg.priceUnit, decimals);
        feed = cfg.feed;
        window = cfg.window;
        priceUnit = cfg.priceUnit;
        maxPriceAge = cfg.maxPriceAge;
    }

    /// The scale the model's inputs are quantised at (2^-scaleBits).
    function _inputScaleBits() internal view virtual returns (uint256);

    /// The public inputs a proof must be over right now: the window ending at the latest round.
    function currentInputs() external view returns (uint256[] memory inputs, uint80 latest) {
        (latest,,,,) = feed.latestRoundData();
        (inputs,,) = inputsAt(latest);
    }

    /// A window read from the feed: its round ids and public inputs (field elements), oldest
    /// first, and the update time of its newest answer.
    struct Window {
        uint80[] rounds;
        uint256[] inputs;
        uint256 updatedAt;
    }

    /// The public inputs (field elements) of the window ending at `endRound`, its round ids
    /// (oldest first) and the update time of its newest answer.
    function inputsAt(uint80 endRound) public view returns (uint256[] memory inputs, uint80[] memory rounds, uint256 updatedAt) {
        Window memory none;
        Window memory w = _walk(endRound, none);
        return (w.inputs, w.rounds, w.updatedAt);
    }

    /// The window ending at `endRound`. When its walk back reaches the end round of `prev` (a
    /// window read before, ending earlier in the same phase), the rest of the walk is `prev`'s,
    /// so it is copied instead of read again: consecutive windows of a batch cost one feed read
    /// each, not `window`.
    function _walk(uint80 endRound, Window memory prev) internal view returns (Window memory w) {
        uint256 n = window;
        w.inputs = new uint256[](n);
        w.rounds = new uint80[](n);
        uint80 round = endRound;
        uint256 newer = type(uint256).max;
        bool joinable = prev.rounds.length == n;
        for (uint256 i = n; i > 0; i--) {
            if (joinable && round == prev.rounds[n - 1]) {
                if (prev.updatedAt > newer) revert RoundsOutOfOrder(round);
                if (i == n) w.updatedAt = prev.updatedAt;
                for (uint256 j = i; j > 0; j--) {
                    w.inputs[j - 1] = prev.inputs[n - 1 - (i - j)];
                    w.rounds[j - 1] = prev.rounds[n - 1 - (i - j)];
                }
                return w;
            }
            (bool ok, int256 answer, uint256 t) = _read(round);
            if (!ok) revert InvalidAnswer(round);
            if (t > newer) revert RoundsOutOfOrder(round);
            if (i == n) w.updatedAt = t;
            newer = t;
            w.inputs[i - 1] = PublicValues.toField(quantise(answer));
            w.rounds[i - 1] = round;
            if (i > 1) round = _previousRound(round, endRound);
        }
    }

    /// round(answer · 2^scaleBits / priceUnit), halves away from zero: the circuit's
    /// quantisation of the real number answer / priceUnit (`zkinfer::chain::feed::quantise`).
    /// Reverts `QuantiseOverflow` where the result would not be a field element below (r-1)/2.
    function quantise(int256 answer) public view returns (int256) {
        uint256 magnitude = answer < 0 ? uint256(-(answer + 1)) + 1 : uint256(answer);
        uint256 s = _inputScaleBits();
        uint256 shifted = magnitude << s;
        if (s > 255 || shifted >> s != magnitude) revert QuantiseOverflow(answer);
        uint256 unit = priceUnit;
        uint256 q = shifted / unit;
        uint256 rem = shifted % unit;
        if (rem >= unit - rem) q += 1;
        if (q > (PublicValues.R - 1) / 2) revert QuantiseOverflow(answer);
        return answer < 0 ? -int256(q) : int256(q);
    }

    /// The window ending at `endRound` (sharing `prev`'s rounds, as `_walk`), after checking that
    /// the round is in the phase of `latest` and, when `fresh`, that its answer is at most
    /// `maxPriceAge` old.
    function _window(uint80 endRound, uint80 latest, bool fresh, Window memory prev) internal view returns (Window memory w) {
        if (endRound >> 64 != latest >> 64) revert NotCurrentPhase(endRound, latest);
        w = _walk(endRound, prev);
        if (fresh && block.timestamp > w.updatedAt && block.timestamp - w.updatedAt > maxPriceAge) {
            revert StalePrice(endRound, w.updatedAt, maxPriceAge);
        }
    }

    /// The inputs part of the public values for packed inputs: the window's words.
    function _packedWindow(uint256[] memory inputs, uint256 bits) internal pure returns (uint256[] memory) {
        int256[] memory values = new int256[](inputs.length);
        for (uint256 i = 0; i < inputs.length; i++) values[i] = PublicValues.toSigned(inputs[i]);
        return PublicValues.pack(values, bits);
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
