// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureForecaster} from "../contracts/generated/FixtureForecaster.sol";
import {FixtureVerifierA} from "../contracts/generated/FixtureVerifierA.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {FeedBoundInference} from "../contracts/FeedBoundInference.sol";
import {ForecastVault} from "../contracts/ForecastVault.sol";
import {MockPriceFeed} from "../contracts/MockPriceFeed.sol";

/// On-chain input binding: the vault verifies the forecast against the feed's own last prices,
/// so the fixture proof (made by `make fixtures` over `answers`) is accepted exactly when the
/// feed holds those prices, once.
contract ForecastVaultTest is FixtureTest {
    IZkinferVerifier internal verifier;
    MockPriceFeed internal feed;
    ForecastVault internal vault;
    bytes internal proof;
    uint256[] internal tail;
    uint256[] internal instances;
    int256[] internal answers;
    int256 internal nextAnswer;
    uint256 internal window;
    uint256 internal priceUnit;

    event RiskUpdated(int256 forecast, int256 lastPrice, int256 changeBps, uint256 ltvBps, uint256 feeBps);
    event InferenceVerified(address indexed submitter, bytes32 indexed modelHash, int256[] outputs, uint256 blockNumber);

    function setUp() public {
        string memory json = vm.readFile("test/fixtures/proof_forecast.json");
        (proof, instances) = loadProof("test/fixtures/proof_forecast.json");
        tail = vm.parseJsonUintArray(json, ".tail");
        answers = vm.parseJsonIntArray(json, ".answers");
        nextAnswer = vm.parseJsonInt(json, ".next_answer");
        window = vm.parseJsonUint(json, ".window");
        priceUnit = vm.parseJsonUint(json, ".price_unit");
        verifier = IZkinferVerifier(address(new FixtureForecaster()));
        feed = new MockPriceFeed(uint8(vm.parseJsonUint(json, ".decimals")));
        feed.pushMany(answers);
        vault = new ForecastVault(verifier, feed, window, priceUnit, vm.parseJsonUint(json, ".move_bps"));
    }

    function test_AcceptsProofOverTheFeedsPrices() public {
        (uint256[] memory inputs, uint80 round) = vault.currentInputs();
        for (uint256 i = 0; i < window; i++) assertTrue(inputs[i] == instances[i], "on-chain quantisation differs from the prover's");
        vault.submit(proof, tail);
        assertTrue(vault.submissions() == 1 && vault.consumedRound() == round, "not recorded");
        assertTrue(vault.lastForecast() == int256(tail[0]), "forecast not stored");
        assertTrue(vault.lastPrice() == int256(instances[window - 1]), "price not stored");
    }

    function test_EmitsVerifiedAndRiskEvents() public {
        int256[] memory outs = new int256[](1);
        outs[0] = int256(tail[0]);
        vm.expectEmit(true, true, false, true);
        emit InferenceVerified(address(this), verifier.MODEL_HASH(), outs, block.number);
        vm.expectEmit(false, false, false, false);
        emit RiskUpdated(0, 0, 0, 0, 0);
        vault.submit(proof, tail);
    }

    function test_ReplayOfTheSameRoundRejected() public {
        vault.submit(proof, tail);
        vm.expectRevert(abi.encodeWithSelector(FeedBoundInference.RoundAlreadyUsed.selector, uint80(window)));
        vault.submit(proof, tail);
    }

    /// The market moved: the window now ends at a new price, the old proof is over other data.
    function test_ProofOverStalePricesRejected() public {
        feed.push(nextAnswer);
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        vault.submit(proof, tail);
    }

    /// A feed holding the same prices but one, changed by a random non-zero amount large enough
    /// to change its quantised value: the proof is over other prices and must be rejected.
    function testFuzz_ProofOverOtherPricesRejected(uint256 index, int64 delta) public {
        uint256 i = index % window;
        int256 d = int256(delta);
        vm.assume(d > int256(priceUnit) || d < -int256(priceUnit));
        MockPriceFeed other = new MockPriceFeed(feed.decimals());
        int256[] memory changed = new int256[](answers.length);
        for (uint256 j = 0; j < answers.length; j++) changed[j] = answers[j];
        changed[answers.length - window + i] += d;
        other.pushMany(changed);
        ForecastVault v = new ForecastVault(verifier, other, window, priceUnit, vault.moveBps());
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        v.submit(proof, tail);
    }

    function testFuzz_RandomProofAndTailNeverAccepted(bytes calldata p, uint256[] calldata t) public {
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        vault.submit(p, t);
    }

    /// The honest proof with its claimed forecast changed: rejected.
    function testFuzz_ChangedForecastRejected(uint256 delta) public {
        delta = delta % R;
        vm.assume(delta != 0);
        uint256[] memory t = copy(tail);
        t[0] = addmod(t[0], delta, R);
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        vault.submit(proof, t);
    }

    function testFuzz_OnlyOwnerControls(address caller) public {
        vm.assume(caller != address(this));
        vm.prank(caller);
        vm.expectRevert(InferenceConsumer.NotOwner.selector);
        vault.setVerifier(verifier);
        vm.prank(caller);
        vm.expectRevert(MockPriceFeed.NotOwner.selector);
        feed.push(1);
    }

    /// A verifier whose model reads another number of inputs cannot be plugged in.
    function test_VerifierWithOtherWindowRefused() public {
        IZkinferVerifier other = IZkinferVerifier(address(new FixtureVerifierA()));
        vm.expectRevert(abi.encodeWithSelector(FeedBoundInference.WindowMismatch.selector, other.NUM_PUBLIC_INPUTS(), window));
        vault.setVerifier(other);
        vm.expectRevert(abi.encodeWithSelector(FeedBoundInference.WindowMismatch.selector, other.NUM_PUBLIC_INPUTS(), window));
        new ForecastVault(other, feed, window, priceUnit, 50);
    }

    function test_QuantisationRoundsHalvesAwayFromZero() public view {
        // With priceUnit u and scale 2^s, answer u/2^(s+1) is exactly half a step.
        uint256 s = vault.scaleBits();
        int256 half = int256(priceUnit >> (s + 1));
        if (priceUnit % (uint256(1) << (s + 1)) == 0) {
            assertTrue(vault.quantise(half) == 1 && vault.quantise(-half) == -1, "halves");
        }
        assertTrue(vault.quantise(int256(priceUnit)) == int256(1 << s), "one unit");
        assertTrue(vault.quantise(-int256(priceUnit)) == -int256(1 << s), "minus one unit");
    }
}
