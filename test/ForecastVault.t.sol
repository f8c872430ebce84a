// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {RiskTiers} from "../contracts/RiskTiers.sol";
import {FeedWindow} from "../contracts/FeedWindow.sol";
import {TwoStepOwnable} from "../contracts/TwoStepOwnable.sol";
import {FixtureTest, Forecast, loadForecast} from "./utils/Fixtures.sol";
import {MockVerifier} from "./utils/MockVerifier.sol";
import {FixtureForecaster} from "../contracts/generated/FixtureForecaster.sol";
import {FixtureVerifierA} from "../contracts/generated/FixtureVerifierA.sol";
import {IZkinferVerifier, WEIGHTS_FIXED, VISIBILITY_PUBLIC, VISIBILITY_HASHED} from "../contracts/IZkinferVerifier.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {FeedBoundInference} from "../contracts/FeedBoundInference.sol";
import {ForecastVault} from "../contracts/ForecastVault.sol";
import {MockPriceFeed} from "../contracts/MockPriceFeed.sol";
import {AggregatorV3Interface} from "../contracts/AggregatorV3Interface.sol";
import {PublicValues} from "../contracts/PublicValues.sol";

/// A Chainlink OCR-style proxy: like `MockPriceFeed` (phases, ids phase << 64 | round) but a
/// round that does not exist reads as zeros instead of reverting, as OCR aggregators answer.
contract ZeroingFeed is AggregatorV3Interface {
    uint8 public constant decimals = 8;
    uint16 internal phase = 1;
    mapping(uint16 => int256[]) internal answers;

    function push(int256 answer) external {
        answers[phase].push(answer);
    }

    function newPhase() external {
        phase++;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(uint80((uint256(phase) << 64) | answers[phase].length));
    }

    function getRoundData(uint80 id) public view returns (uint80, int256, uint256, uint256, uint80) {
        uint16 p = uint16(id >> 64);
        uint256 r = uint64(id);
        if (r == 0 || r > answers[p].length) return (id, 0, 0, 0, 0);
        return (id, answers[p][r - 1], block.timestamp, block.timestamp, id);
    }
}

