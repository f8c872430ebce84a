//! What a consumer pins of a model, and what a deployed verifier says it binds: the two sides
//! of the check that a contract moving money on an inference names the model it trusts.

use super::VerifiedInference;
use crate::error::{Error, Result};
use alloy::primitives::U256;

/// The model a consumer pins (`InferenceConsumer.ModelPin`): the verifier's `MODEL_HASH`, its
/// `MODEL_COMMITMENT` (hashed weights; else 0), and whether a verifier that binds no weights
/// (`--weights private`) is acceptable.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelPin {
    /// The verifier's `MODEL_HASH` the consumer accepts.
    pub model_hash: alloy::primitives::B256,
    /// The verifier's `MODEL_COMMITMENT` the consumer accepts (hashed weights), else zero.
    pub model_commitment: U256,
    /// Whether a verifier with `WEIGHTS_MODE` private (bound to no weights) is accepted.
    pub allow_unbound_weights: bool,
}

impl ModelPin {
    /// The model a build directory's settings describe (after `zkinfer setup`, which computes
    /// the hash).
    pub fn of(settings: &crate::compile::Settings, allow_unbound_weights: bool) -> Result<ModelPin> {
        let model_hash = settings.model_hash.parse().map_err(|e| {
            Error::value(
                "settings.json's model_hash",
                &settings.model_hash,
                format!("is not a hash ({e}): run `zkinfer setup` first"),
            )
        })?;
        let model_commitment = match &settings.model_commitment {
            Some(c) => c.parse().map_err(|e| {
                Error::value(
                    "settings.json's model_commitment",
                    c,
                    format!("is not a uint256 ({e}): run `zkinfer compile` again"),
                )
            })?,
            None => U256::ZERO,
        };
        Ok(ModelPin { model_hash, model_commitment, allow_unbound_weights })
    }

    /// The pin as the consumer contract's ABI struct, for its constructor.
    pub fn sol(&self) -> VerifiedInference::ModelPin {
        VerifiedInference::ModelPin {
            modelHash: self.model_hash,
            modelCommitment: self.model_commitment,
            allowUnboundWeights: self.allow_unbound_weights,
        }
    }
}

/// A deployed verifier's constants: what it binds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OnChainBinding {
    /// `MODEL_HASH`, 0x-hex.
    pub model_hash: String,
    /// `MODEL_COMMITMENT`, 0x-hex (zero unless weights are hashed).
    pub model_commitment: String,
    /// 0 fixed, 1 hashed, 2 private (binds nothing).
    pub weights_mode: u8,
    /// 0 public, 1 hashed, 2 private.
    pub input_visibility: u8,
    /// 0 public, 1 hashed, 2 private.
    pub output_visibility: u8,
}

impl OnChainBinding {
    /// The weights mode in words, warning when it binds nothing.
    pub fn weights(&self) -> &'static str {
        match self.weights_mode {
            0 => "fixed (bound by the verifying key)",
            1 => "hashed (bound by MODEL_COMMITMENT)",
            2 => "PRIVATE: bound to nothing, any weights of the architecture verify",
            _ => "unknown",
        }
    }

    /// A visibility constant in words.
    pub fn visibility(v: u8) -> &'static str {
        match v {
            0 => "public",
            1 => "hashed",
            2 => "private",
            3 => "packed",
            _ => "unknown",
        }
    }
}
