// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// The few Foundry cheatcodes these tests use (forge-std is not installable offline here).
interface Vm {
    function readFile(string calldata path) external view returns (string memory);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonUintArray(string calldata json, string calldata key) external pure returns (uint256[] memory);
    function parseJsonIntArray(string calldata json, string calldata key) external pure returns (int256[] memory);
    function parseJsonInt(string calldata json, string calldata key) external pure returns (int256);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 selector) external;
    function expectEmit(bool t1, bool t2, bool t3, bool data) external;
    function prank(address sender) external;
    function assume(bool condition) external pure;
    function envUint(string calldata name) external view returns (uint256);
    function envOr(string calldata name, string calldata fallback_) external view returns (string memory);
    function envOr(string calldata name, address fallback_) external view returns (address);
    function envOr(string calldata name, uint256 fallback_) external view returns (uint256);
    function getCode(string calldata artifact) external view returns (bytes memory);
    function startBroadcast(uint256 privateKey) external;
    function stopBroadcast() external;
}

abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertTrue(bool ok, string memory why) internal pure {
        require(ok, why);
    }
}
