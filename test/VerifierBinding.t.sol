// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest, Forecast, loadForecast} from "./utils/Fixtures.sol";
import {MockVerifier} from "./utils/MockVerifier.sol";
import {FixtureVerifierA} from "../contracts/generated/FixtureVerifierA.sol";
import {FixtureHashedA} from "../contracts/generated/FixtureHashedA.sol";
import {FixturePrivateA} from "../contracts/generated/FixturePrivateA.sol";
import {FixtureForecaster} from "../contracts/generated/FixtureForecaster.sol";
import {
    IZkinferVerifier,
    WEIGHTS_FIXED,
    WEIGHTS_HASHED,
    WEIGHTS_PRIVATE,
    VISIBILITY_PUBLIC,
    VISIBILITY_HASHED,
    VISIBILITY_PACKED
} from "../contracts/IZkinferVerifier.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {FeedBoundInference} from "../contracts/FeedBoundInference.sol";
import {ForecastVault} from "../contracts/ForecastVault.sol";
import {MockPriceFeed} from "../contracts/MockPriceFeed.sol";

/// Issue 17 finding 1: a private-weights verifier binds no weights (it accepts model B's proof
/// under model A's contract) and says so: WEIGHTS_MODE, a MODEL_HASH of its own, and consumers
/// that refuse it unless the pin explicitly allows unbound weights.
contract VerifierBindingTest is FixtureTest {
    IZkinferVerifier internal fixedA;
    IZkinferVerifier internal hashedA;
    IZkinferVerifier internal privateA;

    function setUp() public {
        fixedA = IZkinferVerifier(address(new FixtureVerifierA()));
        hashedA = IZkinferVerifier(address(new FixtureHashedA()));
        privateA = IZkinferVerifier(address(new FixturePrivateA()));
    }

    function test_VerifiersStateWhatTheyBind() public view {
        assertEq(fixedA.WEIGHTS_MODE(), WEIGHTS_FIXED, "fixed");
        assertEq(hashedA.WEIGHTS_MODE(), WEIGHTS_HASHED, "hashed");
        assertEq(privateA.WEIGHTS_MODE(), WEIGHTS_PRIVATE, "private");
        assertEq(fixedA.INPUT_VISIBILITY(), VISIBILITY_PACKED, "inputs");
        assertEq(fixedA.OUTPUT_VISIBILITY(), VISIBILITY_PACKED, "outputs");
        assertEq(privateA.INPUT_VISIBILITY(), VISIBILITY_PUBLIC, "private fixture's inputs");
        assertEq(privateA.OUTPUT_VISIBILITY(), VISIBILITY_PUBLIC, "private fixture's outputs");
        assertEq(privateA.MODEL_COMMITMENT(), 0, "private weights have no commitment");
        assertTrue(hashedA.MODEL_COMMITMENT() != 0, "hashed weights have one");
        // One model (seed 11, 4→8→2), three builds: three model hashes (issue 11 finding 4).
        assertTrue(fixedA.MODEL_HASH() != privateA.MODEL_HASH(), "fixed and private weights share MODEL_HASH");
        assertTrue(hashedA.MODEL_HASH() != privateA.MODEL_HASH(), "hashed and private weights share MODEL_HASH");
    }

    /// Why: A's private-weights contract accepts a proof made with model B's weights.
    function test_PrivateVerifierAcceptsAnyWeights() public view {
        (bytes memory pa, uint256[] memory ia) = loadProof("test/fixtures/proof_private_a.json");
        (bytes memory pb, uint256[] memory ib) = loadProof("test/fixtures/proof_private_b.json");
        assertTrue(privateA.verifyProof(pa, ia), "A's proof");
        assertTrue(privateA.verifyProof(pb, ib), "B's proof: private weights bind nothing");
    }

    function test_ConsumersRefuseUnboundWeights() public {
        InferenceConsumer.ModelPin memory pin = pinOf(privateA);
        vm.expectRevert(InferenceConsumer.UnboundWeights.selector);
        new VerifiedInference(privateA, pin);
        // Asking for exactly that, explicitly: accepted, and the consumer says so.
        pin.allowUnboundWeights = true;
        VerifiedInference c = new VerifiedInference(privateA, pin);
        assertEq(c.weightsMode(), WEIGHTS_PRIVATE, "weights mode not recorded");
        // A proposal of an unbound verifier needs the same explicit leave.
        VerifiedInference bound = new VerifiedInference(fixedA, pinOf(fixedA));
        InferenceConsumer.ModelPin memory privatePin = pinOf(privateA);
        vm.expectRevert(InferenceConsumer.UnboundWeights.selector);
        bound.proposeVerifier(privateA, privatePin);
    }

    function test_FeedBoundConsumersRefuseUnboundWeights() public {
        Forecast memory f = loadForecast("test/fixtures/proof_forecast.json");
        IZkinferVerifier real = IZkinferVerifier(address(new FixtureForecaster()));
        MockVerifier.Constants memory c = MockVerifier.Constants(
            keccak256("private forecaster"), 0, WEIGHTS_PRIVATE, VISIBILITY_PUBLIC, VISIBILITY_PUBLIC, f.window, 1, real.SCALE_BITS(), false
        );
        IZkinferVerifier unbound = new MockVerifier(c);
        MockPriceFeed feed = new MockPriceFeed(f.decimals);
        InferenceConsumer.ModelPin memory pin = pinOf(unbound);
        vm.expectRevert(InferenceConsumer.UnboundWeights.selector);
        new ForecastVault(unbound, pin, feedConfig(feed, f.window, f.priceUnit, 3600), f.moveBps, 3600);
        vm.expectRevert(InferenceConsumer.UnboundWeights.selector);
        new FeedBoundInference(unbound, pin, feedConfig(feed, f.window, f.priceUnit, 3600));
    }

    /// A verifier reporting a weights mode the consumers do not know is refused.
    function test_UnknownWeightsModeRefused() public {
        MockVerifier.Constants memory c =
            MockVerifier.Constants(keccak256("m"), 0, 7, VISIBILITY_PUBLIC, VISIBILITY_PUBLIC, 4, 2, 10, false);
        IZkinferVerifier odd = new MockVerifier(c);
        InferenceConsumer.ModelPin memory pin = pinOf(odd);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.UnknownWeightsMode.selector, uint8(7)));
        new VerifiedInference(odd, pin);
    }

    /// A "hashed" verifier without a commitment, or a fixed one with one, is inconsistent.
    function test_InconsistentCommitmentRefused() public {
        MockVerifier.Constants memory c =
            MockVerifier.Constants(keccak256("m"), 0, WEIGHTS_HASHED, VISIBILITY_PUBLIC, VISIBILITY_HASHED, 4, 1, 10, false);
        IZkinferVerifier v = new MockVerifier(c);
        InferenceConsumer.ModelPin memory pin = pinOf(v);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.CommitmentMismatch.selector, 0, 0));
        new VerifiedInference(v, pin);
        c.weightsMode = WEIGHTS_FIXED;
        c.modelCommitment = 5;
        v = new MockVerifier(c);
        pin = pinOf(v);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.CommitmentMismatch.selector, 0, 5));
        new VerifiedInference(v, pin);
    }
}
