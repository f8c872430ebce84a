// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TestBase} from "./Vm.sol";
import {IZkinferVerifier} from "../../contracts/IZkinferVerifier.sol";

/// What the verifier tests share: two verifiers of one architecture (models A and B), a proof of
/// each read from a `zkinfer prove` file, and copying public values before tampering with them.
abstract contract FixtureTest is TestBase {
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    IZkinferVerifier internal verifierA;
    IZkinferVerifier internal verifierB;
    bytes internal proofA;
    uint256[] internal instancesA;
    bytes internal proofB;
    uint256[] internal instancesB;

    function loadPair(address a, address b, string memory pathA, string memory pathB) internal {
        verifierA = IZkinferVerifier(a);
        verifierB = IZkinferVerifier(b);
        (proofA, instancesA) = loadProof(pathA);
        (proofB, instancesB) = loadProof(pathB);
    }

    function loadProof(string memory path) internal view returns (bytes memory proof, uint256[] memory instances) {
        string memory json = vm.readFile(path);
        proof = vm.parseJsonBytes(json, ".proof");
        instances = vm.parseJsonUintArray(json, ".instances");
    }

    function copy(uint256[] memory a) internal pure returns (uint256[] memory b) {
        b = new uint256[](a.length);
        for (uint256 i = 0; i < a.length; i++) b[i] = a[i];
    }
}
