// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FeedWindow} from "../../contracts/FeedWindow.sol";
import {TwoStepOwnable} from "../../contracts/TwoStepOwnable.sol";
import {TestBase} from "./Vm.sol";
import {Forecast} from "./Fixtures.sol";
import {MockVerifier, plainConstants} from "./MockVerifier.sol";
import {
    IZkinferVerifier, WEIGHTS_PRIVATE, VISIBILITY_PUBLIC, VISIBILITY_HASHED, VISIBILITY_PACKED
} from "../../contracts/IZkinferVerifier.sol";
import {PublicValues} from "../../contracts/PublicValues.sol";
import {InferenceConsumer} from "../../contracts/InferenceConsumer.sol";
import {FeedBoundInference} from "../../contracts/FeedBoundInference.sol";
import {ForecastVault} from "../../contracts/ForecastVault.sol";
import {MockPriceFeed} from "../../contracts/MockPriceFeed.sol";

/// The actor of the invariant suites: it owns a `MockPriceFeed` and a feed-bound consumer (a
/// `FeedBoundInference` or a `ForecastVault`) and drives them with random sequences of feed
/// updates (including phase changes and empty phases), proofs, submissions (honest, replayed,
/// stale, over another window, tampered, of another model, naming missing rounds), time warps and
/// owner actions (proposals of the right model, of another, of an always-true verifier reporting
/// the right hash, of an unbound-weights verifier, with wrong pins; cancels, early and late
/// accepts, two-step ownership transfers, strangers).
///
/// It keeps its own record of the feed (every round pushed, in order: the window ending at a
/// round is the `window` rounds pushed up to it, whatever the phases) and of what the consumer
/// should hold, computes the expected outcome of every call from that record alone (its own
/// quantisation, its own window, its own policy), and reverts (so the run fails, `fail_on_revert`)
/// when the consumer does otherwise. The invariant functions compare the consumer's state with
/// the record after every call.
///
/// Valid proofs. `real == false`: the verifiers are `MockVerifier`s that accept exactly the
/// (proof, public values) pairs this handler's `prove` recorded (an honest prover over the feed's
/// real window, any forecast), so "valid" submissions are cheap and plentiful. `real == true`: the
/// installed verifier is the generated `FixtureForecaster` and the only valid proof is the
/// fixture's, over the fixture's answers, which `pushFixture` puts on the feed (split over a phase
/// change at a random point); the record then expects acceptance exactly for that statement.
contract FeedHandler is TestBase {
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    address internal constant ALICE = address(0xA11CE);
    address internal constant STRANGER = address(0xBAD);

    struct Round {
        uint80 id;
        int256 answer;
        uint256 time;
    }

    struct Proof {
        bytes proof;
        uint80 end;
        uint256[] tail;
    }

    struct Install {
        uint256 proposedAt;
        uint256 installedAt;
        address verifier;
    }

    bool public immutable real;
    bool public immutable isVault;
    uint256 public immutable window;
    uint256 public immutable priceUnit;
    uint256 public immutable maxAge;
    uint256 public immutable validity;
    uint256 public immutable moveBps;
    uint256 public immutable scaleBits;

    MockPriceFeed public feed;
    FeedBoundInference public consumer;
    IZkinferVerifier[] public verifiers;
    InferenceConsumer.ModelPin[] internal pins;
    IZkinferVerifier public realVerifier;
    Forecast internal fixture;

    // ---- the record ----
    Round[] internal history;
    mapping(uint80 => uint256) internal positionOf; // round id → index + 1 in `history`
    uint16 internal phase = 1;
    Proof[] internal proofs;
    Proof internal lastAccepted;
    uint80 internal lastFixtureEnd;

    address public ghostVerifier;
    bytes32 public ghostModelHash;
    address public ghostPending;
    InferenceConsumer.ModelPin internal ghostPendingPin;
    uint256 public ghostPendingEta;
    uint256 internal ghostPendingProposedAt;
    address public ghostOwner;
    address public ghostPendingOwner;
    uint80 public ghostConsumed;
    uint256 public ghostAccepted;
    bytes32 public ghostInputsHash;
    int256[] internal ghostOutputs;
    int256 public ghostForecast;
    int256 public ghostPrice;
    uint256 public ghostValidUntil;
    uint80[] internal acceptedEnds;
    Install[] internal installs;

    /// How often each outcome happened (for the suites' coverage checks).
    mapping(bytes32 => uint256) public count;

    constructor(bool real_, bool vault_, Forecast memory f, IZkinferVerifier realVerifier_) {
        real = real_;
        isVault = vault_;
        window = real_ ? f.window : 3;
        priceUnit = real_ ? f.priceUnit : 10 ** 8;
        maxAge = 1 hours;
        validity = 2 hours;
        moveBps = 50;
        scaleBits = real_ ? realVerifier_.SCALE_BITS() : 12;
        feed = new MockPriceFeed(real_ ? f.decimals : 8);
        ghostOwner = address(this);

        // The verifiers an owner may propose: [0] the model in force, [1] another model,
        // [2] an always-true contract reporting [0]'s hash (issue 17 finding 2), [3] a verifier
        // binding no weights, [4] one reading another window, [5] one with hashed outputs.
        bytes32 modelHash;
        if (real_) {
            realVerifier = realVerifier_;
            fixture = f;
            modelHash = realVerifier_.MODEL_HASH();
            _add(realVerifier_);
        } else {
            modelHash = keccak256("model A");
            _add(new MockVerifier(plainConstants(modelHash, window, 1, scaleBits)));
        }
        _add(new MockVerifier(plainConstants(keccak256("model B"), window, 1, scaleBits)));
        MockVerifier.Constants memory c = plainConstants(modelHash, window, 1, scaleBits);
        c.acceptAll = true;
        _add(new MockVerifier(c));
        c = plainConstants(keccak256("unbound model"), window, 1, scaleBits);
        c.weightsMode = WEIGHTS_PRIVATE;
        _add(new MockVerifier(c));
        _add(new MockVerifier(plainConstants(keccak256("wider model"), window + 1, 1, scaleBits)));
        c = plainConstants(keccak256("hashed outputs"), window, 1, scaleBits);
        c.outputVisibility = VISIBILITY_HASHED;
        _add(new MockVerifier(c));

        FeedWindow.FeedConfig memory cfg = FeedWindow.FeedConfig(feed, window, priceUnit, maxAge);
        consumer = vault_
            ? new ForecastVault(verifiers[0], pins[0], cfg, moveBps, validity)
            : new FeedBoundInference(verifiers[0], pins[0], cfg);
        ghostVerifier = address(verifiers[0]);
        ghostModelHash = modelHash;
        ghostValidUntil = 0;
        for (uint256 i = 0; i < window; i++) _push(int256(priceUnit) * int256(2000 + i));
    }

    function _add(IZkinferVerifier v) private {
        verifiers.push(v);
        pins.push(InferenceConsumer.ModelPin(v.MODEL_HASH(), v.MODEL_COMMITMENT(), false));
    }

    // ================= actions =================

    /// The market moves: one new answer, after `dt` seconds (at most 20 minutes).
    function push(uint256 seed, uint256 dt) external {
        vm.warp(block.timestamp + bound(dt, 0, 20 minutes));
        int256 answer;
        if (seed % 5 == 0 && history.length > 0) {
            answer = history[history.length - 1].answer; // the same price again
        } else {
            answer = int256(bound(seed, priceUnit / 2, 4 * priceUnit));
        }
        _push(answer);
        count["push"]++;
    }

    /// A new phase (aggregator), sometimes with an empty phase before it, and its first answer.
    function newPhase(uint256 seed, bool skipOne) external {
        _newPhase();
        if (skipOne) _newPhase();
        _push(int256(bound(seed, priceUnit / 2, 4 * priceUnit)));
        count["newPhase"]++;
    }

    /// `real`: the fixture's answers, with a phase change before answer `split` (when in range).
    function pushFixture(uint256 split, uint256 dt) external {
        if (!real) return;
        vm.warp(block.timestamp + bound(dt, 0, 20 minutes));
        split = split % (fixture.answers.length * 2);
        for (uint256 i = 0; i < fixture.answers.length; i++) {
            if (i == split && i > 0) _newPhase();
            _push(fixture.answers[i]);
        }
        lastFixtureEnd = history[history.length - 1].id;
        count["pushFixture"]++;
    }

    /// Time passes: up to 3 hours, or (one call in eight) past the upgrade delay.
    function warp(uint256 dt) external {
        vm.warp(block.timestamp + (dt % 8 == 0 ? consumer.UPGRADE_DELAY() : bound(dt, 1, 3 hours)));
        count["warp"]++;
    }

    /// An honest prover: a proof of some forecast over the window ending at the latest round (or,
    /// one time in three, a recent one), recorded with the installed verifier when it is a mock
    /// (or, one time in four, with model B's: another model's proof).
    function prove(uint256 endPick, uint256 forecastSeed, uint256 which) external {
        _prove(endPick, forecastSeed, which);
        count["prove"]++;
    }

    /// The bot's round: prove over the latest window and submit at once.
    function proveAndSubmit(uint256 forecastSeed, uint256 which) external {
        if (!_prove(0, forecastSeed, which)) return;
        Proof memory p = proofs[proofs.length - 1];
        _submit(p.proof, p.end, p.tail);
        count["proveAndSubmit"]++;
    }

    function _prove(uint256 endPick, uint256 forecastSeed, uint256 which) internal returns (bool) {
        if (history.length < window) return false;
        uint256 idx = history.length - 1;
        if (endPick % 3 == 1) {
            uint256 span = history.length - window + 1;
            idx -= (endPick / 3) % (span < 12 ? span : 12);
        }
        uint256[] memory tail = new uint256[](1);
        int256 unit = int256(uint256(1) << scaleBits);
        tail[0] = _toField(int256(bound(forecastSeed, 0, uint256(6000 * unit))) - 1000 * unit);
        bytes memory p = abi.encode("proof", proofs.length);
        address v = address(verifiers[1]); // model B's mock
        if (which % 4 != 0 && ghostVerifier != address(realVerifier)) v = ghostVerifier;
        if (MockVerifier(v).acceptAll()) v = address(verifiers[1]);
        MockVerifier(v).record(p, _instances(_window(idx), tail));
        proofs.push(Proof(p, history[idx].id, tail));
        return true;
    }

    /// A submission: a proof the prover made (or the fixture's), naming its own end round, some
    /// other round, the consumed round or a missing one, with its tail honest or tampered.
    function submit(uint256 proofPick, uint256 roundPick, uint256 tamper) external {
        Proof memory p;
        if (real && (proofs.length == 0 || proofPick % 3 != 0)) {
            p = Proof(fixture.proof, lastFixtureEnd, fixture.tail);
        } else if (proofs.length > 0) {
            p = proofs[proofPick % 2 == 0 ? proofs.length - 1 : (proofPick / 2) % proofs.length];
        } else {
            return;
        }
        uint80 end = p.end;
        uint256 mode = roundPick % 6;
        if (mode == 1 || end == 0) {
            end = history[history.length - 1 - (roundPick / 6) % (history.length < 12 ? history.length : 12)].id;
        } else if (mode == 2) {
            end = ghostConsumed;
        } else if (mode == 3) {
            end = history[history.length - 1].id + uint80(1 + (roundPick / 6) % 3);
        }
        uint256[] memory tail = p.tail;
        if (tamper % 7 == 0) {
            tail = new uint256[](p.tail.length);
            for (uint256 i = 0; i < tail.length; i++) tail[i] = p.tail[i];
            tail[0] = addmod(tail[0], 1 + tamper % 1000, R);
        } else if (tamper % 7 == 1) {
            tail = new uint256[](p.tail.length + 1);
            for (uint256 i = 0; i < p.tail.length; i++) tail[i] = p.tail[i];
        }
        _submit(p.proof, end, tail);
    }

    /// The last accepted submission again.
    function replay() external {
        if (ghostAccepted == 0) return;
        _submit(lastAccepted.proof, lastAccepted.end, lastAccepted.tail);
        count["replay"]++;
    }

    /// The owner proposes verifier `pick` with its honest pin, or a wrong one, allowing unbound
    /// weights or not.
    function propose(uint256 pick, bool wrongPin, bool allowUnbound) external {
        uint256 i = pick % verifiers.length;
        IZkinferVerifier v = verifiers[i];
        InferenceConsumer.ModelPin memory pin = pins[i];
        pin.allowUnboundWeights = allowUnbound;
        if (wrongPin) pin.modelHash = keccak256(abi.encode(pin.modelHash));
        bytes memory expected = _expectedCheck(v, pin);
        vm.prank(ghostOwner);
        try consumer.proposeVerifier(v, pin) {
            _require(expected.length == 0, "proposal accepted that the record refuses", expected);
            ghostPending = address(v);
            ghostPendingPin = pin;
            ghostPendingEta = block.timestamp + consumer.UPGRADE_DELAY();
            ghostPendingProposedAt = block.timestamp;
            count["propose.ok"]++;
        } catch (bytes memory err) {
            _require(keccak256(err) == keccak256(expected), "proposal refused otherwise than the record", err);
            count["propose.refused"]++;
        }
    }

    function cancel() external {
        bytes memory expected = ghostPendingEta == 0 ? abi.encodeWithSelector(InferenceConsumer.NoPendingVerifier.selector) : bytes("");
        vm.prank(ghostOwner);
        try consumer.cancelVerifier() {
            _require(expected.length == 0, "cancel without a proposal", expected);
            _clearPending();
            count["cancel.ok"]++;
        } catch (bytes memory err) {
            _require(keccak256(err) == keccak256(expected), "cancel refused otherwise than the record", err);
        }
    }

    /// The owner tries to install the proposal (possibly before its time).
    function accept() external {
        bytes memory expected;
        if (ghostPendingEta == 0) {
            expected = abi.encodeWithSelector(InferenceConsumer.NoPendingVerifier.selector);
        } else if (block.timestamp < ghostPendingEta) {
            expected = abi.encodeWithSelector(InferenceConsumer.UpgradeNotReady.selector, ghostPendingEta);
        }
        vm.prank(ghostOwner);
        try consumer.acceptVerifier() {
            _require(expected.length == 0, "install without a ripe proposal", expected);
            installs.push(Install(ghostPendingProposedAt, block.timestamp, ghostPending));
            ghostVerifier = ghostPending;
            ghostModelHash = ghostPendingPin.modelHash;
            _clearPending();
            delete ghostOutputs;
            ghostInputsHash = bytes32(0);
            ghostValidUntil = 0;
            count["accept.ok"]++;
        } catch (bytes memory err) {
            _require(keccak256(err) == keccak256(expected), "install refused otherwise than the record", err);
            count["accept.refused"]++;
        }
    }

    /// Someone else than the owner tries each owner action.
    function stranger(uint256 which) external {
        vm.startPrank(STRANGER);
        bytes memory expected = abi.encodeWithSelector(TwoStepOwnable.NotOwner.selector);
        uint256 w = which % 4;
        bytes memory err;
        if (w == 0) {
            try consumer.proposeVerifier(verifiers[2], pins[2]) {} catch (bytes memory e) { err = e; }
        } else if (w == 1) {
            try consumer.acceptVerifier() {} catch (bytes memory e) { err = e; }
        } else if (w == 2) {
            try consumer.cancelVerifier() {} catch (bytes memory e) { err = e; }
        } else {
            try consumer.transferOwnership(STRANGER) {} catch (bytes memory e) { err = e; }
        }
        vm.stopPrank();
        _require(keccak256(err) == keccak256(expected), "a stranger acted as owner", err);
        count["stranger"]++;
    }

    /// Ownership moves between this handler and ALICE, in two steps.
    function transferOwnership() external {
        address next = ghostOwner == address(this) ? ALICE : address(this);
        vm.prank(ghostOwner);
        consumer.transferOwnership(next);
        ghostPendingOwner = next;
        count["transferOwnership"]++;
    }

    function acceptOwnership(bool byStranger) external {
        address who = byStranger ? STRANGER : ghostPendingOwner;
        bool ok = !byStranger && ghostPendingOwner != address(0);
        vm.prank(who == address(0) ? STRANGER : who);
        try consumer.acceptOwnership() {
            _require(ok, "ownership taken without being offered", "");
            ghostOwner = ghostPendingOwner;
            ghostPendingOwner = address(0);
            count["acceptOwnership"]++;
        } catch (bytes memory err) {
            _require(!ok && bytes4(err) == TwoStepOwnable.NotPendingOwner.selector, "acceptOwnership refused", err);
        }
    }

    // ================= the record's predictions =================

    function _submit(bytes memory proof, uint80 end, uint256[] memory tail) internal {
        (bytes memory expected, uint256[] memory inputs, uint256 time) = _expectedSubmit(proof, end, tail);
        try consumer.submit(proof, end, tail) returns (int256[] memory got) {
            _require(expected.length == 0, "submission accepted that the record refuses", expected);
            int256 forecast = _firstOutput(tail[0]);
            _require(got.length == 1 && got[0] == forecast, "outputs are not the proof's", "");
            ghostConsumed = end;
            ghostAccepted++;
            acceptedEnds.push(end);
            ghostInputsHash = keccak256(abi.encodePacked(_head(inputs)));
            delete ghostOutputs;
            ghostOutputs.push(forecast);
            ghostForecast = forecast;
            ghostPrice = _toSigned(inputs[inputs.length - 1]);
            ghostValidUntil = time + validity;
            lastAccepted = Proof(proof, end, tail);
            count["submit.accepted"]++;
        } catch (bytes memory err) {
            _require(keccak256(err) == keccak256(expected), "submission refused otherwise than the record", err);
            count[keccak256(expected) == keccak256(abi.encodeWithSelector(InferenceConsumer.InvalidProof.selector)) ? bytes32("submit.invalid") : bytes32("submit.refused")]++;
        }
    }

    /// The revert the consumer must give (empty: acceptance), the window's inputs, its time.
    function _expectedSubmit(bytes memory proof, uint80 end, uint256[] memory tail)
        internal
        view
        returns (bytes memory, uint256[] memory inputs, uint256 time)
    {
        uint80 latest = history[history.length - 1].id;
        if (end <= ghostConsumed) return (abi.encodeWithSelector(FeedBoundInference.RoundAlreadyUsed.selector, end), inputs, 0);
        if (end >> 64 != latest >> 64) {
            return (abi.encodeWithSelector(FeedWindow.NotCurrentPhase.selector, end, latest), inputs, 0);
        }
        uint256 pos = positionOf[end];
        if (pos == 0) return (abi.encodeWithSelector(FeedWindow.InvalidAnswer.selector, end), inputs, 0);
        if (pos < window) return (abi.encodeWithSelector(FeedWindow.NotEnoughRounds.selector, end, window), inputs, 0);
        inputs = _window(pos - 1);
        time = history[pos - 1].time;
        if (block.timestamp - time > maxAge) {
            return (abi.encodeWithSelector(FeedWindow.StalePrice.selector, end, time, maxAge), inputs, time);
        }
        if (_packedInputs()) {
            int256 half = int256(1 << (2 * scaleBits));
            for (uint256 i = 0; i < window; i++) {
                int256 v = _toSigned(inputs[i]);
                if (v < -half || v >= half) {
                    return (abi.encodeWithSelector(PublicValues.PackedValueOutOfRange.selector, i, v), inputs, time);
                }
            }
        }
        uint256[] memory head = _head(inputs);
        uint256 numOut = IZkinferVerifier(ghostVerifier).NUM_OUTPUTS();
        if (tail.length != numOut) {
            return (abi.encodeWithSelector(InferenceConsumer.PublicValueCount.selector, head.length + numOut, head.length + tail.length), inputs, time);
        }
        if (!_accepts(ghostVerifier, proof, _instances(head, tail))) {
            return (abi.encodeWithSelector(InferenceConsumer.InvalidProof.selector), inputs, time);
        }
        return ("", inputs, time);
    }

    /// Whether verifier `v` accepts: a mock, what was recorded with it (or everything); the
    /// generated verifier, the fixture's statement only (it is sound, and that is the only valid
    /// proof this suite knows; anything else it accepted would be a forgery).
    function _accepts(address v, bytes memory proof, uint256[] memory instances) internal view returns (bool) {
        if (v == address(realVerifier)) {
            return keccak256(proof) == keccak256(fixture.proof) && keccak256(abi.encode(instances)) == keccak256(abi.encode(fixture.instances));
        }
        MockVerifier m = MockVerifier(v);
        return m.acceptAll() || m.proven(m.statement(proof, instances));
    }

    /// The revert `proposeVerifier(v, pin)` must give (empty: none), from the record's reading of
    /// v's constants.
    function _expectedCheck(IZkinferVerifier v, InferenceConsumer.ModelPin memory pin) internal view returns (bytes memory) {
        if (v.MODEL_HASH() != pin.modelHash) return abi.encodeWithSelector(InferenceConsumer.ModelMismatch.selector, pin.modelHash, v.MODEL_HASH());
        if (v.WEIGHTS_MODE() == WEIGHTS_PRIVATE && !pin.allowUnboundWeights) return abi.encodeWithSelector(InferenceConsumer.UnboundWeights.selector);
        if (v.NUM_INPUT_VALUES() != window) return abi.encodeWithSelector(FeedBoundInference.WindowMismatch.selector, v.NUM_INPUT_VALUES(), window);
        uint8 out = v.OUTPUT_VISIBILITY();
        if (isVault && out != VISIBILITY_PUBLIC && out != VISIBILITY_PACKED) return abi.encodeWithSelector(ForecastVault.OutputsNotPublic.selector, out);
        return "";
    }

    // ================= the record =================

    function _push(int256 answer) internal {
        feed.push(answer);
        uint80 id = uint80((uint256(phase) << 64) | feed.roundsInPhase(phase));
        history.push(Round(id, answer, block.timestamp));
        positionOf[id] = history.length;
    }

    function _newPhase() internal {
        feed.newPhase();
        phase += 1;
    }

    /// The quantised answers of the `window` rounds pushed up to history[idx] (field elements).
    function _window(uint256 idx) internal view returns (uint256[] memory inputs) {
        inputs = new uint256[](window);
        for (uint256 i = 0; i < window; i++) inputs[i] = _toField(_quantise(history[idx + 1 - window + i].answer));
    }

    /// round(answer · 2^s / unit), halves away from zero (the answers here are small).
    function _quantise(int256 answer) internal view returns (int256) {
        uint256 m = answer < 0 ? uint256(-answer) : uint256(answer);
        uint256 q = (2 * (m << scaleBits) + priceUnit) / (2 * priceUnit);
        return answer < 0 ? -int256(q) : int256(q);
    }

    function _packedInputs() internal view returns (bool) {
        return IZkinferVerifier(ghostVerifier).INPUT_VISIBILITY() == VISIBILITY_PACKED;
    }

    /// The inputs part of the public values for the verifier in force: the window itself, or
    /// packed as the record packs it (Σ (v_i + 2^(B-1))·2^(B·i) by multiplication, not the
    /// library's shifts).
    function _head(uint256[] memory inputs) internal view returns (uint256[] memory head) {
        if (!_packedInputs()) return inputs;
        uint256 b = 2 * scaleBits + 1;
        uint256 m = 252 / b;
        head = new uint256[]((inputs.length + m - 1) / m);
        for (uint256 i = 0; i < inputs.length; i++) {
            uint256 u = uint256(_toSigned(inputs[i]) + int256(2 ** (b - 1)));
            head[i / m] += u * 2 ** (b * (i % m));
        }
    }

    /// The first output a tail's first public value states for the verifier in force.
    function _firstOutput(uint256 word) internal view returns (int256) {
        if (IZkinferVerifier(ghostVerifier).OUTPUT_VISIBILITY() != VISIBILITY_PACKED) return _toSigned(word);
        uint256 b = 2 * scaleBits + 1;
        return int256(word % 2 ** b) - int256(2 ** (b - 1));
    }

    function _instances(uint256[] memory inputs, uint256[] memory tail) internal pure returns (uint256[] memory out) {
        out = new uint256[](inputs.length + tail.length);
        for (uint256 i = 0; i < inputs.length; i++) out[i] = inputs[i];
        for (uint256 i = 0; i < tail.length; i++) out[inputs.length + i] = tail[i];
    }

    function _clearPending() internal {
        ghostPending = address(0);
        delete ghostPendingPin;
        ghostPendingEta = 0;
        ghostPendingProposedAt = 0;
    }

    function _require(bool ok, string memory why, bytes memory detail) internal pure {
        if (!ok) revert(string.concat(why, " (", vm.toString(detail), ")"));
    }

    function _toSigned(uint256 v) internal pure returns (int256) {
        return v > (R - 1) / 2 ? -int256(R - v) : int256(v);
    }

    function _toField(int256 v) internal pure returns (uint256) {
        return v < 0 ? R - uint256(-v) : uint256(v);
    }

    // ================= what the invariants read =================

    /// keccak256 of the quantised window ending at `end`, from the record.
    function windowHash(uint80 end) external view returns (bytes32) {
        uint256 pos = positionOf[end];
        require(pos >= window, "no such window in the record");
        return keccak256(abi.encodePacked(_head(_window(pos - 1))));
    }

    function outputs() external view returns (int256[] memory) {
        return ghostOutputs;
    }

    function accepted() external view returns (uint80[] memory) {
        return acceptedEnds;
    }

    function installCount() external view returns (uint256) {
        return installs.length;
    }

    function installAt(uint256 i) external view returns (Install memory) {
        return installs[i];
    }

    /// The tier the policy gives a forecast after a price (the record's copy of the policy).
    function tier(int256 forecast, int256 price) public view returns (uint256 ltv, uint256 fee) {
        int256 change = price == 0 ? int256(0) : ((forecast - price) * 10_000) / (price < 0 ? -price : price);
        if (change <= -int256(moveBps)) return (6000, 50);
        if (change >= int256(moveBps)) return (8000, 10);
        return (7500, 30);
    }
}
