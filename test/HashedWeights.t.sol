// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureHashedA} from "../contracts/generated/FixtureHashedA.sol";
import {FixtureHashedB} from "../contracts/generated/FixtureHashedB.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";

/// `--weights hashed`: models A and B share an architecture and one verifying key; each verifier
/// differs only in MODEL_COMMITMENT, the Poseidon commitment of its weights, which the last public
/// value must equal. Regenerate the fixtures with `make fixtures`.
contract HashedWeightsTest is FixtureTest {
    VerifiedInference internal consumer;

    function setUp() public {
        loadPair(address(new FixtureHashedA()), address(new FixtureHashedB()), "test/fixtures/proof_hashed_a.json", "test/fixtures/proof_hashed_b.json");
        consumer = new VerifiedInference(verifierA, pinOf(verifierA));
    }

    function test_EachContractAcceptsItsOwnModel() public view {
        assertTrue(verifierA.verifyProof(proofA, instancesA), "model A's proof rejected by contract A");
        assertTrue(verifierB.verifyProof(proofB, instancesB), "model B's proof rejected by contract B");
    }

    function test_CommitmentIsTheLastPublicValue() public view {
        assertTrue(verifierA.MODEL_COMMITMENT() != 0 && verifierA.MODEL_COMMITMENT() != verifierB.MODEL_COMMITMENT(), "commitments");
        assertTrue(instancesA[instancesA.length - 1] == verifierA.MODEL_COMMITMENT(), "A's proof commits to A");
        assertTrue(instancesB[instancesB.length - 1] == verifierB.MODEL_COMMITMENT(), "B's proof commits to B");
    }

    function test_RejectsOtherModelsProof() public view {
        assertTrue(!verifierA.verifyProof(proofB, instancesB), "model B's proof accepted by contract A");
        assertTrue(!verifierB.verifyProof(proofA, instancesA), "model A's proof accepted by contract B");
    }

    function test_RejectsTamperedCommitment() public view {
        uint256 last = instancesA.length - 1;
        uint256[] memory inst = copy(instancesA);
        inst[last] = addmod(inst[last], 1, R);
        assertTrue(!verifierA.verifyProof(proofA, inst), "tampered commitment accepted");
        inst[last] = instancesA[last] + R;
        assertTrue(!verifierA.verifyProof(proofA, inst), "commitment + r accepted");
        // B's proof relabelled with A's commitment: the proof is bound to B's weights.
        uint256[] memory relabelled = copy(instancesB);
        relabelled[last] = verifierA.MODEL_COMMITMENT();
        assertTrue(!verifierA.verifyProof(proofB, relabelled), "relabelled proof accepted");
    }

    function test_ConsumerStoresOnlyOutputs() public {
        int256[] memory got = consumer.submit(proofA, instancesA);
        assertTrue(got.length == verifierA.NUM_OUTPUT_VALUES(), "the commitment was stored as an output");
        assertTrue(keccak256(abi.encode(got)) == keccak256(abi.encode(loadOutputs("test/fixtures/values_hashed_a.json"))), "outputs");
        // Model B's proof: its commitment is not the pinned one (the consumer checks it itself).
        vm.expectRevert(
            abi.encodeWithSelector(InferenceConsumer.CommitmentMismatch.selector, verifierA.MODEL_COMMITMENT(), verifierB.MODEL_COMMITMENT())
        );
        consumer.submit(proofB, instancesB);
    }
}
