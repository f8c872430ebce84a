//! Reverts in words: the hand-written contracts' custom errors, `require` strings and panics,
//! decoded from the revert data a node returns.

use super::round_name;
use alloy::primitives::Bytes;
use alloy::sol;
use alloy::sol_types::SolInterface;
use alloy::transports::TransportError;

sol! {
    /// Every custom error of the hand-written contracts, for decoding reverts.
    interface ZkinferErrors {
        error InvalidProof();
        error NotOwner();
        error NotPendingOwner();
        error ZeroAddress();
        error NotAContract(address account);
        error ModelMismatch(bytes32 expected, bytes32 actual);
        error CommitmentMismatch(uint256 expected, uint256 actual);
        error UnboundWeights();
        error UnknownWeightsMode(uint8 mode);
        error PublicValueCount(uint256 expected, uint256 actual);
        error NoPendingVerifier();
        error UpgradeNotReady(uint256 eta);
        error AlreadyAccepted(bytes32 statement);
        error WindowMismatch(uint256 verifierInputs, uint256 window);
        error InputsNotPublic(uint8 visibility);
        error ZeroWindow();
        error ZeroPriceUnit();
        error PriceUnitMismatch(uint256 priceUnit, uint8 decimals);
        error ZeroMaxPriceAge();
        error RoundAlreadyUsed(uint80 round);
        error NotCurrentPhase(uint80 round, uint80 latest);
        error StalePrice(uint80 round, uint256 updatedAt, uint256 maxPriceAge);
        error NotEnoughRounds(uint80 endRound, uint256 window);
        error InvalidAnswer(uint80 round);
        error RoundsOutOfOrder(uint80 round);
        error QuantiseOverflow(int256 answer);
        error OutputsNotPublic(uint8 visibility);
        error NoOutputs();
        error ZeroRiskValidity();
        error ForecastOutOfRange(int256 forecast, int256 price);
        error NoSuchRound(uint80 roundId);
        error NotARegisteredVerifier(address verifier, uint8 mode);
        error IdTaken(bytes32 id);
        error ZeroCommitment();
        error UnknownModel(bytes32 id);
        error NotTheRegistryVerifier(address verifier);
        error ArchitectureMismatch(bytes32 expected, bytes32 actual);
        error VerifierFixed();
        error CommitmentOutOfField(uint256 commitment);
        error AggregateMismatch(bytes32 expected, bytes32 actual);
        error SlotUnboundWeights(uint256 slot);
        error SlotWeightsMode(uint256 slot, uint8 mode);
        error NothingNew();
        error SlotLayout(uint256 slot);
        error NoSlots();
        error SlotInputs(uint256 slot);
        error SlotOutputs(uint256 slot);
        error SlotScale(uint256 slot);
        error RoundCount(uint256 expected, uint256 actual);
        error RoundsNotIncreasing(uint80 round);
        error InputsMismatch(uint256 slot);
    }
}

