// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TestBase} from "./Vm.sol";

/// What the verifier tests share: the BN254 scalar modulus, reading a `zkinfer prove` proof file,
/// and copying public values before tampering with them.
abstract contract FixtureTest is TestBase {
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

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
