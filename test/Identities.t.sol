// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureHashedA} from "../contracts/generated/FixtureHashedA.sol";
import {FixtureHashedAKeyed, FixtureHashedAKeyedKey} from "../contracts/generated/FixtureHashedAKeyed.sol";
import {
    FixtureHashedASplit,
    FixtureHashedASplitKey,
    FixtureHashedASplitIdentities
} from "../contracts/generated/FixtureHashedASplit.sol";
import {FixtureHashedB} from "../contracts/generated/FixtureHashedB.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";

/// `zkinfer solidity --identities-contract` (automatic when a verifier with its key in a key
/// contract is still over EIP-170): the gate, permutation and lookup identities run in a contract
/// of their own, which the verifier calls with its memory and pins by code hash as it pins the
/// key. It must refuse exactly what the one-contract verifier refuses, and nothing at the
/// identities' address but their own code may take part. Regenerate with `make fixtures`.
contract IdentitiesTest is FixtureTest {
    FixtureHashedA internal inlineA;
    FixtureHashedAKeyed internal keyedA;
    address internal key;
    address internal identities;

    function setUp() public {
        key = address(new FixtureHashedASplitKey());
        identities = address(new FixtureHashedASplitIdentities());
        loadPair(
            address(new FixtureHashedASplit(key, identities)),
            address(new FixtureHashedB()),
            "test/fixtures/proof_hashed_a.json",
            "test/fixtures/proof_hashed_b.json"
        );
        inlineA = new FixtureHashedA();
        keyedA = new FixtureHashedAKeyed(address(new FixtureHashedAKeyedKey()));
    }

    /// Verdicts of the split and the one-contract verifier on the same (proof, public values).
    function both(bytes memory proof, uint256[] memory inst) internal view returns (bool split, bool whole) {
        split = verifierA.verifyProof(proof, inst);
        whole = inlineA.verifyProof(proof, inst);
    }

    function test_AcceptsAndRefusesWhatTheInlineVerifierDoes() public view {
        (bool s, bool w) = both(proofA, instancesA);
        assertTrue(s && w, "honest proof");
        (s, w) = both(proofB, instancesB);
        assertTrue(!s && !w, "model B's proof");
        uint256[] memory inst = copy(instancesA);
        inst[inst.length - 1] = verifierB.MODEL_COMMITMENT();
        (s, w) = both(proofA, inst);
        assertTrue(!s && !w, "B's commitment on A's proof");
        for (uint256 i = 0; i < instancesA.length; i++) {
            inst = copy(instancesA);
            inst[i] = addmod(inst[i], 1, R);
            (s, w) = both(proofA, inst);
            assertTrue(!s && !w, "changed public value");
        }
        // A byte of each 32-byte word of the proof: commitments, evaluations (which only the
        // identities contract reads, through the memory the verifier passes it) and openings.
        for (uint256 pos = 31; pos < proofA.length; pos += 32) {
            bytes memory p = bytes.concat(proofA);
            p[pos] = bytes1(uint8(p[pos]) ^ 1);
            (s, w) = both(p, instancesA);
            assertTrue(s == w, "the split and the whole verifier disagree on a flipped byte");
            assertTrue(!s, "flipped proof byte accepted");
        }
    }

    function test_ReportsItsModelAndItsParts() public view {
        FixtureHashedASplit v = FixtureHashedASplit(address(verifierA));
        assertTrue(v.MODEL_HASH() == inlineA.MODEL_HASH(), "MODEL_HASH");
        assertTrue(v.MODEL_COMMITMENT() == inlineA.MODEL_COMMITMENT(), "MODEL_COMMITMENT");
        assertTrue(v.IDENTITIES() == identities && v.VERIFYING_KEY() == key, "addresses");
        assertTrue(identities.codehash == v.IDENTITIES_CODEHASH(), "code hash");
    }

    function test_ConstructorRefusesOtherIdentities() public {
        bytes4 wrong = FixtureHashedASplit.WrongIdentities.selector;
        vm.expectRevert(abi.encodeWithSelector(wrong, address(0)));
        new FixtureHashedASplit(key, address(0));
        vm.expectRevert(abi.encodeWithSelector(wrong, key));
        new FixtureHashedASplit(key, key);
        vm.expectRevert(abi.encodeWithSelector(wrong, address(inlineA)));
        new FixtureHashedASplit(key, address(inlineA));
        vm.expectRevert(abi.encodeWithSelector(FixtureHashedASplit.WrongVerifyingKey.selector, identities));
        new FixtureHashedASplit(identities, identities);
    }

    /// Code at the identities' address changed under a deployed verifier (as only a cheat code
    /// can): every verification refuses, whatever the new code would answer.
    function test_ChangedIdentitiesCodeIsRefused() public {
        bytes memory code = identities.code;
        bytes memory changed = bytes.concat(code);
        // The last byte: the code hash is checked before anything of it runs.
        changed[code.length - 1] = bytes1(uint8(changed[code.length - 1]) ^ 1);
        vm.etch(identities, changed);
        assertTrue(!verifierA.verifyProof(proofA, instancesA), "changed identities code accepted");
        vm.etch(identities, new bytes(0));
        assertTrue(!verifierA.verifyProof(proofA, instancesA), "no code at the identities");
        vm.etch(identities, code);
        assertTrue(verifierA.verifyProof(proofA, instancesA), "the original code again");
    }

    /// The identities contract computes the expected quotient value and nothing else: a direct
    /// call with garbage changes no state and proves nothing.
    function test_IdentitiesAreAPureFunction() public {
        (bool ok, bytes memory out) = identities.call(abi.encodeWithSignature("verifyProof(bytes,uint256[])", proofA, instancesA));
        assertTrue(ok && out.length == 32, "one word back");
    }

    function test_ConsumerTakesASplitVerifier() public {
        VerifiedInference consumer = new VerifiedInference(verifierA, pinOf(verifierA));
        int256[] memory got = consumer.submit(proofA, instancesA);
        assertTrue(got.length == verifierA.NUM_OUTPUT_VALUES(), "outputs stored");
    }

    /// What the split costs per verification (a cold call passing the verifier's memory, a
    /// second EXTCODEHASH), logged as SPLIT_GAS (`forge test -vv --match-test Gas` shows it).
    function test_SplitCostsLittleGas() public view {
        bytes memory proof = proofA;
        uint256[] memory inst = instancesA;
        uint256 g = gasleft();
        verifierA.verifyProof(proof, inst);
        uint256 split = g - gasleft();
        g = gasleft();
        keyedA.verifyProof(proof, inst);
        uint256 keyed = g - gasleft();
        g = gasleft();
        inlineA.verifyProof(proof, inst);
        uint256 whole = g - gasleft();
        log(string.concat("SPLIT_GAS split ", vm.toString(split), " keyed ", vm.toString(keyed), " inline ", vm.toString(whole)));
        assertTrue(split <= keyed + 12000, "the identities contract costs over 12,000 gas a verification");
    }
}
