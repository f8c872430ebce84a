// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureAggregate} from "../contracts/generated/FixtureAggregate.sol";
import {IAggregateVerifier} from "../contracts/IAggregateVerifier.sol";
import {BatchInference} from "../contracts/BatchInference.sol";

/// `zkinfer aggregate` and `zkinfer solidity --aggregate`: one proof for models A and B's
/// inferences (slots 0 and 1). Regenerate with `make fixtures`.
contract AggregateTest is FixtureTest {
    IAggregateVerifier internal agg;
    bytes internal proof;
    uint256[] internal inst;

    function setUp() public {
        agg = IAggregateVerifier(address(new FixtureAggregate()));
        (proof, inst) = loadProof("test/fixtures/proof_aggregate.json");
    }

    function test_AcceptsTheAggregate() public {
        uint256 g = gasleft();
        bool ok = agg.verifyProof(proof, inst);
        log(string.concat("AGGREGATE_GAS verifyProof ", vm.toString(g - gasleft())));
        assertTrue(ok, "honest aggregate");
    }
}
