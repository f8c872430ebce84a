// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FeedWindow} from "../contracts/FeedWindow.sol";
import {TestBase} from "../test/utils/Vm.sol";
import {IZkinferVerifier, WEIGHTS_FIXED, WEIGHTS_HASHED, WEIGHTS_PRIVATE} from "../contracts/IZkinferVerifier.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {FeedBoundInference} from "../contracts/FeedBoundInference.sol";
import {ForecastVault} from "../contracts/ForecastVault.sol";
import {AggregatorV3Interface} from "../contracts/AggregatorV3Interface.sol";

/// Deploys a generated verifier and its consumer:
///
///     zkinfer solidity build/ -o contracts/generated --name MyVerifier     # prints model_hash
///     VERIFIER=MyVerifier.sol:MyVerifier MODEL_HASH=0x… PRIVATE_KEY=0x… \
///       forge script script/Deploy.s.sol --rpc-url $ETH_RPC_URL --broadcast
///
/// Required: `VERIFIER` (the artifact) and `MODEL_HASH` (the model you mean to deploy, as
/// `zkinfer solidity` printed it: the consumer pins it and refuses a verifier reporting another).
/// `MODEL_COMMITMENT` (hashed weights: required, as printed). A verifier that binds no weights
/// (`--weights private`: it accepts proofs made with any weights of the architecture) is refused
/// unless `ALLOW_UNBOUND_WEIGHTS=true`.
///
/// Without `PRICE_FEED` the consumer is a `VerifiedInference` (callers supply the public
/// inputs); with `PRICE_FEED=0x…`, `WINDOW` and `PRICE_UNIT` it is a `ForecastVault` whose inputs
/// are that feed's answers (`MOVE_BPS`, default 50, sets its policy threshold; `MAX_PRICE_AGE`
/// and `RISK_VALIDITY`, default 3600 s each, bound the age of the newest price and how long a
/// forecast's tier holds). forge simulates the whole script before broadcasting, so a refusal
/// sends nothing.
contract Deploy is TestBase {
    error VerifierNotSet();
    error ModelHashNotSet();
    error UnboundWeightsNotAllowed();

    function run() external returns (address verifier, address consumer) {
        string memory artifact = vm.envOr("VERIFIER", string(""));
        if (bytes(artifact).length == 0) revert VerifierNotSet();
        InferenceConsumer.ModelPin memory pin = InferenceConsumer.ModelPin({
            modelHash: vm.envOr("MODEL_HASH", bytes32(0)),
            modelCommitment: vm.envOr("MODEL_COMMITMENT", uint256(0)),
            allowUnboundWeights: vm.envOr("ALLOW_UNBOUND_WEIGHTS", false)
        });
        if (pin.modelHash == bytes32(0)) revert ModelHashNotSet();
        address feed = vm.envOr("PRICE_FEED", address(0));
        bytes memory code = vm.getCode(artifact);
        vm.startBroadcast(vm.envUint("PRIVATE_KEY"));
        assembly {
            verifier := create(0, add(code, 0x20), mload(code))
        }
        require(verifier != address(0), "verifier deployment failed");
        uint8 mode = IZkinferVerifier(verifier).WEIGHTS_MODE();
        if (mode == WEIGHTS_PRIVATE && !pin.allowUnboundWeights) revert UnboundWeightsNotAllowed();
        log(
            mode == WEIGHTS_FIXED
                ? "weights: fixed (bound by the verifying key)"
                : mode == WEIGHTS_HASHED
                    ? "weights: hashed (bound by MODEL_COMMITMENT)"
                    : "weights: PRIVATE - bound to nothing, any weights of the architecture verify"
        );
        if (feed == address(0)) {
            consumer = address(new VerifiedInference(IZkinferVerifier(verifier), pin));
        } else {
            FeedWindow.FeedConfig memory cfg = FeedWindow.FeedConfig({
                feed: AggregatorV3Interface(feed),
                window: vm.envUint("WINDOW"),
                priceUnit: vm.envUint("PRICE_UNIT"),
                maxPriceAge: vm.envOr("MAX_PRICE_AGE", uint256(3600))
            });
            consumer = address(
                new ForecastVault(
                    IZkinferVerifier(verifier), pin, cfg, vm.envOr("MOVE_BPS", uint256(50)), vm.envOr("RISK_VALIDITY", uint256(3600))
                )
            );
        }
        vm.stopBroadcast();
    }
}
