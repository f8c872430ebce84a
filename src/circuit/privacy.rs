//! What a proof reveals: weights in the verifying key, private, or committed; inputs and outputs
//! in clear, committed, or (inputs only) hidden. A commitment is a Poseidon hash computed in the
//! circuit (`poseidon.rs`) and exposed as one public value.

use super::layout::WireId;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Where the model's parameters live.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum WeightsMode {
    /// Fixed columns: the verifying key (so the verifier contract) is this model's and no other.
    #[default]
    Fixed,
    /// Private advice, bound to nothing: the contract accepts any weights of this architecture.
    Private,
    /// Private advice whose Poseidon commitment is a public value, checked by the contract
    /// against its `MODEL_COMMITMENT`.
    Hashed,
}

/// Where a model input or output appears.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    /// One public value, the Poseidon commitment of every element (salted with `--salt`).
    Hashed,
    /// Not public at all.
    Private,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Privacy {
    pub weights: WeightsMode,
    pub input: Visibility,
    pub output: Visibility,
    /// Hashed inputs and outputs absorb a fresh random salt first, so a small input space cannot
    /// be searched from the commitment.
    pub salted: bool,
}

impl Privacy {
    pub fn check(&self) -> Result<()> {
        if self.output == Visibility::Private {
            return Err(Error::Other(
                "--output-visibility private would prove a computation whose result nobody learns; use hashed".into(),
            ));
        }
        if self.salted && self.input != Visibility::Hashed && self.output != Visibility::Hashed {
            return Err(Error::Other("--salt blinds hashed inputs or outputs; neither is hashed".into()));
        }
        Ok(())
    }
    pub fn private_weights(&self) -> bool {
        self.weights != WeightsMode::Fixed
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitKind {
    Input,
    Output,
    Weights,
}

/// A Poseidon commitment of these wires' values (after the salt, when salted).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Commitment {
    pub kind: CommitKind,
    pub wires: Vec<WireId>,
    pub salted: bool,
}

impl Commitment {
    pub fn messages(&self) -> usize {
        self.wires.len() + self.salted as usize
    }
}

/// One public value: a wire in clear, or commitment number i.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Public {
    Wire(WireId),
    Commitment(usize),
}
