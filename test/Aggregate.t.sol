// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureAggregate} from "../contracts/generated/FixtureAggregate.sol";
import {FixtureVerifierA} from "../contracts/generated/FixtureVerifierA.sol";
import {FixtureVerifierB} from "../contracts/generated/FixtureVerifierB.sol";
import {IAggregateVerifier} from "../contracts/IAggregateVerifier.sol";
import {BatchInference} from "../contracts/BatchInference.sol";

/// `zkinfer aggregate` and `zkinfer solidity --aggregate`: one proof for model A's and model B's
/// inferences (slots 0 and 1), its verifier, and a `BatchInference` recording both. Besides the
/// honest aggregate, three an attacker who skips the inner checks really proved (the aggregation
/// circuit is satisfied by each): slot 0 holding A's proof with one evaluation changed, B's proof
/// under A's key, and A's proof over another output. Regenerate with `make fixtures`.
contract AggregateTest is FixtureTest {
    IAggregateVerifier internal agg;
    bytes internal proof;
    uint256[] internal inst;

    string[3] internal forged = [
        "test/fixtures/proof_aggregate_bad_inner.json",
        "test/fixtures/proof_aggregate_swapped_key.json",
        "test/fixtures/proof_aggregate_changed_value.json"
    ];

    function setUp() public {
        agg = IAggregateVerifier(address(new FixtureAggregate()));
        (proof, inst) = loadProof("test/fixtures/proof_aggregate.json");
        loadPair(
            address(new FixtureVerifierA()),
            address(new FixtureVerifierB()),
            "test/fixtures/proof_a.json",
            "test/fixtures/proof_b.json"
        );
    }

    function test_AcceptsTheAggregate() public view {
        assertTrue(agg.verifyProof(proof, inst), "honest aggregate");
        assertTrue(agg.NUM_SLOTS() == 2 && agg.NUM_INSTANCES() == inst.length, "two slots, every public value");
        assertTrue(agg.slot(0).modelHash == verifierA.MODEL_HASH(), "slot 0 is model A");
        assertTrue(agg.slot(1).modelHash == verifierB.MODEL_HASH(), "slot 1 is model B");
    }

    /// Each forged aggregate is a valid proof of the aggregation circuit; only its accumulator,
    /// decided in the verifier's pairing, gives the bad inner proof away.
    function test_RefusesEveryAggregateHidingABadInnerProof() public view {
        for (uint256 i = 0; i < forged.length; i++) {
            (bytes memory p, uint256[] memory v) = loadProof(forged[i]);
            assertTrue(!agg.verifyProof(p, v), forged[i]);
        }
    }

    function test_RefusesEveryChangedPublicValue() public view {
        for (uint256 i = 0; i < inst.length; i++) {
            uint256[] memory v = copy(inst);
            v[i] = addmod(v[i], 1, R);
            assertTrue(!agg.verifyProof(proof, v), "changed public value");
        }
    }

    /// The accumulator's limbs rewritten to the same coordinates in a non-canonical form (a limb
    /// of 88 bits or more, carried from the next), and out of range: refused before any
    /// precompile sees them.
    function test_RefusesLimbsOutOfRange() public view {
        for (uint256 c = 0; c < 4; c++) {
            uint256[] memory v = copy(inst);
            if (v[3 * c + 1] > 0) {
                v[3 * c] += uint256(1) << 88;
                v[3 * c + 1] -= 1;
                assertTrue(!agg.verifyProof(proof, v), "carried limb");
            }
            v = copy(inst);
            v[3 * c + 2] += uint256(1) << 80;
            assertTrue(!agg.verifyProof(proof, v), "top limb of 81 bits");
        }
    }

    function test_RefusesOtherLengths() public view {
        uint256[] memory fewer = new uint256[](inst.length - 1);
        for (uint256 i = 0; i < fewer.length; i++) fewer[i] = inst[i];
        assertTrue(!agg.verifyProof(proof, fewer), "a public value too few");
        assertTrue(!agg.verifyProof(bytes.concat(proof, bytes32(0)), inst), "a word too many");
        for (uint256 i = 0; i < proof.length; i += 97) {
            bytes memory p = bytes.concat(proof);
            p[i] = bytes1(uint8(p[i]) ^ 1);
            assertTrue(!agg.verifyProof(p, inst), "flipped proof byte");
        }
    }

    function test_BatchRecordsEveryInference() public {
        BatchInference batch = new BatchInference(agg, agg.AGGREGATE_HASH(), false);
        batch.submitBatch(proof, inst);
        int256[] memory a = batch.latestOutputs(0);
        int256[] memory b = batch.latestOutputs(1);
        int256[] memory wantA = loadOutputs("test/fixtures/values_a.json");
        int256[] memory wantB = loadOutputs("test/fixtures/values_b.json");
        assertTrue(a.length == wantA.length && b.length == wantB.length, "every output");
        for (uint256 i = 0; i < a.length; i++) assertTrue(a[i] == wantA[i], "slot 0's outputs");
        for (uint256 i = 0; i < b.length; i++) assertTrue(b[i] == wantB[i], "slot 1's outputs");
        assertTrue(batch.latestBlock(0) == block.number && batch.batches() == 1, "recorded now");
    }

    function test_BatchRefusesReplaysAndForgeries() public {
        BatchInference batch = new BatchInference(agg, agg.AGGREGATE_HASH(), false);
        batch.submitBatch(proof, inst);
        vm.expectRevert(BatchInference.NothingNew.selector);
        batch.submitBatch(proof, inst);
        for (uint256 i = 0; i < forged.length; i++) {
            (bytes memory p, uint256[] memory v) = loadProof(forged[i]);
            vm.expectRevert(BatchInference.InvalidProof.selector);
            batch.submitBatch(p, v);
        }
    }

    /// A later batch repeating slot 0's inference and bringing a new one in slot 1: slot 0 is
    /// skipped (not recorded again, no revert), slot 1 recorded.
    function test_BatchSkipsWhatItRecordedBefore() public {
        BatchInference batch = new BatchInference(agg, agg.AGGREGATE_HASH(), false);
        batch.submitBatch(proof, inst);
        (bytes memory p, uint256[] memory v) = loadProof("test/fixtures/proof_aggregate_next.json");
        assertTrue(v[12] == inst[12] && v[13] == inst[13] && v[15] != inst[15], "slot 0 repeated, slot 1 new");
        vm.roll(block.number + 1);
        assertTrue(batch.submitBatch(p, v) == 1, "one inference recorded");
        assertTrue(batch.latestBlock(0) == block.number - 1 && batch.latestBlock(1) == block.number, "slot 0 kept");
        assertTrue(batch.batches() == 2, "two batches");
    }

    function test_BatchPinsItsVerifier() public {
        bytes32 pin = agg.AGGREGATE_HASH();
        vm.expectRevert(abi.encodeWithSelector(BatchInference.AggregateMismatch.selector, bytes32(uint256(pin) ^ 1), pin));
        new BatchInference(agg, bytes32(uint256(pin) ^ 1), false);
        vm.expectRevert(abi.encodeWithSelector(BatchInference.NotAContract.selector, address(0xbeef)));
        new BatchInference(IAggregateVerifier(address(0xbeef)), pin, false);
    }

    /// One aggregate verification against the single verifications it replaces, logged as
    /// AGGREGATE_GAS (`forge test -vv --match-test Gas`).
    function test_AggregateGas() public {
        uint256 g = gasleft();
        agg.verifyProof(proof, inst);
        uint256 one = g - gasleft();
        g = gasleft();
        verifierA.verifyProof(proofA, instancesA);
        uint256 single = g - gasleft();
        BatchInference batch = new BatchInference(agg, agg.AGGREGATE_HASH(), false);
        g = gasleft();
        batch.submitBatch(proof, inst);
        uint256 submit = g - gasleft();
        log(
            string.concat(
                "AGGREGATE_GAS aggregate of 2 ", vm.toString(one), " single ", vm.toString(single), " submitBatch ", vm.toString(submit)
            )
        );
        assertTrue(one < 2 * single, "an aggregate of 2 costs less than 2 single verifications");
    }
}
