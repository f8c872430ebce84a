// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureVerifierA} from "../contracts/generated/FixtureVerifierA.sol";
import {FixtureVerifierB} from "../contracts/generated/FixtureVerifierB.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";

/// The consumer: submissions never accepted without a valid proof (fuzzed), each statement
/// accepted once (issue 17 finding 5), the stored outputs cleared on a verifier change.
contract VerifiedInferenceTest is FixtureTest {
    VerifiedInference internal consumer;

    event InferenceVerified(
        address indexed submitter, bytes32 indexed modelHash, bytes32 inputsHash, int256[] outputs, uint256 blockNumber
    );

    function setUp() public {
        loadPair(address(new FixtureVerifierA()), address(new FixtureVerifierB()), "test/fixtures/proof_a.json", "test/fixtures/proof_b.json");
        consumer = new VerifiedInference(verifierA, pinOf(verifierA));
    }

    function inputsHash(uint256[] memory instances, uint256 n) internal pure returns (bytes32) {
        uint256[] memory inputs = new uint256[](n);
        for (uint256 i = 0; i < n; i++) inputs[i] = instances[i];
        return keccak256(abi.encodePacked(inputs));
    }

    /// Random proofs over random public values (of the right count; a wrong count is refused by
    /// name before the verifier runs, below).
    function testFuzz_SubmitRejectsRandomProof(bytes calldata proof, uint256 seed) public {
        uint256[] memory instances = new uint256[](instancesA.length);
        for (uint256 i = 0; i < instances.length; i++) instances[i] = uint256(keccak256(abi.encode(seed, i))) % R;
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        consumer.submit(proof, instances);
    }

    function testFuzz_SubmitRejectsWrongPublicValueCount(uint8 n) public {
        vm.assume(n != instancesA.length);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.PublicValueCount.selector, instancesA.length, uint256(n)));
        consumer.submit(proofA, new uint256[](n));
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

    function test_StoresOutputsWithTheInputsHash() public {
        uint256 n = verifierA.NUM_PUBLIC_INPUTS();
        int256[] memory expected = loadOutputs("test/fixtures/values_a.json");
        bytes32 h = inputsHash(instancesA, n);
        vm.expectEmit(true, true, false, true);
        emit InferenceVerified(address(this), verifierA.MODEL_HASH(), h, expected, block.number);
        int256[] memory got = consumer.submit(proofA, instancesA);
        assertTrue(keccak256(abi.encode(got)) == keccak256(abi.encode(expected)), "returned outputs differ");
        assertTrue(keccak256(abi.encode(consumer.latestOutputs())) == keccak256(abi.encode(expected)), "stored outputs differ");
        assertEq(consumer.latestInputsHash(), h, "inputs hash");
        assertEq(consumer.latestBlock(), block.number, "block");
        assertEq(consumer.submissions(), 1, "submissions");
    }

    /// Issue 17 finding 5: the same proof resubmitted 100,000 blocks later is a replay, refused;
    /// `latestBlock` keeps the block the inputs were first proven in.
    function test_ReplayRefused() public {
        consumer.submit(proofA, instancesA);
        uint256 first = block.number;
        vm.roll(block.number + 100_000);
        bytes32 statement = keccak256(abi.encode(verifierA.MODEL_HASH(), instancesA));
        vm.expectRevert(abi.encodeWithSelector(VerifiedInference.AlreadyAccepted.selector, statement));
        consumer.submit(proofA, instancesA);
        assertEq(consumer.latestBlock(), first, "latestBlock moved by a replay");
        assertTrue(consumer.accepted(statement), "statement not recorded");
    }

    /// Issue 17 finding 5: after a verifier change the previous model's outputs are gone.
    function test_VerifierChangeClearsOutputs() public {
        consumer.submit(proofA, instancesA);
        assertTrue(consumer.latestOutputs().length > 0, "nothing stored");
        consumer.proposeVerifier(verifierB, pinOf(verifierB));
        // Until installed, the outputs of model A stay (A is still the model).
        assertTrue(consumer.latestOutputs().length > 0, "cleared at proposal");
        vm.warp(block.timestamp + consumer.UPGRADE_DELAY());
        consumer.acceptVerifier();
        assertEq(consumer.latestOutputs().length, 0, "model A's outputs kept under model B");
        assertEq(consumer.latestBlock(), 0, "latestBlock kept");
        assertEq(consumer.latestInputsHash(), bytes32(0), "inputs hash kept");
        consumer.submit(proofB, instancesB);
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        consumer.submit(proofA, instancesA);
    }

    function test_ConsumerRevertsOnOtherModelsProof() public {
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        consumer.submit(proofB, instancesB);
    }

    function test_RuntimeSizesUnderEip170() public view {
        assertTrue(address(consumer).code.length <= 24576, "consumer over EIP-170");
    }
}