/// What a revert means, in words: the contracts' custom errors, `require` strings, panics.
pub fn describe_revert(data: &[u8]) -> String {
    use ZkinferErrors::ZkinferErrorsErrors as E;
    if let Ok(e) = E::abi_decode(data) {
        let r = |x: alloy::primitives::Uint<80, 2>| round_name(x.to::<u128>());
        return match e {
            E::InvalidProof(_) => "InvalidProof(): the verifier rejected the proof or its public values".into(),
            E::NotOwner(_) => "NotOwner(): only the contract's owner may do this".into(),
            E::NotPendingOwner(_) => "NotPendingOwner(): only the address named by transferOwnership may accept ownership".into(),
            E::ZeroAddress(_) => "ZeroAddress(): an address argument was zero".into(),
            E::NotAContract(a) => format!("NotAContract({}): no contract at the verifier address", a.account),
            E::ModelMismatch(m) => format!(
                "ModelMismatch({}, {}): the verifier reports MODEL_HASH {} but the consumer expects {}",
                m.expected, m.actual, m.actual, m.expected
            ),
            E::CommitmentMismatch(m) => format!(
                "CommitmentMismatch({}, {}): the weights commitment is not the pinned MODEL_COMMITMENT (another model's weights, or a verifier whose commitment does not fit its weights mode)",
                m.expected, m.actual
            ),
            E::UnboundWeights(_) => "UnboundWeights(): the verifier binds no weights (--weights private: any weights of the architecture verify); deploy with --allow-unbound-weights only if that is the statement you want".into(),
            E::UnknownWeightsMode(m) => format!("UnknownWeightsMode({}): the verifier reports an unknown WEIGHTS_MODE", m.mode),
            E::PublicValueCount(c) => format!("PublicValueCount({}, {}): the model has {} public values, {} were given", c.expected, c.actual, c.expected, c.actual),
            E::NoPendingVerifier(_) => "NoPendingVerifier(): no verifier change was proposed".into(),
            E::UpgradeNotReady(u) => format!("UpgradeNotReady({}): the proposed verifier can be installed from timestamp {}", u.eta, u.eta),
            E::AlreadyAccepted(a) => format!("AlreadyAccepted({}): this statement (model and public values) was already accepted: a replay", a.statement),
            E::WindowMismatch(w) => format!(
                "WindowMismatch({}, {}): the verifier's model reads {} inputs but the consumer's window is {}",
                w.verifierInputs, w.window, w.verifierInputs, w.window
            ),
            E::InputsNotPublic(v) => format!("InputsNotPublic({}): a feed-bound consumer supplies the inputs in clear; the model's inputs are not public", v.visibility),
            E::ZeroWindow(_) => "ZeroWindow(): the window must read at least one feed answer".into(),
            E::ZeroPriceUnit(_) => "ZeroPriceUnit(): the price unit must be a power of ten, not 0".into(),
            E::PriceUnitMismatch(p) => format!(
                "PriceUnitMismatch({}, {}): the price unit must be a power of ten no smaller than 10^{} (the feed's decimals)",
                p.priceUnit, p.decimals, p.decimals
            ),
            E::ZeroMaxPriceAge(_) => "ZeroMaxPriceAge(): the maximum price age must be positive".into(),
            E::RoundAlreadyUsed(x) => format!(
                "RoundAlreadyUsed({}): an inference over a window ending at {} or later was already accepted; prove over a newer window",
                x.round,
                r(x.round)
            ),
            E::NotCurrentPhase(x) => format!("NotCurrentPhase({}, {}): the window must end in the feed's current phase ({})", x.round, x.latest, r(x.latest)),
            E::StalePrice(x) => format!(
                "StalePrice({}, {}, {}): the window's newest answer ({}) is older than the consumer's maximum price age of {} s",
                x.round, x.updatedAt, x.maxPriceAge, r(x.round), x.maxPriceAge
            ),
            E::NotEnoughRounds(x) => format!("NotEnoughRounds({}, {}): the feed has fewer than {} rounds up to {}", x.endRound, x.window, x.window, r(x.endRound)),
            E::InvalidAnswer(x) => format!("InvalidAnswer({}): the feed has no answer for {}", x.round, r(x.round)),
            E::RoundsOutOfOrder(x) => format!("RoundsOutOfOrder({}): {} is newer than the round after it", x.round, r(x.round)),
            E::QuantiseOverflow(q) => format!("QuantiseOverflow({}): the answer does not fit the model's fixed point at this price unit", q.answer),
            E::OutputsNotPublic(v) => format!("OutputsNotPublic({}): the vault reads the first output as a price; the model's outputs are not public", v.visibility),
            E::NoOutputs(_) => "NoOutputs(): the verifier's model has no public outputs".into(),
            E::ZeroRiskValidity(_) => "ZeroRiskValidity(): the risk validity period must be positive".into(),
            E::ForecastOutOfRange(f) => format!("ForecastOutOfRange({}, {}): forecast or price beyond 2^200", f.forecast, f.price),
            E::NoSuchRound(x) => format!("NoSuchRound({}): the feed has no {}", x.roundId, r(x.roundId)),
            E::NotARegisteredVerifier(x) => format!(
                "NotARegisteredVerifier({}, {}): a registry serves an architecture verifier (WEIGHTS_MODE 3, `zkinfer registry deploy`); this one has WEIGHTS_MODE {}",
                x.verifier, x.mode, x.mode
            ),
            E::IdTaken(x) => format!("IdTaken({}): the registry has had an entry under this id; ids are never reused: choose another", x.id),
            E::ZeroCommitment(_) => "ZeroCommitment(): a registry entry needs a build's non-zero MODEL_COMMITMENT".into(),
            E::UnknownModel(x) => format!("UnknownModel({}): the registry has no live entry under this id (never registered, or retired)", x.id),
            E::NotTheRegistryVerifier(x) => format!("NotTheRegistryVerifier({}): a registered consumer takes only its registry's verifier", x.verifier),
            E::ArchitectureMismatch(x) => format!(
                "ArchitectureMismatch({}, {}): the registry serves architecture {}, not the build's {}",
                x.expected, x.actual, x.actual, x.expected
            ),
            E::VerifierFixed(_) => "VerifierFixed(): a registered consumer's verifier is its registry's, for good: deploy another consumer".into(),
            E::CommitmentOutOfField(x) => format!("CommitmentOutOfField({}): a commitment is a field element below r; this one could never be proven", x.commitment),
            E::AggregateMismatch(x) => format!(
                "AggregateMismatch({}, {}): the verifier's AGGREGATE_HASH is {}, not the pinned {}",
                x.expected, x.actual, x.actual, x.expected
            ),
            E::SlotUnboundWeights(x) => format!("SlotUnboundWeights({}): slot {} binds no weights (--weights private); allow it only if that is the statement you want", x.slot, x.slot),
            E::SlotWeightsMode(x) => format!("SlotWeightsMode({}, {}): slot {} reports an unknown WEIGHTS_MODE", x.slot, x.mode, x.slot),
            E::NothingNew(_) => "NothingNew(): every inference of the batch was recorded before: a replay".into(),
            E::SlotLayout(x) => format!(
                "SlotLayout({}): the verifier's slot {} lies outside its public values, or overlaps the accumulator's or an earlier slot's",
                x.slot, x.slot
            ),
            E::NoSlots(_) => "NoSlots(): the aggregate verifier has no slot".into(),
            E::SlotInputs(x) => format!("SlotInputs({}): slot {}'s model does not read the vault's window of feed answers in clear", x.slot, x.slot),
            E::SlotOutputs(x) => format!("SlotOutputs({}): slot {} shows no output in clear for the vault to read as a forecast", x.slot, x.slot),
            E::SlotScale(x) => format!("SlotScale({}): slot {} has another fixed-point scale than slot 0", x.slot, x.slot),
            E::RoundCount(x) => format!("RoundCount({}, {}): the aggregate has {} slots, {} end rounds were given", x.expected, x.actual, x.expected, x.actual),
            E::RoundsNotIncreasing(x) => format!("RoundsNotIncreasing({}): {} is not after the round the slot before it names", x.round, r(x.round)),
            E::InputsMismatch(x) => format!(
                "InputsMismatch({}): slot {}'s inputs in the public values are not the feed's window ending at the round named for it",
                x.slot, x.slot
            ),
        };
    }
    let empty = "no reason given: the contract there may not have this function (is the address the one \
                 `zkinfer deploy` printed for the consumer, not the verifier or the feed?), or it ran out of gas";
    if data.is_empty() {
        return empty.into();
    }
    match alloy::sol_types::decode_revert_reason(data) {
        Some(reason) if !reason.trim().is_empty() => reason,
        Some(_) => empty.into(),
        None => format!("unknown revert data 0x{}", hex::encode(data)),
    }
}

/// Revert data carried by an error, if the node answered with a revert.
pub trait RevertData {
    /// The revert data, or `None` when the error is not a revert (a transport failure, a timeout, ...).
    fn revert_data(&self) -> Option<Bytes>;
}

impl RevertData for TransportError {
    fn revert_data(&self) -> Option<Bytes> {
        self.as_error_resp().and_then(|p| p.as_revert_data())
    }
}

impl RevertData for alloy::contract::Error {
    fn revert_data(&self) -> Option<Bytes> {
        self.as_revert_data()
    }
}
