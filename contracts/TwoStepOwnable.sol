// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Ownership that moves in two steps: the owner names a successor (`transferOwnership`), who
/// takes over by calling `acceptOwnership`, so a mistyped address never becomes the owner. The
/// deployer is the first owner. Shared by the consumers and the model registry.
abstract contract TwoStepOwnable {
    address public owner;
    /// The address `transferOwnership` named; it becomes the owner when it calls `acceptOwnership`.
    address public pendingOwner;

    event OwnershipTransferStarted(address indexed previous, address indexed next);
    event OwnershipTransferred(address indexed previous, address indexed next);

    error NotOwner();
    error NotPendingOwner();
    error ZeroAddress();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    constructor() {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    /// First step of an ownership transfer; `next` takes over by calling `acceptOwnership`.
    function transferOwnership(address next) external onlyOwner {
        if (next == address(0)) revert ZeroAddress();
        pendingOwner = next;
        emit OwnershipTransferStarted(owner, next);
    }

    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner();
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }
}
