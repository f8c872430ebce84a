// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {Deploy} from "../script/Deploy.s.sol";
import {FixtureVerifierA} from "../contracts/generated/FixtureVerifierA.sol";
import {FixturePrivateA} from "../contracts/generated/FixturePrivateA.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";

/// `script/Deploy.s.sol`: refuses to guess the verifier (issue 17 finding 6) or the model, and
/// refuses a verifier that binds no weights unless ALLOW_UNBOUND_WEIGHTS=true (finding 1).
/// One test function, because the environment is the process's and tests run in parallel.
contract DeployScriptTest is FixtureTest {
    // Anvil's first dev key: the script only simulates here.
    string internal constant KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    function test_DeployScriptRefusesUnsetVerifierAndUnboundWeights() public {
        vm.setEnv("PRIVATE_KEY", KEY);
        vm.setEnv("VERIFIER", "");
        vm.setEnv("MODEL_HASH", vm.toString(bytes32(0)));
        vm.setEnv("ALLOW_UNBOUND_WEIGHTS", "false");
        Deploy script = new Deploy();
        vm.expectRevert(Deploy.VerifierNotSet.selector);
        script.run();

        vm.setEnv("VERIFIER", "FixtureVerifierA.sol:FixtureVerifierA");
        vm.expectRevert(Deploy.ModelHashNotSet.selector);
        script.run();

        IZkinferVerifier fixedA = IZkinferVerifier(address(new FixtureVerifierA()));
        vm.setEnv("MODEL_HASH", vm.toString(fixedA.MODEL_HASH()));
        (address verifier, address consumer) = script.run();
        assertEq(VerifiedInference(consumer).modelHash(), fixedA.MODEL_HASH(), "pinned model");
        assertEq(address(VerifiedInference(consumer).verifier()), verifier, "verifier");

        IZkinferVerifier privateA = IZkinferVerifier(address(new FixturePrivateA()));
        vm.setEnv("VERIFIER", "FixturePrivateA.sol:FixturePrivateA");
        vm.setEnv("MODEL_HASH", vm.toString(privateA.MODEL_HASH()));
        vm.expectRevert(Deploy.UnboundWeightsNotAllowed.selector);
        script.run();
        vm.stopBroadcast(); // the refusal came after the script's startBroadcast
        vm.setEnv("ALLOW_UNBOUND_WEIGHTS", "true");
        (, consumer) = script.run();
        assertEq(VerifiedInference(consumer).weightsMode(), privateA.WEIGHTS_MODE(), "unbound weights, as asked");
        vm.setEnv("ALLOW_UNBOUND_WEIGHTS", "false");
    }
}
