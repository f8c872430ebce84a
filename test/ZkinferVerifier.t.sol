// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureVerifierA} from "../contracts/generated/FixtureVerifierA.sol";
import {FixtureVerifierB} from "../contracts/generated/FixtureVerifierB.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";

/// Fixtures: two models of the same architecture with different weights, their generated
/// verifiers and one proof each. Regenerate with `make fixtures`.
contract ZkinferVerifierTest is FixtureTest {
    VerifiedInference internal consumer;

    event InferenceVerified(
        address indexed submitter, bytes32 indexed modelHash, bytes32 inputsHash, int256[] outputs, uint256 blockNumber
    );

    function setUp() public {
        loadPair(address(new FixtureVerifierA()), address(new FixtureVerifierB()), "test/fixtures/proof_a.json", "test/fixtures/proof_b.json");
        consumer = new VerifiedInference(verifierA, pinOf(verifierA));
    }

    function test_AcceptsValidProof() public view {
        assertTrue(verifierA.verifyProof(proofA, instancesA), "valid proof A rejected");
        assertTrue(verifierB.verifyProof(proofB, instancesB), "valid proof B rejected");
    }

    function test_ModelHashesDiffer() public view {
        assertTrue(verifierA.MODEL_HASH() != verifierB.MODEL_HASH(), "two models share a hash");
        assertTrue(consumer.modelHash() == verifierA.MODEL_HASH(), "consumer holds the wrong hash");
    }

    function test_RejectsFlippedProofByte() public view {
        // A byte in the first commitment, one in the middle, one in the last scalar region.
        uint256[4] memory positions = [uint256(31), proofA.length / 2, proofA.length - 100, proofA.length - 1];
        for (uint256 i = 0; i < positions.length; i++) {
            bytes memory p = bytes.concat(proofA);
            p[positions[i]] = p[positions[i]] ^ 0x01;
            assertTrue(!verifierA.verifyProof(p, instancesA), "flipped proof byte accepted");
        }
    }

    function test_RejectsChangedPublicValue() public view {
        for (uint256 i = 0; i < instancesA.length; i++) {
            uint256[] memory inst = copy(instancesA);
            inst[i] = addmod(inst[i], 1, R);
            assertTrue(!verifierA.verifyProof(proofA, inst), "changed public value accepted");
        }
    }

    function test_RejectsPublicValueAboveModulus() public view {
        // Same residue mod r, but not a canonical field element.
        uint256[] memory inst = copy(instancesA);
        uint256 last = inst.length - 1;
        inst[last] = inst[last] + R;
        assertTrue(!verifierA.verifyProof(proofA, inst), "public value >= r accepted");
    }

    function test_RejectsOtherModelsProof() public view {
        assertTrue(!verifierA.verifyProof(proofB, instancesB), "model B proof accepted by verifier A");
        assertTrue(!verifierB.verifyProof(proofA, instancesA), "model A proof accepted by verifier B");
    }

    function test_RejectsWrongLengths() public view {
        assertTrue(!verifierA.verifyProof(bytes.concat(proofA, hex"00"), instancesA), "longer proof accepted");
        uint256[] memory shorter = new uint256[](instancesA.length - 1);
        for (uint256 i = 0; i < shorter.length; i++) shorter[i] = instancesA[i];
        assertTrue(!verifierA.verifyProof(proofA, shorter), "fewer instances accepted");
        assertTrue(!verifierA.verifyProof("", instancesA), "empty proof accepted");
    }

    function test_ConsumerStoresOutputsAndEmits() public {
        uint256 n = verifierA.NUM_PUBLIC_INPUTS();
        int256[] memory expected = loadOutputs("test/fixtures/values_a.json");
        uint256[] memory inputs = new uint256[](n);
        for (uint256 i = 0; i < n; i++) inputs[i] = instancesA[i];
        vm.expectEmit(true, true, false, true);
        emit InferenceVerified(address(this), verifierA.MODEL_HASH(), keccak256(abi.encodePacked(inputs)), expected, block.number);
        int256[] memory got = consumer.submit(proofA, instancesA);
        assertTrue(keccak256(abi.encode(got)) == keccak256(abi.encode(expected)), "returned outputs differ");
        int256[] memory stored = consumer.latestOutputs();
        assertTrue(keccak256(abi.encode(stored)) == keccak256(abi.encode(expected)), "stored outputs differ");
        assertTrue(consumer.latestBlock() == block.number && consumer.submissions() == 1, "bookkeeping");
    }

    function test_ConsumerRevertsOnInvalidProof() public {
        vm.expectRevert(InferenceConsumer.InvalidProof.selector);
        consumer.submit(proofB, instancesB);
    }

    function test_RuntimeSizesUnderEip170() public view {
        assertTrue(address(verifierA).code.length <= 24576, "verifier A over EIP-170");
        assertTrue(address(verifierB).code.length <= 24576, "verifier B over EIP-170");
        assertTrue(address(consumer).code.length <= 24576, "consumer over EIP-170");
    }
}
