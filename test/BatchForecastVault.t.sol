// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureForecastBatch} from "../contracts/generated/FixtureForecastBatch.sol";
import {FixtureAggregate} from "../contracts/generated/FixtureAggregate.sol";
import {IAggregateVerifier} from "../contracts/IAggregateVerifier.sol";
import {BatchForecastVault} from "../contracts/BatchForecastVault.sol";
import {FeedWindow} from "../contracts/FeedWindow.sol";
import {RiskTiers} from "../contracts/RiskTiers.sol";
import {MockPriceFeed} from "../contracts/MockPriceFeed.sol";
import {PublicValues} from "../contracts/PublicValues.sol";
import {VISIBILITY_PACKED} from "../contracts/IZkinferVerifier.sol";

/// The fixture aggregate's verifier as a vault sees it (the same slots and hash), but accepting
/// exactly the (proof, public values) pairs a test records: for batches no fixture proves.
contract RecordedAggregate is IAggregateVerifier {
    IAggregateVerifier internal immutable real;
    mapping(bytes32 => bool) internal recorded;

    constructor(IAggregateVerifier real_) {
        real = real_;
    }

    function record(bytes calldata p, uint256[] calldata v) external {
        recorded[keccak256(abi.encode(p, v))] = true;
    }

    function verifyProof(bytes calldata p, uint256[] calldata v) external view returns (bool) {
        return recorded[keccak256(abi.encode(p, v))];
    }

    function AGGREGATE_HASH() external view returns (bytes32) {
        return real.AGGREGATE_HASH();
    }

    function NUM_SLOTS() external view returns (uint256) {
        return real.NUM_SLOTS();
    }

    function NUM_INSTANCES() external view returns (uint256) {
        return real.NUM_INSTANCES();
    }

    function slot(uint256 i) external view returns (Slot memory) {
        return real.slot(i);
    }
}

