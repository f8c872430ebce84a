// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TestBase} from "../test/utils/Vm.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {ForecastVault} from "../contracts/ForecastVault.sol";
import {AggregatorV3Interface} from "../contracts/AggregatorV3Interface.sol";

/// Deploys a generated verifier and its consumer:
///
///     zkinfer solidity build/ -o contracts/generated --name MyVerifier
///     VERIFIER=MyVerifier.sol:MyVerifier PRIVATE_KEY=0x… \
///       forge script script/Deploy.s.sol --rpc-url $ETH_RPC_URL --broadcast
///
/// Without `PRICE_FEED` the consumer is a `VerifiedInference` (callers supply the public
/// inputs); with `PRICE_FEED=0x…`, `WINDOW` and `PRICE_UNIT` it is a `ForecastVault` whose inputs
/// are that feed's last `WINDOW` answers (`MOVE_BPS`, default 50, sets its policy threshold).
/// `VERIFIER` defaults to the checked-in fixture verifier, so a dry run needs no setup.
contract Deploy is TestBase {
    function run() external returns (address verifier, address consumer) {
        string memory artifact = vm.envOr("VERIFIER", string("FixtureVerifierA.sol:FixtureVerifierA"));
        address feed = vm.envOr("PRICE_FEED", address(0));
        bytes memory code = vm.getCode(artifact);
        vm.startBroadcast(vm.envUint("PRIVATE_KEY"));
        assembly {
            verifier := create(0, add(code, 0x20), mload(code))
        }
        require(verifier != address(0), "verifier deployment failed");
        if (feed == address(0)) {
            consumer = address(new VerifiedInference(IZkinferVerifier(verifier)));
        } else {
            consumer = address(
                new ForecastVault(
                    IZkinferVerifier(verifier),
                    AggregatorV3Interface(feed),
                    vm.envUint("WINDOW"),
                    vm.envUint("PRICE_UNIT"),
                    vm.envOr("MOVE_BPS", uint256(50))
                )
            );
        }
        vm.stopBroadcast();
    }
}