/// On-chain input binding with a real proof: the vault verifies the forecast against the feed's
/// own prices, so the fixture proof (made by `make fixtures` over `answers`) is accepted exactly
/// when the window the submitter names holds those prices, is fresh, and is newer than the last
/// one used. Also issue 17 findings 3 (stale risk), 4 (phases, fast feeds) and 6 (refused
/// configurations).
contract ForecastVaultTest is FixtureTest {
    uint256 internal constant MAX_AGE = 1 hours;
    uint256 internal constant VALIDITY = 1 hours;

    Forecast internal f;
    IZkinferVerifier internal verifier;
    MockPriceFeed internal feed;
    ForecastVault internal vault;

    event RiskUpdated(int256 forecast, int256 lastPrice, int256 changeBps, uint256 ltvBps, uint256 feeBps, uint256 validUntil);
    event InferenceVerified(
        address indexed submitter, bytes32 indexed modelHash, bytes32 inputsHash, int256[] outputs, uint256 blockNumber
    );

    InferenceConsumer.ModelPin internal pin;

    function setUp() public {
        f = loadForecast("test/fixtures/proof_forecast.json");
        verifier = IZkinferVerifier(address(new FixtureForecaster()));
        pin = pinOf(verifier);
        feed = new MockPriceFeed(f.decimals);
        vault = newVault(feed);
    }

    function newVault(MockPriceFeed fd) internal returns (ForecastVault) {
        return new ForecastVault(verifier, pin, feedConfig(fd, f.window, f.priceUnit, MAX_AGE), f.moveBps, VALIDITY);
    }

    /// Chainlink round id: phase << 64 | aggregator round.
    function rid(uint256 phase, uint256 round) internal pure returns (uint80) {
        return uint80((phase << 64) | round);
    }

    function pushAnswers(uint256 from, uint256 to) internal {
        for (uint256 i = from; i < to; i++) feed.push(f.answers[i]);
    }

    /// The inputs part of the fixture's public values (what the consumer hashes).
    function head() internal view returns (uint256[] memory h) {
        h = new uint256[](f.instances.length - f.tail.length);
        for (uint256 i = 0; i < h.length; i++) h[i] = f.instances[i];
    }

    function toField(int256 v) internal pure returns (uint256) {
        return v < 0 ? R - uint256(-v) : uint256(v);
    }

    function forecastTier() internal view returns (uint256 ltv) {
        (ltv,,) = vault.tierOf(f.outputValues[0], f.inputValues[f.window - 1]);
    }

    // ---- the binding ----

    function test_AcceptsProofOverTheFeedsPrices() public {
        pushAnswers(0, f.window);
        uint80 end = rid(1, f.window);
        (uint256[] memory inputs, uint80[] memory rounds, uint256 updatedAt) = vault.inputsAt(end);
        for (uint256 i = 0; i < f.window; i++) {
            assertEq(inputs[i], toField(f.inputValues[i]), "on-chain quantisation differs from the prover's");
            assertEq(uint256(rounds[i]), uint256(rid(1, i + 1)), "round ids");
        }
        assertEq(updatedAt, block.timestamp, "update time");
        vault.submit(f.proof, end, f.tail);
        assertEq(vault.submissions(), 1, "not recorded");
        assertEq(uint256(vault.consumedRound()), uint256(end), "consumed round");
        assertEq(vault.lastForecast(), f.outputValues[0], "forecast not stored");
        assertEq(vault.lastPrice(), f.inputValues[f.window - 1], "price not stored");
        assertEq(vault.latestInputsHash(), keccak256(abi.encodePacked(head())), "inputs hash");
        assertEq(vault.ltvBps(), forecastTier(), "tier");
    }

    function test_EmitsVerifiedAndRiskEvents() public {
        pushAnswers(0, f.window);
        int256[] memory outs = new int256[](1);
        outs[0] = f.outputValues[0];
        vm.expectEmit(true, true, false, true);
        emit InferenceVerified(address(this), verifier.MODEL_HASH(), keccak256(abi.encodePacked(head())), outs, block.number);
        vm.expectEmit(false, false, false, false);
        emit RiskUpdated(0, 0, 0, 0, 0, 0);
        vault.submit(f.proof, rid(1, f.window), f.tail);
    }

    function test_ReplayOfTheSameRoundRejected() public {
        pushAnswers(0, f.window);
        vault.submit(f.proof, rid(1, f.window), f.tail);
        vm.expectRevert(abi.encodeWithSelector(FeedBoundInference.RoundAlreadyUsed.selector, rid(1, f.window)));
        vault.submit(f.proof, rid(1, f.window), f.tail);
    }

    /// The market moved: the window ending at the new round is other data than the proof's.
    function test_ProofOverOtherWindowRejected() public {
        pushAnswers(0, f.window);
        feed.push(f.nextAnswer);
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        vault.submit(f.proof, rid(1, f.window + 1), f.tail);
    }

    /// A feed holding the same prices but one, changed by a random non-zero amount large enough
    /// to change its quantised value: the proof is over other prices and must be rejected.
    function testFuzz_ProofOverOtherPricesRejected(uint256 index, int64 delta) public {
        uint256 i = index % f.window;
        int256 d = int256(delta);
        vm.assume(d > int256(f.priceUnit) || d < -int256(f.priceUnit));
        for (uint256 j = 0; j < f.window; j++) feed.push(j == i ? f.answers[j] + d : f.answers[j]);
        // A price the circuit's range check holds makes another packed word (the proof fails);
        // one it cannot hold is refused while packing.
        try vault.submit(f.proof, rid(1, f.window), f.tail) {
            assertTrue(false, "a proof over other prices was accepted");
        } catch (bytes memory err) {
            bytes4 why = bytes4(err);
            assertTrue(why == InferenceConsumer.InvalidProof.selector || why == PublicValues.PackedValueOutOfRange.selector, "other refusal");
        }
    }

    function testFuzz_RandomProofAndTailNeverAccepted(bytes calldata p, uint256 forecast) public {
        pushAnswers(0, f.window);
        uint256[] memory t = new uint256[](f.tail.length);
        t[0] = forecast % R;
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        vault.submit(p, rid(1, f.window), t);
    }

    /// The honest proof with its claimed forecast changed: rejected.
    function testFuzz_ChangedForecastRejected(uint256 delta) public {
        pushAnswers(0, f.window);
        delta = delta % R;
        vm.assume(delta != 0);
        uint256[] memory t = copy(f.tail);
        t[0] = addmod(t[0], delta, R);
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        vault.submit(f.proof, rid(1, f.window), t);
    }

    function testFuzz_OnlyOwnerControls(address caller) public {
        vm.assume(caller != address(this));
        vm.prank(caller);
        vm.expectRevert(TwoStepOwnable.NotOwner.selector);
        vault.proposeVerifier(verifier, pin);
        vm.prank(caller);
        vm.expectRevert(MockPriceFeed.NotOwner.selector);
        feed.push(1);
        vm.prank(caller);
        vm.expectRevert(MockPriceFeed.NotOwner.selector);
        feed.newPhase();
    }

    /// A verifier whose model reads another number of inputs cannot be plugged in.
    function test_VerifierWithOtherWindowRefused() public {
        IZkinferVerifier other = IZkinferVerifier(address(new FixtureVerifierA()));
        InferenceConsumer.ModelPin memory otherPin = pinOf(other);
        bytes memory err = abi.encodeWithSelector(FeedBoundInference.WindowMismatch.selector, other.NUM_INPUT_VALUES(), f.window);
        vm.expectRevert(err);
        vault.proposeVerifier(other, otherPin);
        vm.expectRevert(err);
        new ForecastVault(other, otherPin, feedConfig(feed, f.window, f.priceUnit, MAX_AGE), 50, VALIDITY);
    }

    function test_QuantisationRoundsHalvesAwayFromZero() public view {
        // With priceUnit u and scale 2^s, answer u/2^(s+1) is exactly half a step.
        uint256 s = vault.scaleBits();
        int256 half = int256(f.priceUnit >> (s + 1));
        if (f.priceUnit % (uint256(1) << (s + 1)) == 0) {
            assertTrue(vault.quantise(half) == 1 && vault.quantise(-half) == -1, "halves");
        }
        assertEq(vault.quantise(int256(f.priceUnit)), int256(1 << s), "one unit");
        assertEq(vault.quantise(-int256(f.priceUnit)), -int256(1 << s), "minus one unit");
        assertEq(vault.quantise(int256(f.priceUnit) * 3 / 2), int256(3 << (s - 1)), "one and a half");
    }

    // ---- finding 3: stale risk ----

    /// Before any forecast the vault is defensive.
    function test_DefensiveBeforeTheFirstForecast() public view {
        assertEq(vault.ltvBps(), vault.DEFENSIVE_LTV_BPS(), "ltv");
        assertEq(vault.feeBps(), vault.DEFENSIVE_FEE_BPS(), "fee");
    }

    /// The reviewer's scenario: a favourable forecast, then a -50 % crash and 30 days in which
    /// nobody submits. The tier lapses to defensive after `riskValidity`.
    function test_WithheldForecastsLapseToDefensive() public {
        pushAnswers(0, f.window);
        vault.submit(f.proof, rid(1, f.window), f.tail);
        uint256 tier = forecastTier();
        assertEq(vault.maxBorrow(10_000), tier, "tier of the forecast");
        for (uint256 i = 0; i < f.window; i++) feed.push(f.answers[i] / 2);
        vm.warp(block.timestamp + VALIDITY);
        assertEq(vault.ltvBps(), tier, "still fresh at the boundary");
        vm.warp(block.timestamp + 1);
        assertEq(vault.ltvBps(), vault.DEFENSIVE_LTV_BPS(), "stale tier kept");
        vm.warp(block.timestamp + 30 days);
        assertEq(vault.maxBorrow(10_000), vault.DEFENSIVE_LTV_BPS(), "maxBorrow after 30 days");
        assertEq(vault.feeBps(), vault.DEFENSIVE_FEE_BPS(), "fee after 30 days");
        assertTrue(!vault.riskFresh(), "fresh");
    }

    /// Validity counts from the newest price's update time, not from the submission.
    function test_ValidityCountsFromThePrice() public {
        pushAnswers(0, f.window);
        uint256 t0 = block.timestamp;
        vm.warp(t0 + 30 minutes);
        vault.submit(f.proof, rid(1, f.window), f.tail);
        assertEq(vault.riskValidUntil(), t0 + VALIDITY, "valid until");
    }

    /// A year-old window cannot set the tier.
    function test_YearOldWindowRefused() public {
        pushAnswers(0, f.window);
        uint256 t0 = block.timestamp;
        vm.warp(t0 + 365 days);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.StalePrice.selector, rid(1, f.window), t0, MAX_AGE));
        vault.submit(f.proof, rid(1, f.window), f.tail);
        vm.warp(t0 + MAX_AGE + 1);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.StalePrice.selector, rid(1, f.window), t0, MAX_AGE));
        vault.submit(f.proof, rid(1, f.window), f.tail);
        vm.warp(t0 + MAX_AGE);
        vault.submit(f.proof, rid(1, f.window), f.tail);
    }

    /// A new model's vault starts defensive: the previous model's forecast does not carry over.
    function test_VerifierChangeResetsTheTier() public {
        pushAnswers(0, f.window);
        vault.submit(f.proof, rid(1, f.window), f.tail);
        vault.proposeVerifier(verifier, pin);
        vm.warp(block.timestamp + vault.UPGRADE_DELAY());
        vault.acceptVerifier();
        assertEq(vault.ltvBps(), vault.DEFENSIVE_LTV_BPS(), "tier kept across a verifier change");
        assertEq(vault.latestOutputs().length, 0, "outputs kept");
    }

    // ---- finding 4: phases and fast feeds ----

    /// A phase change in the middle of the window: 3 answers in phase 1, the rest in phase 2.
    function test_WindowAcrossAPhaseChange() public {
        pushAnswers(0, 3);
        feed.newPhase();
        pushAnswers(3, f.window);
        uint80 end = rid(2, f.window - 3);
        (, uint80[] memory rounds,) = vault.inputsAt(end);
        assertEq(uint256(rounds[2]), uint256(rid(1, 3)), "last round of phase 1");
        assertEq(uint256(rounds[3]), uint256(rid(2, 1)), "first round of phase 2");
        vault.submit(f.proof, end, f.tail);
        assertEq(uint256(vault.consumedRound()), uint256(end), "consumed");
    }

    /// Phases without rounds in between are skipped (phase 2 never got an answer).
    function test_WindowAcrossAnEmptyPhase() public {
        pushAnswers(0, 5);
        feed.newPhase();
        feed.newPhase();
        pushAnswers(5, f.window);
        vault.submit(f.proof, rid(3, f.window - 5), f.tail);
    }

    /// The same across a phase change on a feed that answers zeros for missing rounds.
    function test_WindowAcrossAPhaseChangeOnAZeroingFeed() public {
        ZeroingFeed z = new ZeroingFeed();
        ForecastVault v = new ForecastVault(verifier, pin, feedConfig(z, f.window, f.priceUnit, MAX_AGE), f.moveBps, VALIDITY);
        for (uint256 i = 0; i < 6; i++) z.push(f.answers[i]);
        z.newPhase();
        for (uint256 i = 6; i < f.window; i++) z.push(f.answers[i]);
        v.submit(f.proof, rid(2, f.window - 6), f.tail);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.InvalidAnswer.selector, rid(2, f.window - 5)));
        v.submit(f.proof, rid(2, f.window - 5), f.tail);
    }

    /// Every round of phase 1 right after the switch: the window starts in phase 1.
    function testFuzz_PhaseChangeAnywhere(uint256 split) public {
        split = bound(split, 1, f.window - 1);
        pushAnswers(0, split);
        feed.newPhase();
        pushAnswers(split, f.window);
        vault.submit(f.proof, rid(2, f.window - split), f.tail);
    }

    /// The feed updates faster than a proof is made and mined: the proof names its round and
    /// still lands while fresh.
    function test_FeedFasterThanProofs() public {
        pushAnswers(0, f.window);
        uint80 end = rid(1, f.window);
        for (uint256 i = 0; i < 5; i++) {
            vm.warp(block.timestamp + 60);
            feed.push(f.nextAnswer + int256(i));
        }
        vault.submit(f.proof, end, f.tail);
        assertEq(uint256(vault.consumedRound()), uint256(end), "consumed");
        // An older window is never accepted after a newer one.
        vm.expectRevert(abi.encodeWithSelector(FeedBoundInference.RoundAlreadyUsed.selector, rid(1, f.window - 1)));
        vault.submit(f.proof, rid(1, f.window - 1), f.tail);
    }

    /// The window must end in the feed's current phase.
    function test_EndRoundInAnEarlierPhaseRefused() public {
        pushAnswers(0, f.window);
        feed.newPhase();
        feed.push(f.nextAnswer);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.NotCurrentPhase.selector, rid(1, f.window), rid(2, 1)));
        vault.submit(f.proof, rid(1, f.window), f.tail);
    }

    function test_TooFewRoundsAndFutureRoundsRefused() public {
        pushAnswers(0, f.window - 1);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.NotEnoughRounds.selector, rid(1, f.window - 1), f.window));
        vault.submit(f.proof, rid(1, f.window - 1), f.tail);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.InvalidAnswer.selector, rid(1, f.window)));
        vault.submit(f.proof, rid(1, f.window), f.tail);
    }

    // ---- finding 6: configurations that cannot work ----

    function mockForecaster(uint8 outputVisibility, uint256 outputs) internal returns (IZkinferVerifier) {
        return new MockVerifier(
            MockVerifier.Constants(
                keccak256("forecaster"), 0, WEIGHTS_FIXED, VISIBILITY_PUBLIC, outputVisibility, f.window, outputs, verifier.SCALE_BITS(), false
            )
        );
    }

    /// Hashed outputs: the first output would be a commitment read as a price (with a salt, a
    /// submitter grinds the tier).
    function test_HashedOutputsRefused() public {
        IZkinferVerifier v = mockForecaster(VISIBILITY_HASHED, 1);
        InferenceConsumer.ModelPin memory p = pinOf(v);
        vm.expectRevert(abi.encodeWithSelector(ForecastVault.OutputsNotPublic.selector, VISIBILITY_HASHED));
        new ForecastVault(v, p, feedConfig(feed, f.window, f.priceUnit, MAX_AGE), 50, VALIDITY);
        vm.expectRevert(abi.encodeWithSelector(ForecastVault.OutputsNotPublic.selector, VISIBILITY_HASHED));
        vault.proposeVerifier(v, p);
    }

    /// No outputs (NUM_OUTPUTS = 0): every submission would panic.
    function test_NoOutputsRefused() public {
        IZkinferVerifier v = mockForecaster(VISIBILITY_PUBLIC, 0);
        InferenceConsumer.ModelPin memory p = pinOf(v);
        vm.expectRevert(ForecastVault.NoOutputs.selector);
        new ForecastVault(v, p, feedConfig(feed, f.window, f.priceUnit, MAX_AGE), 50, VALIDITY);
    }

    /// Hashed or private inputs: the contract supplies the inputs in clear, so they must be public.
    function test_InputsNotPublicRefused() public {
        MockVerifier.Constants memory c = MockVerifier.Constants(
            keccak256("forecaster"), 0, WEIGHTS_FIXED, VISIBILITY_HASHED, VISIBILITY_PUBLIC, f.window, 1, 12, false
        );
        IZkinferVerifier v = new MockVerifier(c);
        InferenceConsumer.ModelPin memory p = pinOf(v);
        vm.expectRevert(abi.encodeWithSelector(FeedBoundInference.InputsNotPublic.selector, VISIBILITY_HASHED));
        new FeedBoundInference(v, p, feedConfig(feed, f.window, f.priceUnit, MAX_AGE));
    }

    /// quantise shifted unchecked: quantise(2**244) was 0.
    function test_QuantiseOverflowRefused() public {
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.QuantiseOverflow.selector, int256(2 ** 244)));
        vault.quantise(2 ** 244);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.QuantiseOverflow.selector, type(int256).min));
        vault.quantise(type(int256).min);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.QuantiseOverflow.selector, type(int256).max));
        vault.quantise(type(int256).max);
    }

    /// Below the overflow bound quantise agrees with the exact rule (checked against a
    /// 512-bit-free reference where it cannot overflow).
    function testFuzz_QuantiseMatchesTheReference(int128 answer) public view {
        uint256 s = vault.scaleBits();
        uint256 m = answer < 0 ? uint256(-int256(answer)) : uint256(int256(answer));
        uint256 q = (2 * (m << s) + f.priceUnit) / (2 * f.priceUnit);
        assertEq(vault.quantise(answer), answer < 0 ? -int256(q) : int256(q), "quantise");
    }

    function test_ZeroPriceUnitHasItsOwnError() public {
        vm.expectRevert(FeedWindow.ZeroPriceUnit.selector);
        new ForecastVault(verifier, pin, feedConfig(feed, f.window, 0, MAX_AGE), 50, VALIDITY);
    }

    /// The rule: priceUnit is a power of ten no smaller than 10**feed.decimals().
    function test_PriceUnitMustFitTheFeedsDecimals() public {
        MockPriceFeed wide = new MockPriceFeed(18);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.PriceUnitMismatch.selector, f.priceUnit, uint8(18)));
        new ForecastVault(verifier, pin, feedConfig(wide, f.window, f.priceUnit, MAX_AGE), 50, VALIDITY);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.PriceUnitMismatch.selector, uint256(12345 * 10 ** 8), f.decimals));
        new ForecastVault(verifier, pin, feedConfig(feed, f.window, 12345 * 10 ** 8, MAX_AGE), 50, VALIDITY);
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.PriceUnitMismatch.selector, uint256(10 ** (f.decimals - 1)), f.decimals));
        new ForecastVault(verifier, pin, feedConfig(feed, f.window, 10 ** (f.decimals - 1), MAX_AGE), 50, VALIDITY);
        new ForecastVault(verifier, pin, feedConfig(feed, f.window, 10 ** f.decimals, MAX_AGE), 50, VALIDITY);
        new ForecastVault(verifier, pin, feedConfig(wide, f.window, 10 ** 21, MAX_AGE), 50, VALIDITY);
    }

    function test_ZeroParametersRefused() public {
        vm.expectRevert(FeedWindow.ZeroWindow.selector);
        new FeedBoundInference(verifier, pin, feedConfig(feed, 0, f.priceUnit, MAX_AGE));
        vm.expectRevert(FeedWindow.ZeroMaxPriceAge.selector);
        new FeedBoundInference(verifier, pin, feedConfig(feed, f.window, f.priceUnit, 0));
        vm.expectRevert(RiskTiers.ZeroRiskValidity.selector);
        new ForecastVault(verifier, pin, feedConfig(feed, f.window, f.priceUnit, MAX_AGE), 50, 0);
        vm.expectRevert(TwoStepOwnable.ZeroAddress.selector);
        new FeedBoundInference(verifier, pin, feedConfig(MockPriceFeed(address(0)), f.window, f.priceUnit, MAX_AGE));
    }
}