/// `BatchForecastVault` with a real aggregate (`make fixtures`): the forecaster's proofs over the
/// windows ending at feed rounds 8 and 9, settled in one transaction. The vault reads both windows
/// from the feed itself, so the aggregate is accepted exactly when the rounds named hold the
/// prices it was proven over, increase, follow the last settled round, and the newest is fresh.
contract BatchForecastVaultTest is FixtureTest {
    uint256 internal constant MAX_AGE = 1 hours;
    uint256 internal constant VALIDITY = 1 hours;

    IAggregateVerifier internal agg;
    MockPriceFeed internal feed;
    BatchForecastVault internal vault;
    bytes internal proof;
    uint256[] internal inst;
    int256[] internal answers;
    int256[] internal prices;
    int256[] internal forecasts;
    uint256 internal window;
    uint256 internal priceUnit;
    uint256 internal moveBps;

    event ForecastSettled(uint256 indexed slot, uint80 indexed endRound, int256 price, int256 forecast, uint256 updatedAt);
    event ForecastSkipped(uint256 indexed slot, uint80 indexed endRound);

    function setUp() public {
        string memory json = vm.readFile("test/fixtures/proof_forecast_batch.json");
        proof = vm.parseJsonBytes(json, ".proof");
        inst = vm.parseJsonUintArray(json, ".instances");
        answers = vm.parseJsonIntArray(json, ".answers");
        prices = vm.parseJsonIntArray(json, ".prices");
        forecasts = vm.parseJsonIntArray(json, ".forecasts");
        window = vm.parseJsonUint(json, ".window");
        priceUnit = vm.parseJsonUint(json, ".price_unit");
        moveBps = vm.parseJsonUint(json, ".move_bps");
        agg = IAggregateVerifier(address(new FixtureForecastBatch()));
        feed = new MockPriceFeed(uint8(vm.parseJsonUint(json, ".decimals")));
        vault = newVault(agg, agg.AGGREGATE_HASH());
    }

    function newVault(IAggregateVerifier v, bytes32 pin) internal returns (BatchForecastVault) {
        return new BatchForecastVault(v, pin, feedConfig(feed, window, priceUnit, MAX_AGE), moveBps, VALIDITY);
    }

    function rid(uint256 round) internal pure returns (uint80) {
        return uint80((uint256(1) << 64) | round);
    }

    function pushAll() internal {
        for (uint256 i = 0; i < answers.length; i++) feed.push(answers[i]);
    }

    function ends(uint256 a, uint256 b) internal pure returns (uint80[] memory r) {
        r = new uint80[](2);
        (r[0], r[1]) = (rid(a), rid(b));
    }

    function test_SettlesBothForecastsInOneTransaction() public {
        pushAll();
        for (uint256 i = 0; i < 2; i++) {
            vm.expectEmit(true, true, false, true);
            emit ForecastSettled(i, rid(window + i), prices[i], forecasts[i], block.timestamp);
        }
        uint256 gas = gasleft();
        vault.submitBatch(proof, ends(window, window + 1), inst);
        gas -= gasleft();
        log(string.concat("BATCH_VAULT_GAS submitBatch of 2 forecasts ", vm.toString(gas)));
        assertEq(vault.batches(), 1, "batch not counted");
        assertEq(uint256(vault.consumedRound()), uint256(rid(window + 1)), "consumed round");
        assertEq(vault.lastForecast(), forecasts[1], "the newest forecast sets the tier");
        assertEq(vault.lastPrice(), prices[1], "its price");
        (uint256 ltv,,) = vault.tierOf(forecasts[1], prices[1]);
        assertEq(vault.ltvBps(), ltv, "tier");
        assertEq(vault.riskValidUntil(), block.timestamp + VALIDITY, "validity");
    }

    function test_ReplayRefused() public {
        pushAll();
        vault.submitBatch(proof, ends(window, window + 1), inst);
        vm.expectRevert(abi.encodeWithSelector(BatchForecastVault.RoundAlreadyUsed.selector, rid(window + 1)));
        vault.submitBatch(proof, ends(window, window + 1), inst);
    }

    /// Slot 0 names the right round; slot 1 one not after it.
    function test_RoundsMustIncrease() public {
        pushAll();
        vm.expectRevert(abi.encodeWithSelector(BatchForecastVault.RoundsNotIncreasing.selector, rid(window)));
        vault.submitBatch(proof, ends(window, window), inst);
        vm.expectRevert(abi.encodeWithSelector(BatchForecastVault.RoundsNotIncreasing.selector, rid(window - 1)));
        vault.submitBatch(proof, ends(window, window - 1), inst);
    }

    /// The public values of a batch whose slot i reads the window ending at `rounds[i]`, the
    /// fixture's outputs kept: the vault's own reading of the feed, packed as the slot packs.
    function instancesFor(IAggregateVerifier v, uint80[] memory rounds) internal view returns (uint256[] memory out) {
        out = copy(inst);
        for (uint256 i = 0; i < rounds.length; i++) {
            IAggregateVerifier.Slot memory s = v.slot(i);
            (uint256[] memory inputs,,) = vault.inputsAt(rounds[i]);
            uint256[] memory head = inputs;
            if (s.inputVisibility == VISIBILITY_PACKED) {
                int256[] memory values = new int256[](inputs.length);
                for (uint256 j = 0; j < inputs.length; j++) values[j] = PublicValues.toSigned(inputs[j]);
                head = PublicValues.pack(values, s.packBits);
            }
            for (uint256 j = 0; j < head.length; j++) out[s.offset + j] = head[j];
        }
    }

    /// After a batch ending at round 9, one new round is enough for the next batch (as for
    /// `ForecastVault`): its older slot, at round 9, is skipped, its newest settles and sets the
    /// tier. A batch can never hold the tier back for N rounds.
    function test_OverlappingBatchSettlesItsNewRound() public {
        RecordedAggregate rec = new RecordedAggregate(agg);
        vault = newVault(rec, rec.AGGREGATE_HASH());
        pushAll();
        rec.record(proof, inst);
        vault.submitBatch(proof, ends(window, window + 1), inst);
        feed.push(answers[answers.length - 1] / 2);
        uint80[] memory next = ends(window + 1, window + 2);
        uint256[] memory v = instancesFor(rec, next);
        rec.record(proof, v);
        vm.expectEmit(true, true, false, false);
        emit ForecastSkipped(0, rid(window + 1));
        vm.expectEmit(true, true, false, false);
        emit ForecastSettled(1, rid(window + 2), 0, 0, 0);
        vault.submitBatch(proof, next, v);
        assertEq(uint256(vault.consumedRound()), uint256(rid(window + 2)), "consumed round");
        assertEq(vault.batches(), 2, "both batches");
    }

    /// The public values claim the windows ending at 8 and 9; the rounds named are 9 and 10 of a
    /// feed that moved on: the feed's windows are other data, refused before the proof is read.
    function test_OtherWindowsRefused() public {
        pushAll();
        feed.push(answers[answers.length - 1] * 2);
        vm.expectRevert(abi.encodeWithSelector(BatchForecastVault.InputsMismatch.selector, 0));
        vault.submitBatch(proof, ends(window + 1, window + 2), inst);
    }

    /// Any changed public value after the inputs (a forecast, the accumulator) fails the proof;
    /// a changed input fails the window check.
    function test_EveryChangedPublicValueRefused() public {
        pushAll();
        for (uint256 i = 0; i < inst.length; i++) {
            uint256[] memory v = copy(inst);
            v[i] = addmod(v[i], 1, R);
            try vault.submitBatch(proof, ends(window, window + 1), v) {
                assertTrue(false, "a changed public value was accepted");
            } catch (bytes memory err) {
                bytes4 why = bytes4(err);
                assertTrue(
                    why == BatchForecastVault.InvalidProof.selector || why == BatchForecastVault.InputsMismatch.selector,
                    "other refusal"
                );
            }
        }
        assertEq(vault.batches(), 0, "nothing settled");
    }

    /// Only the newest window must be fresh: it sets the tier. An older one is history.
    function test_NewestWindowMustBeFresh() public {
        pushAll();
        vm.warp(block.timestamp + MAX_AGE + 1);
        uint256 t = block.timestamp - MAX_AGE - 1;
        vm.expectRevert(abi.encodeWithSelector(FeedWindow.StalePrice.selector, rid(window + 1), t, MAX_AGE));
        vault.submitBatch(proof, ends(window, window + 1), inst);
    }

    function test_RoundCountAndLengthRefused() public {
        pushAll();
        uint80[] memory one = new uint80[](1);
        one[0] = rid(window);
        vm.expectRevert(abi.encodeWithSelector(BatchForecastVault.RoundCount.selector, 2, 1));
        vault.submitBatch(proof, one, inst);
        uint256[] memory shorter = new uint256[](inst.length - 1);
        vm.expectRevert(abi.encodeWithSelector(BatchForecastVault.PublicValueCount.selector, inst.length, shorter.length));
        vault.submitBatch(proof, ends(window, window + 1), shorter);
    }

    function test_PinnedVerifier() public {
        vm.expectRevert(abi.encodeWithSelector(BatchForecastVault.AggregateMismatch.selector, bytes32(uint256(1)), agg.AGGREGATE_HASH()));
        newVault(agg, bytes32(uint256(1)));
    }

    /// An aggregate of other models (inputs that are not this feed's window) cannot be plugged in.
    function test_AggregateOfOtherModelsRefused() public {
        IAggregateVerifier other = IAggregateVerifier(address(new FixtureAggregate()));
        bytes32 hash = other.AGGREGATE_HASH();
        vm.expectRevert(abi.encodeWithSelector(BatchForecastVault.SlotInputs.selector, 0));
        newVault(other, hash);
    }

    /// Defensive until the first batch settles.
    function test_DefensiveBeforeTheFirstBatch() public view {
        assertEq(vault.ltvBps(), vault.DEFENSIVE_LTV_BPS(), "defensive");
        assertTrue(!vault.riskFresh(), "no tier in force");
    }

    function testFuzz_RandomProofNeverAccepted(bytes calldata p) public {
        pushAll();
        vm.expectRevert(BatchForecastVault.InvalidProof.selector);
        vault.submitBatch(p, ends(window, window + 1), inst);
    }
}
