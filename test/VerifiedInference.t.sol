// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureVerifierA} from "../contracts/generated/FixtureVerifierA.sol";
import {FixtureVerifierB} from "../contracts/generated/FixtureVerifierB.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";

/// The consumer: submissions never accepted without a valid proof (fuzzed), the owner alone
/// switches verifiers, and every switch is announced.
contract VerifiedInferenceTest is FixtureTest {
    VerifiedInference internal consumer;

    event VerifierUpgraded(address indexed previous, address indexed next, bytes32 modelHash);
    event OwnershipTransferred(address indexed previous, address indexed next);

    function setUp() public {
        loadPair(address(new FixtureVerifierA()), address(new FixtureVerifierB()), "test/fixtures/proof_a.json", "test/fixtures/proof_b.json");
        consumer = new VerifiedInference(verifierA);
    }

    function testFuzz_SubmitRejectsRandomProof(bytes calldata proof, uint256[] calldata instances) public {
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        consumer.submit(proof, instances);
    }

    /// The valid proof with one random byte changed, over the honest public values.
    function testFuzz_SubmitRejectsFlippedProofByte(uint256 position, uint8 mask) public {
        vm.assume(mask != 0);
        bytes memory p = bytes.concat(proofA);
        uint256 i = position % p.length;
        p[i] = p[i] ^ bytes1(mask);
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        consumer.submit(p, instancesA);
    }

    /// The valid proof over public values with one changed by a random non-zero amount mod r.
    function testFuzz_SubmitRejectsChangedPublicValue(uint256 index, uint256 delta) public {
        delta = delta % R;
        vm.assume(delta != 0);
        uint256[] memory inst = copy(instancesA);
        uint256 i = index % inst.length;
        inst[i] = addmod(inst[i], delta, R);
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        consumer.submit(proofA, inst);
    }

    function testFuzz_OnlyOwnerSwitchesVerifier(address caller) public {
        vm.assume(caller != address(this));
        vm.prank(caller);
        vm.expectRevert(InferenceConsumer.NotOwner.selector);
        consumer.setVerifier(verifierB);
        vm.prank(caller);
        vm.expectRevert(InferenceConsumer.NotOwner.selector);
        consumer.transferOwnership(caller);
    }

    function test_UpgradeEmitsAndSwitchesModel() public {
        vm.expectEmit(true, true, false, true);
        emit VerifierUpgraded(address(verifierA), address(verifierB), verifierB.MODEL_HASH());
        consumer.setVerifier(verifierB);
        assertTrue(consumer.modelHash() == verifierB.MODEL_HASH(), "model hash not switched");
        consumer.submit(proofB, instancesB);
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        consumer.submit(proofA, instancesA);
    }

    function test_OwnershipTransfers() public {
        address next = address(0xB0B);
        vm.expectEmit(true, true, false, true);
        emit OwnershipTransferred(address(this), next);
        consumer.transferOwnership(next);
        assertTrue(consumer.owner() == next, "owner not transferred");
        vm.expectRevert(InferenceConsumer.NotOwner.selector);
        consumer.setVerifier(verifierB);
        vm.prank(next);
        consumer.setVerifier(verifierB);
        vm.prank(next);
        vm.expectRevert(InferenceConsumer.ZeroAddress.selector);
        consumer.transferOwnership(address(0));
    }
}
