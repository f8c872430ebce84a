// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TwoStepOwnable} from "../contracts/TwoStepOwnable.sol";
import {FixtureTest} from "./utils/Fixtures.sol";
import {FixtureHashedA} from "../contracts/generated/FixtureHashedA.sol";
import {FixtureHashedB} from "../contracts/generated/FixtureHashedB.sol";
import {FixtureRegistered} from "../contracts/generated/FixtureRegistered.sol";
import {IZkinferVerifier, WEIGHTS_REGISTERED} from "../contracts/IZkinferVerifier.sol";
import {InferenceConsumer} from "../contracts/InferenceConsumer.sol";
import {VerifiedInference} from "../contracts/VerifiedInference.sol";
import {ModelRegistry} from "../contracts/ModelRegistry.sol";
import {RegisteredInference} from "../contracts/RegisteredInference.sol";

/// One verifier per architecture (`zkinfer solidity --registered`, `zkinfer registry`): models A
/// and B share an architecture, so one `WEIGHTS_REGISTERED` verifier checks both, and a
/// `ModelRegistry` names each weight set's commitment by a write-once id. A `RegisteredInference`
/// consumer names one id and takes only proofs whose last public value is that id's commitment.
/// Regenerate the fixtures with `make fixtures`.
contract RegistryTest is FixtureTest {
    FixtureRegistered internal shared;
    ModelRegistry internal registry;
    RegisteredInference internal consumerA;
    /// Model A's dedicated verifier and consumer, for the gas comparison: deployed in `setUp`
    /// as `consumerA` is, so neither starts a test with warm storage.
    VerifiedInference internal dedicated;
    bytes32 internal constant ID_A = "model-a";
    bytes32 internal constant ID_B = "model-b";
    uint256 internal commitmentA;
    uint256 internal commitmentB;

    event ModelRegistered(bytes32 indexed id, uint256 commitment, bytes32 modelHash);
    event ModelRetired(bytes32 indexed id, uint256 commitment);

    function setUp() public {
        loadPair(address(new FixtureHashedA()), address(new FixtureHashedB()), "test/fixtures/proof_hashed_a.json", "test/fixtures/proof_hashed_b.json");
        commitmentA = verifierA.MODEL_COMMITMENT();
        commitmentB = verifierB.MODEL_COMMITMENT();
        shared = new FixtureRegistered();
        registry = new ModelRegistry(IZkinferVerifier(address(shared)));
        registry.register(ID_A, commitmentA, verifierA.MODEL_HASH());
        registry.register(ID_B, commitmentB, verifierB.MODEL_HASH());
        consumerA = new RegisteredInference(registry, ID_A, pinFor(commitmentA));
        dedicated = new VerifiedInference(verifierA, pinOf(verifierA));
    }

    /// What a deployer who generated the architecture verifier and built the weights states.
    function pinFor(uint256 commitment) internal view returns (InferenceConsumer.ModelPin memory) {
        return InferenceConsumer.ModelPin(shared.MODEL_HASH(), commitment, false);
    }

    function test_TheArchitectureVerifierChecksBothWeightSetsAndNoCommitment() public view {
        assertTrue(shared.WEIGHTS_MODE() == WEIGHTS_REGISTERED && shared.MODEL_COMMITMENT() == 0, "mode");
        assertTrue(shared.MODEL_HASH() != verifierA.MODEL_HASH() && shared.MODEL_HASH() != verifierB.MODEL_HASH(), "hash");
        assertTrue(shared.verifyProof(proofA, instancesA) && shared.verifyProof(proofB, instancesB), "honest proofs");
        // The commitment is still a public value the proof is bound to.
        uint256[] memory relabelled = copy(instancesB);
        relabelled[relabelled.length - 1] = commitmentA;
        assertTrue(!shared.verifyProof(proofB, relabelled), "B's proof under A's commitment");
    }

    function test_ConsumerTakesItsModelOnly() public {
        int256[] memory got = consumerA.submit(proofA, instancesA);
        assertTrue(keccak256(abi.encode(got)) == keccak256(abi.encode(loadOutputs("test/fixtures/values_hashed_a.json"))), "outputs");
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.CommitmentMismatch.selector, commitmentA, commitmentB));
        consumerA.submit(proofB, instancesB);
        RegisteredInference consumerB = new RegisteredInference(registry, ID_B, pinFor(commitmentB));
        consumerB.submit(proofB, instancesB);
        vm.expectRevert(abi.encodeWithSelector(RegisteredInference.AlreadyAccepted.selector, keccak256(abi.encode(shared.MODEL_HASH(), instancesA))));
        consumerA.submit(proofA, instancesA);
    }

    function test_RetiredIdTakesNoMoreSubmissions() public {
        vm.expectEmit(true, false, false, true);
        emit ModelRetired(ID_A, commitmentA);
        registry.retire(ID_A);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.UnknownModel.selector, ID_A));
        consumerA.submit(proofA, instancesA);
        assertTrue(!registry.isLive(ID_A) && registry.taken(ID_A), "retired, still taken");
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.IdTaken.selector, ID_A));
        registry.register(ID_A, commitmentB, bytes32(0));
        InferenceConsumer.ModelPin memory pin = pinFor(commitmentA);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.UnknownModel.selector, ID_A));
        new RegisteredInference(registry, ID_A, pin);
    }

    function test_IdsAreWrittenOnceByTheOwnerOnly() public {
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.IdTaken.selector, ID_B));
        registry.register(ID_B, commitmentA, bytes32(0));
        vm.prank(address(0xbad));
        vm.expectRevert(TwoStepOwnable.NotOwner.selector);
        registry.register("model-c", commitmentA, bytes32(0));
        vm.prank(address(0xbad));
        vm.expectRevert(TwoStepOwnable.NotOwner.selector);
        registry.retire(ID_A);
        vm.expectRevert(ModelRegistry.ZeroCommitment.selector);
        registry.register("model-c", 0, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.CommitmentOutOfField.selector, R));
        registry.register("model-c", R, bytes32(0));
        vm.expectEmit(true, false, false, true);
        emit ModelRegistered("model-c", commitmentA, bytes32(uint256(7)));
        registry.register("model-c", commitmentA, bytes32(uint256(7)));
        assertTrue(registry.commitmentOf("model-c") == commitmentA && registry.modelHashOf("model-c") == bytes32(uint256(7)), "entry");
    }

    function test_OwnershipMovesInTwoSteps() public {
        registry.transferOwnership(address(0xb0b));
        assertTrue(registry.owner() == address(this), "not yet");
        vm.prank(address(0xb0b));
        registry.acceptOwnership();
        assertTrue(registry.owner() == address(0xb0b), "moved");
        vm.expectRevert(TwoStepOwnable.NotOwner.selector);
        registry.retire(ID_A);
    }

    /// A registry serves only an architecture verifier; a dedicated consumer refuses one; a
    /// registered consumer refuses any verifier but its registry's.
    function test_ModesDoNotMix() public {
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.NotARegisteredVerifier.selector, address(verifierA), uint8(1)));
        new ModelRegistry(verifierA);
        InferenceConsumer.ModelPin memory architecture = InferenceConsumer.ModelPin(shared.MODEL_HASH(), 0, false);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.UnknownWeightsMode.selector, WEIGHTS_REGISTERED));
        new VerifiedInference(IZkinferVerifier(address(shared)), architecture);
        InferenceConsumer.ModelPin memory pin = InferenceConsumer.ModelPin(verifierA.MODEL_HASH(), commitmentA, false);
        vm.expectRevert(RegisteredInference.VerifierFixed.selector);
        consumerA.proposeVerifier(verifierA, pin);
    }

    /// The deployer's pin is checked against the registry: another architecture, or an id that
    /// names other weights, is refused at construction.
    function test_ConstructorChecksThePinAgainstTheRegistry() public {
        InferenceConsumer.ModelPin memory wrongWeights = pinFor(commitmentB);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.CommitmentMismatch.selector, commitmentB, commitmentA));
        new RegisteredInference(registry, ID_A, wrongWeights);
        InferenceConsumer.ModelPin memory wrongArchitecture = InferenceConsumer.ModelPin(verifierA.MODEL_HASH(), commitmentA, false);
        vm.expectRevert(
            abi.encodeWithSelector(RegisteredInference.ArchitectureMismatch.selector, verifierA.MODEL_HASH(), shared.MODEL_HASH())
        );
        new RegisteredInference(registry, ID_A, wrongArchitecture);
    }

    /// A registry that is not `ModelRegistry` code and changes what an id names after a consumer
    /// was deployed can stop the consumer, never make it take other weights.
    function test_ALyingRegistryCannotChangeTheWeights() public {
        LyingRegistry liar = new LyingRegistry(address(shared), shared.MODEL_HASH(), commitmentA);
        RegisteredInference victim = new RegisteredInference(ModelRegistry(address(liar)), ID_A, pinFor(commitmentA));
        liar.set(commitmentB);
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.CommitmentMismatch.selector, commitmentA, commitmentB));
        victim.submit(proofB, instancesB);
    }

    /// The registry's cost per submission against a dedicated verifier and consumer of the same
    /// model (`VerifiedInference` over `FixtureHashedA`), logged as REGISTRY_GAS.
    function test_RegistryCostsLittleGas() public {
        bytes memory proof = proofA;
        uint256[] memory inst = instancesA;
        uint256 g = gasleft();
        consumerA.submit(proof, inst);
        uint256 registered = g - gasleft();
        g = gasleft();
        dedicated.submit(proof, inst);
        uint256 alone = g - gasleft();
        log(string.concat("REGISTRY_GAS registered ", vm.toString(registered), " dedicated ", vm.toString(alone)));
        assertTrue(registered <= alone + 10000, "the registry costs over 10,000 gas a submission");
    }
}

/// Answers as a registry would, and changes its answer on request.
contract LyingRegistry {
    address public VERIFIER;
    bytes32 public ARCHITECTURE;
    uint256 internal named;

    constructor(address verifier, bytes32 architecture, uint256 commitment) {
        VERIFIER = verifier;
        ARCHITECTURE = architecture;
        named = commitment;
    }

    function set(uint256 commitment) external {
        named = commitment;
    }

    function commitmentOf(bytes32) external view returns (uint256) {
        return named;
    }
}
