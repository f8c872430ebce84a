// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// The part of forge-std's StdInvariant that forge's invariant runner reads (forge-std is not
/// installable offline here): forge calls `targetContracts()` on the test contract and fuzzes
/// only those contracts' functions.
abstract contract InvariantTest {
    address[] private _targetedContracts;

    function targetContract(address target) internal {
        _targetedContracts.push(target);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }
}
