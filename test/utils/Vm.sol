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
    function expectRevert() external;
    function expectEmit(bool t1, bool t2, bool t3, bool data) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function assume(bool condition) external pure;
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function envUint(string calldata name) external view returns (uint256);
    function envOr(string calldata name, string calldata fallback_) external view returns (string memory);
    function envOr(string calldata name, address fallback_) external view returns (address);
    function envOr(string calldata name, uint256 fallback_) external view returns (uint256);
    function envOr(string calldata name, bytes32 fallback_) external view returns (bytes32);
    function envOr(string calldata name, bool fallback_) external view returns (bool);
    function setEnv(string calldata name, string calldata value) external;
    function getCode(string calldata artifact) external view returns (bytes memory);
    function etch(address target, bytes calldata newRuntimeBytecode) external;
    function startBroadcast(uint256 privateKey) external;
    function stopBroadcast() external;
    function toString(uint256 value) external pure returns (string memory);
    function toString(int256 value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(address value) external pure returns (string memory);
    function toString(bytes calldata value) external pure returns (string memory);
}

abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    /// forge prints calls to this address (Hardhat's console.log ABI) in traces and script output.
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    /// console.log(message), as a raw staticcall (the address has no code, so a typed call would
    /// revert on Solidity's code-size check).
    function log(string memory message) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string)", message));
        ok;
    }

    function assertTrue(bool ok, string memory why) internal pure {
        require(ok, why);
    }

    /// `x` mapped into [min, max] (forge-std's `bound`, without its logging).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        return min + (x % (max - min + 1));
    }

    function assertEq(uint256 a, uint256 b, string memory why) internal pure {
        if (a != b) revert(string.concat(why, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertEq(int256 a, int256 b, string memory why) internal pure {
        if (a != b) revert(string.concat(why, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertEq(bytes32 a, bytes32 b, string memory why) internal pure {
        if (a != b) revert(string.concat(why, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertEq(address a, address b, string memory why) internal pure {
        if (a != b) revert(string.concat(why, ": ", vm.toString(a), " != ", vm.toString(b)));
    }
}
