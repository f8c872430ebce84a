// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureHashedA} from "../contracts/generated/FixtureHashedA.sol";
import {FixtureHashedAKeyed, FixtureHashedAKeyedKey} from "../contracts/generated/FixtureHashedAKeyed.sol";
import {FixtureHashedBKeyed, FixtureHashedBKeyedKey} from "../contracts/generated/FixtureHashedBKeyed.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";

/// `zkinfer solidity --vk-contract`: the verifying key (fixed and permutation commitments, the
/// transcript's first word, MODEL_HASH, MODEL_COMMITMENT) lives in a contract of its own, which
/// the verifier copies with EXTCODECOPY and pins by code hash. The hashed-weights models A and B
/// share an architecture, so B's key contract is a real key of the same shape: the strongest
/// swap. Regenerate the fixtures with `make fixtures`.
contract VerifyingKeyTest is FixtureTest {
    FixtureHashedA internal inlineA;
    address internal keyA;
    address internal keyB;

    function setUp() public {
        keyA = address(new FixtureHashedAKeyedKey());
        keyB = address(new FixtureHashedBKeyedKey());
        loadPair(
            address(new FixtureHashedAKeyed(keyA)),
            address(new FixtureHashedBKeyed(keyB)),
            "test/fixtures/proof_hashed_a.json",
            "test/fixtures/proof_hashed_b.json"
        );
        inlineA = new FixtureHashedA();
    }

    /// Verdicts of the keyed and the inline verifier on the same (proof, public values).
    function both(bytes memory proof, uint256[] memory inst) internal view returns (bool keyed, bool written) {
        keyed = verifierA.verifyProof(proof, inst);
        written = inlineA.verifyProof(proof, inst);
    }

    function test_AcceptsAndRefusesWhatTheInlineVerifierDoes() public view {
        (bool k, bool i) = both(proofA, instancesA);
        assertTrue(k && i, "honest proof");
        (k, i) = both(proofB, instancesB);
        assertTrue(!k && !i, "model B's proof");
        uint256[] memory inst = copy(instancesA);
        inst[inst.length - 1] = verifierB.MODEL_COMMITMENT();
        (k, i) = both(proofA, inst);
        assertTrue(!k && !i, "B's commitment on A's proof");
        inst = copy(instancesA);
        inst[0] = addmod(inst[0], 1, R);
        (k, i) = both(proofA, inst);
        assertTrue(!k && !i, "changed public value");
        bytes memory p = proofA;
        p[100] = bytes1(uint8(p[100]) ^ 1);
        (k, i) = both(p, instancesA);
        assertTrue(!k && !i, "flipped proof byte");
        assertTrue(verifierB.verifyProof(proofB, instancesB), "B's keyed verifier, B's proof");
    }

    function test_ReportsTheModelOfItsKey() public view {
        assertTrue(verifierA.MODEL_HASH() == inlineA.MODEL_HASH(), "MODEL_HASH");
        assertTrue(verifierA.MODEL_COMMITMENT() == inlineA.MODEL_COMMITMENT(), "MODEL_COMMITMENT");
        assertTrue(verifierA.MODEL_COMMITMENT() != verifierB.MODEL_COMMITMENT(), "A and B commit to other weights");
        assertTrue(FixtureHashedAKeyed(address(verifierA)).VERIFYING_KEY() == keyA, "key address");
        assertTrue(keyA.codehash == FixtureHashedAKeyed(address(verifierA)).VERIFYING_KEY_CODEHASH(), "code hash");
    }

    function test_ConstructorRefusesAnyOtherKey() public {
        vm.expectRevert(abi.encodeWithSelector(FixtureHashedAKeyed.WrongVerifyingKey.selector, keyB));
        new FixtureHashedAKeyed(keyB);
        vm.expectRevert(abi.encodeWithSelector(FixtureHashedAKeyed.WrongVerifyingKey.selector, address(0)));
        new FixtureHashedAKeyed(address(0));
        vm.expectRevert(abi.encodeWithSelector(FixtureHashedAKeyed.WrongVerifyingKey.selector, address(inlineA)));
        new FixtureHashedAKeyed(address(inlineA));
    }

    /// Code at the key's address changed under a deployed verifier (as only a cheat code can):
    /// every verification refuses, whatever the new code holds.
    function test_ChangedKeyCodeIsRefused() public {
        vm.etch(keyA, keyB.code);
        assertTrue(!verifierA.verifyProof(proofA, instancesA), "B's key under A's verifier, A's proof");
        assertTrue(!verifierA.verifyProof(proofB, instancesB), "B's key under A's verifier, B's proof");
        bytes memory code = new bytes(0);
        vm.etch(keyA, code);
        assertTrue(!verifierA.verifyProof(proofA, instancesA), "no code at the key");
    }

    function test_OneChangedKeyWordIsRefused() public {
        bytes memory code = keyA.code;
        // Each header word (transcript word, MODEL_HASH, MODEL_COMMITMENT) and the first point.
        for (uint256 w = 0; w < 4; w++) {
            bytes memory changed = bytes.concat(code);
            changed[1 + 32 * w + 31] = bytes1(uint8(changed[1 + 32 * w + 31]) ^ 1);
            vm.etch(keyA, changed);
            assertTrue(!verifierA.verifyProof(proofA, instancesA), "a changed key word accepted");
        }
    }

    function test_KeyContractRunsNothing() public {
        (bool ok, bytes memory out) = keyA.call(abi.encodeWithSignature("verifyProof(bytes,uint256[])", proofA, instancesA));
        assertTrue(ok && out.length == 0, "the key's code starts with STOP");
        assertTrue(uint8(keyA.code[0]) == 0, "STOP byte");
    }

    function test_ConsumerTakesAKeyedVerifier() public {
        VerifiedInference consumer = new VerifiedInference(verifierA, pinOf(verifierA));
        int256[] memory got = consumer.submit(proofA, instancesA);
        assertTrue(got.length == verifierA.NUM_OUTPUT_VALUES(), "outputs stored");
    }

    /// What the key's copy costs per verification (EXTCODECOPY of a cold account, EXTCODEHASH),
    /// logged as KEY_GAS (`forge test -vvvv --match-test Gas` shows it).
    function test_KeyCostsLittleGas() public view {
        // Read from storage first: the first SLOADs of the proof would be counted otherwise.
        bytes memory proof = proofA;
        uint256[] memory inst = instancesA;
        uint256 g = gasleft();
        verifierA.verifyProof(proof, inst);
        uint256 keyed = g - gasleft();
        g = gasleft();
        inlineA.verifyProof(proof, inst);
        uint256 written = g - gasleft();
        log(string.concat("KEY_GAS keyed ", vm.toString(keyed), " inline ", vm.toString(written)));
        assertTrue(keyed <= written + 6000, "the key contract costs over 6,000 gas a verification");
    }
}
