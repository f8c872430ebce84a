// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TestBase} from "./utils/Vm.sol";
import {InvariantTest} from "./utils/Invariant.sol";
import {Forecast, loadForecast} from "./utils/Fixtures.sol";
import {FeedHandler} from "./utils/FeedHandler.sol";
import {FixtureForecaster} from "../contracts/generated/FixtureForecaster.sol";
import {IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";
import {FeedBoundInference} from "../contracts/FeedBoundInference.sol";
import {ForecastVault} from "../contracts/ForecastVault.sol";

/// The invariants every suite checks after every call of every random sequence (foundry.toml:
/// [invariant] runs × depth). `FeedHandler` drives the consumer and keeps the record.
abstract contract FeedInvariants is TestBase, InvariantTest {
    FeedHandler internal handler;
    FeedBoundInference internal consumer;

    function _setUp(bool real, bool vault) internal {
        Forecast memory f;
        IZkinferVerifier realVerifier;
        if (real) {
            f = loadForecast("test/fixtures/proof_forecast.json");
            realVerifier = IZkinferVerifier(address(new FixtureForecaster()));
        }
        handler = new FeedHandler(real, vault, f, realVerifier);
        consumer = handler.consumer();
        targetContract(address(handler));
    }

    /// Outputs are recorded only from accepted proofs over the feed's real prices: the stored
    /// outputs and inputs hash are those of the last submission the record accepted (the record
    /// accepts only statements the verifier accepts, over the window it computed from the
    /// answers pushed), and that hash is the record's window at the consumed round; a verifier
    /// change clears them.
    function invariant_outputsOnlyFromAcceptedProofsOverTheFeedsPrices() public view {
        assertEq(consumer.submissions(), handler.ghostAccepted(), "submissions");
        assertEq(keccak256(abi.encode(consumer.latestOutputs())), keccak256(abi.encode(handler.outputs())), "outputs");
        assertEq(consumer.latestInputsHash(), handler.ghostInputsHash(), "inputs hash");
        if (consumer.latestBlock() != 0) {
            assertEq(consumer.latestInputsHash(), handler.windowHash(consumer.consumedRound()), "inputs are not the feed's window");
        } else {
            assertEq(consumer.latestOutputs().length, 0, "outputs without a block");
        }
    }

    /// No round is used twice: the end rounds of accepted windows strictly increase and the
    /// consumer's consumed round is the last of them.
    function invariant_noRoundUsedTwice() public view {
        uint80[] memory ends = handler.accepted();
        for (uint256 i = 1; i < ends.length; i++) assertTrue(ends[i] > ends[i - 1], "an end round used twice");
        assertEq(uint256(consumer.consumedRound()), ends.length == 0 ? 0 : uint256(ends[ends.length - 1]), "consumed round");
    }

    /// The model identity changes only through the timelock: the verifier and model hash are the
    /// record's (which changes them only on an accepted install), every install came at least
    /// UPGRADE_DELAY after its proposal, and ownership moves only by acceptance.
    function invariant_modelIdentityOnlyThroughTheTimelock() public view {
        assertEq(address(consumer.verifier()), handler.ghostVerifier(), "verifier");
        assertEq(consumer.modelHash(), handler.ghostModelHash(), "model hash");
        assertEq(consumer.modelHash(), consumer.verifier().MODEL_HASH(), "model hash is not the verifier's");
        assertEq(address(consumer.pendingVerifier()), handler.ghostPending(), "pending verifier");
        assertEq(consumer.pendingEta(), handler.ghostPendingEta(), "pending eta");
        uint256 delay = consumer.UPGRADE_DELAY();
        for (uint256 i = 0; i < handler.installCount(); i++) {
            FeedHandler.Install memory x = handler.installAt(i);
            assertTrue(x.installedAt >= x.proposedAt + delay, "installed before the delay");
        }
        assertEq(consumer.owner(), handler.ghostOwner(), "owner");
        assertEq(consumer.pendingOwner(), handler.ghostPendingOwner(), "pending owner");
    }
}

/// The vault's own invariant on top.
abstract contract VaultInvariants is FeedInvariants {
    /// The risk tier is never more permissive than the latest fresh forecast allows: while the
    /// latest accepted forecast is fresh, exactly its tier; otherwise (expired, none yet, or a new
    /// model) defensive.
    function invariant_riskTierNeverMorePermissiveThanTheLatestFreshForecast() public view {
        ForecastVault vault = ForecastVault(address(consumer));
        bool fresh = block.timestamp <= handler.ghostValidUntil();
        (uint256 ltv, uint256 fee) = fresh ? handler.tier(handler.ghostForecast(), handler.ghostPrice()) : (uint256(6000), uint256(50));
        assertTrue(vault.ltvBps() <= ltv && vault.feeBps() >= fee, "risk tier more permissive than the forecast allows");
        assertEq(vault.ltvBps(), ltv, "ltv");
        assertEq(vault.feeBps(), fee, "fee");
        assertEq(vault.maxBorrow(10_000), ltv, "maxBorrow");
    }
}

/// FeedBoundInference, mock verifiers (every "valid" proof is one the handler's prover recorded).
contract FeedBoundInvariantTest is FeedInvariants {
    function setUp() public {
        _setUp(false, false);
    }
}

/// ForecastVault, mock verifiers.
contract ForecastVaultInvariantTest is VaultInvariants {
    function setUp() public {
        _setUp(false, true);
    }
}

/// ForecastVault with the generated FixtureForecaster verifier and the fixture's real proof.
contract ForecastVaultRealProofInvariantTest is VaultInvariants {
    function setUp() public {
        _setUp(true, true);
    }
}
