// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FeedWindow} from "../../contracts/FeedWindow.sol";
import {TestBase, Vm} from "./Vm.sol";
import {IZkinferVerifier} from "../../contracts/IZkinferVerifier.sol";
import {InferenceConsumer} from "../../contracts/InferenceConsumer.sol";
import {FeedBoundInference} from "../../contracts/FeedBoundInference.sol";
import {AggregatorV3Interface} from "../../contracts/AggregatorV3Interface.sol";

/// What the verifier tests share: two verifiers of one architecture (models A and B), a proof of
/// each read from a `zkinfer prove` file, and copying public values before tampering with them.
/// Every proof, hash and commitment comes from the fixture files (`make fixtures`), never from
/// a literal here.
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

    /// The outputs of a fixture proof as integers at the model's scale (`values_*.json`, written by
    /// `make fixtures` from the witness, not from the public values).
    function loadOutputs(string memory path) internal view returns (int256[] memory) {
        return vm.parseJsonIntArray(vm.readFile(path), ".outputs");
    }

    function copy(uint256[] memory a) internal pure returns (uint256[] memory b) {
        b = new uint256[](a.length);
        for (uint256 i = 0; i < a.length; i++) b[i] = a[i];
    }

    /// The pin of the model `v` reports (what a deployer who generated `v` would state).
    function pinOf(IZkinferVerifier v) internal view returns (InferenceConsumer.ModelPin memory) {
        return InferenceConsumer.ModelPin(v.MODEL_HASH(), v.MODEL_COMMITMENT(), false);
    }

    function feedConfig(AggregatorV3Interface feed, uint256 window, uint256 priceUnit, uint256 maxAge)
        internal
        pure
        returns (FeedWindow.FeedConfig memory)
    {
        return FeedWindow.FeedConfig(feed, window, priceUnit, maxAge);
    }
}

/// The DeFi bot's forecaster (`FixtureForecaster.sol`, `proof_forecast.json`): a real proof of
/// the forecast over the feed answers the fixture lists.
struct Forecast {
    bytes proof;
    uint256[] instances;
    uint256[] tail;
    int256[] answers;
    int256 nextAnswer;
    uint8 decimals;
    uint256 priceUnit;
    uint256 window;
    uint256 moveBps;
    /// The window's quantised answers and the forecast, as integers at the model's scale.
    int256[] inputValues;
    int256[] outputValues;
}

function loadForecast(string memory path) view returns (Forecast memory f) {
    Vm vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    string memory json = vm.readFile(path);
    f.proof = vm.parseJsonBytes(json, ".proof");
    f.instances = vm.parseJsonUintArray(json, ".instances");
    f.tail = vm.parseJsonUintArray(json, ".tail");
    f.answers = vm.parseJsonIntArray(json, ".answers");
    f.nextAnswer = vm.parseJsonInt(json, ".next_answer");
    f.decimals = uint8(vm.parseJsonUint(json, ".decimals"));
    f.priceUnit = vm.parseJsonUint(json, ".price_unit");
    f.window = vm.parseJsonUint(json, ".window");
    f.moveBps = vm.parseJsonUint(json, ".move_bps");
    f.inputValues = vm.parseJsonIntArray(json, ".input_values");
    f.outputValues = vm.parseJsonIntArray(json, ".output_values");
}
