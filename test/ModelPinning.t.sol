// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TwoStepOwnable} from "../contracts/TwoStepOwnable.sol";
import {FixtureTest} from "./utils/Fixtures.sol";
import {MockVerifier, plainConstants} from "./utils/MockVerifier.sol";
import {FixtureVerifierA} from "../contracts/generated/FixtureVerifierA.sol";
import {FixtureVerifierB} from "../contracts/generated/FixtureVerifierB.sol";
import {FixtureHashedA} from "../contracts/generated/FixtureHashedA.sol";
import {FixtureHashedB} from "../contracts/generated/FixtureHashedB.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";

/// Issue 17 finding 2: the owner cannot silently swap the model. The consumer pins the model
/// (MODEL_HASH, and MODEL_COMMITMENT in hashed mode); a verifier change is proposed, announced,
/// cancellable and installed only after UPGRADE_DELAY; ownership moves in two steps.
contract ModelPinningTest is FixtureTest {
    VerifiedInference internal consumer;
    address internal constant STRANGER = address(0xBAD);
    address internal constant NEXT_OWNER = address(0xB0B);

    event VerifierProposed(address indexed next, bytes32 modelHash, uint256 modelCommitment, bool allowUnboundWeights, uint256 eta);
    event VerifierProposalCancelled(address indexed next);
    event VerifierUpgraded(address indexed previous, address indexed next, bytes32 modelHash, uint256 modelCommitment);
    event OwnershipTransferStarted(address indexed previous, address indexed next);
    event OwnershipTransferred(address indexed previous, address indexed next);

    function setUp() public {
        loadPair(address(new FixtureVerifierA()), address(new FixtureVerifierB()), "test/fixtures/proof_a.json", "test/fixtures/proof_b.json");
        consumer = new VerifiedInference(verifierA, pinOf(verifierA));
    }

    /// An always-true contract that reports model A's MODEL_HASH: the reviewer's swap.
    function alwaysTrueA() internal returns (IZkinferVerifier) {
        MockVerifier.Constants memory c = plainConstants(verifierA.MODEL_HASH(), verifierA.NUM_PUBLIC_INPUTS(), verifierA.NUM_OUTPUTS(), verifierA.SCALE_BITS());
        c.acceptAll = true;
        return new MockVerifier(c);
    }

    /// The deployer states the model; a verifier reporting another is refused.
    function test_ConstructorRefusesAnotherModel() public {
        InferenceConsumer.ModelPin memory pin = pinOf(verifierA);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.ModelMismatch.selector, pin.modelHash, verifierB.MODEL_HASH()));
        new VerifiedInference(verifierB, pin);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.NotAContract.selector, address(0x1234)));
        new VerifiedInference(IZkinferVerifier(address(0x1234)), pin);
        vm.expectRevert(TwoStepOwnable.ZeroAddress.selector);
        new VerifiedInference(IZkinferVerifier(address(0)), pin);
    }

    /// Hashed weights: the pin names the commitment; the verifier must report it, and every
    /// submission's last public value must equal it (checked by the consumer itself).
    function test_HashedModePinsTheCommitment() public {
        IZkinferVerifier ha = IZkinferVerifier(address(new FixtureHashedA()));
        IZkinferVerifier hb = IZkinferVerifier(address(new FixtureHashedB()));
        InferenceConsumer.ModelPin memory pin = pinOf(ha);
        pin.modelCommitment = hb.MODEL_COMMITMENT();
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.CommitmentMismatch.selector, hb.MODEL_COMMITMENT(), ha.MODEL_COMMITMENT()));
        new VerifiedInference(ha, pin);
        VerifiedInference c = new VerifiedInference(ha, pinOf(ha));
        assertEq(c.modelCommitment(), ha.MODEL_COMMITMENT(), "commitment not pinned");
        (bytes memory pb, uint256[] memory ib) = loadProof("test/fixtures/proof_hashed_b.json");
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.CommitmentMismatch.selector, ha.MODEL_COMMITMENT(), hb.MODEL_COMMITMENT()));
        c.submit(pb, ib);
        (bytes memory pa, uint256[] memory ia) = loadProof("test/fixtures/proof_hashed_a.json");
        c.submit(pa, ia);
    }

    /// The reviewer's attack: an always-true verifier reporting the same MODEL_HASH. It can only
    /// be proposed (announced), and is not in force until UPGRADE_DELAY has passed.
    function test_SwapNeedsTheTimelock() public {
        IZkinferVerifier evil = alwaysTrueA();
        InferenceConsumer.ModelPin memory pin = pinOf(verifierA);
        uint256 eta = block.timestamp + consumer.UPGRADE_DELAY();
        vm.expectEmit(true, false, false, true);
        emit VerifierProposed(address(evil), pin.modelHash, 0, false, eta);
        consumer.proposeVerifier(evil, pin);
        assertEq(address(consumer.verifier()), address(verifierA), "installed at proposal");
        assertEq(consumer.pendingEta(), eta, "eta");
        // Still model A's verifier: a forged submission fails.
        uint256[] memory forged = copy(instancesA);
        forged[forged.length - 1] = addmod(forged[forged.length - 1], 1, R);
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        consumer.submit(proofA, forged);
        vm.warp(eta - 1);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.UpgradeNotReady.selector, eta));
        consumer.acceptVerifier();
        vm.warp(eta);
        vm.expectEmit(true, true, false, true);
        emit VerifierUpgraded(address(verifierA), address(evil), pin.modelHash, 0);
        consumer.acceptVerifier();
        assertEq(address(consumer.verifier()), address(evil), "not installed after the delay");
        assertEq(consumer.pendingEta(), 0, "proposal not cleared");
    }

    function test_ProposalCanBeCancelled() public {
        consumer.proposeVerifier(verifierB, pinOf(verifierB));
        vm.expectEmit(true, false, false, true);
        emit VerifierProposalCancelled(address(verifierB));
        consumer.cancelVerifier();
        vm.warp(block.timestamp + consumer.UPGRADE_DELAY());
        vm.expectRevert(InferenceConsumer.NoPendingVerifier.selector);
        consumer.acceptVerifier();
        vm.expectRevert(InferenceConsumer.NoPendingVerifier.selector);
        consumer.cancelVerifier();
        assertEq(address(consumer.verifier()), address(verifierA), "verifier changed");
    }

    /// A new proposal restarts the clock (and cancels the previous one).
    function test_NewProposalRestartsTheDelay() public {
        consumer.proposeVerifier(verifierB, pinOf(verifierB));
        vm.warp(block.timestamp + consumer.UPGRADE_DELAY() - 1);
        vm.expectEmit(true, false, false, true);
        emit VerifierProposalCancelled(address(verifierB));
        consumer.proposeVerifier(verifierB, pinOf(verifierB));
        uint256 eta = consumer.pendingEta();
        vm.warp(block.timestamp + 1);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.UpgradeNotReady.selector, eta));
        consumer.acceptVerifier();
    }

    /// A proposal must name the model the verifier reports.
    function test_ProposalChecksThePin() public {
        InferenceConsumer.ModelPin memory wrong = pinOf(verifierA);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.ModelMismatch.selector, verifierA.MODEL_HASH(), verifierB.MODEL_HASH()));
        consumer.proposeVerifier(verifierB, wrong);
    }

    function testFuzz_OnlyOwnerProposesAcceptsCancels(address caller) public {
        vm.assume(caller != address(this));
        InferenceConsumer.ModelPin memory pinB = pinOf(verifierB);
        vm.startPrank(caller);
        vm.expectRevert(TwoStepOwnable.NotOwner.selector);
        consumer.proposeVerifier(verifierB, pinB);
        vm.expectRevert(TwoStepOwnable.NotOwner.selector);
        consumer.acceptVerifier();
        vm.expectRevert(TwoStepOwnable.NotOwner.selector);
        consumer.cancelVerifier();
        vm.expectRevert(TwoStepOwnable.NotOwner.selector);
        consumer.transferOwnership(caller);
        vm.stopPrank();
    }

    /// Ownership moves in two steps: the named address must accept.
    function test_OwnershipTransferTakesTwoSteps() public {
        vm.expectEmit(true, true, false, true);
        emit OwnershipTransferStarted(address(this), NEXT_OWNER);
        consumer.transferOwnership(NEXT_OWNER);
        assertEq(consumer.owner(), address(this), "owner changed before acceptance");
        assertEq(consumer.pendingOwner(), NEXT_OWNER, "pending owner");
        vm.prank(STRANGER);
        vm.expectRevert(TwoStepOwnable.NotPendingOwner.selector);
        consumer.acceptOwnership();
        vm.expectEmit(true, true, false, true);
        emit OwnershipTransferred(address(this), NEXT_OWNER);
        vm.prank(NEXT_OWNER);
        consumer.acceptOwnership();
        assertEq(consumer.owner(), NEXT_OWNER, "owner not transferred");
        assertEq(consumer.pendingOwner(), address(0), "pending owner not cleared");
        InferenceConsumer.ModelPin memory pinB = pinOf(verifierB);
        vm.expectRevert(TwoStepOwnable.NotOwner.selector);
        consumer.proposeVerifier(verifierB, pinB);
        vm.prank(NEXT_OWNER);
        vm.expectRevert(TwoStepOwnable.ZeroAddress.selector);
        consumer.transferOwnership(address(0));
    }
}
