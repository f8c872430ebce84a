// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureVerifierA} from "../contracts/generated/FixtureVerifierA.sol";
import {FixturePrivateA} from "../contracts/generated/FixturePrivateA.sol";
import {FixtureVerifierB} from "../contracts/generated/FixtureVerifierB.sol";
import {IZkinferVerifier, VISIBILITY_PACKED, VISIBILITY_PUBLIC} from "../contracts/IZkinferVerifier.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {PublicValues} from "../contracts/PublicValues.sol";

/// Reverts are only catchable across a call: the library's internal functions, exposed.
contract Packer {
    function pack(int256[] memory values, uint256 bits) external pure returns (uint256[] memory) {
        return PublicValues.pack(values, bits);
    }
}

/// Packed public values: the library against real proofs (whose words the circuit computed) and
/// against itself on random values; the consumer's outputs for both layouts.
contract PublicValuesTest is FixtureTest {
    function setUp() public {
        loadPair(address(new FixtureVerifierA()), address(new FixtureVerifierB()), "test/fixtures/proof_a.json", "test/fixtures/proof_b.json");
    }

    /// The circuit's words unpack to the proof's outputs (worked out from the witness), and
    /// packing those outputs again gives the very words the proof is over.
    function test_RealProofWordsUnpackToItsOutputs() public view {
        assertEq(verifierA.OUTPUT_VISIBILITY(), VISIBILITY_PACKED, "fixture A packs its outputs");
        uint256 first = verifierA.NUM_PUBLIC_INPUTS();
        uint256 n = verifierA.NUM_OUTPUT_VALUES();
        uint256 bits = verifierA.PACK_BITS();
        assertEq(bits, 2 * verifierA.SCALE_BITS() + 1, "PACK_BITS");
        int256[] memory expected = loadOutputs("test/fixtures/values_a.json");
        int256[] memory got = PublicValues.unpack(instancesA, first, n, bits);
        assertEq(keccak256(abi.encode(got)), keccak256(abi.encode(expected)), "unpacked outputs");
        uint256[] memory words = PublicValues.pack(expected, bits);
        assertEq(words.length, verifierA.NUM_OUTPUTS(), "word count");
        for (uint256 i = 0; i < words.length; i++) assertEq(words[i], instancesA[first + i], "word");
        // Inputs: NUM_INPUT_VALUES values in NUM_PUBLIC_INPUTS words.
        assertEq(PublicValues.wordCount(verifierA.NUM_INPUT_VALUES(), bits), first, "input words");
    }

    /// A real proof whose public values are one per element (the private-weights fixture): the
    /// consumer stores the same integers the witness gave.
    function test_UnpackedLayoutStoresTheSameOutputs() public {
        IZkinferVerifier p = IZkinferVerifier(address(new FixturePrivateA()));
        assertEq(p.OUTPUT_VISIBILITY(), VISIBILITY_PUBLIC, "private fixture is unpacked");
        InferenceConsumer.ModelPin memory pin = pinOf(p);
        pin.allowUnboundWeights = true;
        VerifiedInference c = new VerifiedInference(p, pin);
        (bytes memory proof, uint256[] memory inst) = loadProof("test/fixtures/proof_private_a.json");
        int256[] memory got = c.submit(proof, inst);
        int256[] memory expected = loadOutputs("test/fixtures/values_private_a.json");
        assertEq(keccak256(abi.encode(got)), keccak256(abi.encode(expected)), "stored outputs");
    }

    /// pack then unpack is the identity on every value a word holds, at several widths.
    function testFuzz_RoundTrip(int256 seed, uint8 width, uint8 count) public pure {
        uint256 bits = 3 + uint256(width) % 60;
        uint256 n = 1 + uint256(count) % 40;
        int256 half = int256(uint256(1) << (bits - 1));
        int256[] memory values = new int256[](n);
        for (uint256 i = 0; i < n; i++) {
            int256 r = int256(uint256(keccak256(abi.encode(seed, i))) % uint256(2 * half));
            values[i] = r - half;
        }
        values[0] = -half;
        values[n - 1] = half - 1;
        uint256[] memory words = PublicValues.pack(values, bits);
        assertEq(words.length, PublicValues.wordCount(n, bits), "words");
        for (uint256 i = 0; i < words.length; i++) assertTrue(words[i] < uint256(1) << 252, "word below 2^252");
        int256[] memory back = PublicValues.unpack(words, 0, n, bits);
        assertEq(keccak256(abi.encode(back)), keccak256(abi.encode(values)), "round trip");
    }

    /// A value no word holds is refused, not wrapped into its neighbour.
    function test_PackRefusesOutOfRange() public {
        Packer packer = new Packer();
        int256[] memory values = new int256[](2);
        values[0] = 1 << 16;
        vm.expectRevert(abi.encodeWithSelector(PublicValues.PackedValueOutOfRange.selector, 0, int256(1 << 16)));
        packer.pack(values, 17);
        values[0] = 0;
        values[1] = -(1 << 16) - 1;
        vm.expectRevert(abi.encodeWithSelector(PublicValues.PackedValueOutOfRange.selector, 1, -(1 << 16) - 1));
        packer.pack(values, 17);
    }
}
