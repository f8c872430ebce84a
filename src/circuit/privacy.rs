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
    /// Packed where that saves verification gas (enough values to pack), else public: what the
    /// compile resolves to is recorded in the settings and the verifier's constants.
    #[default]
    Auto,
    /// Every element in clear, several to a public value (`packed.rs`): ⌊252/(2s+1)⌋ per value,
    /// so calldata and the verifier's work shrink by that factor.
    Packed,
    /// Every element is a public value, in clear.
    Public,
    /// One public value, the Poseidon commitment of every element (salted with `--salt`).
    Hashed,
    /// Not public at all.
    Private,
}

/// What a proof reveals of the weights, the inputs and the outputs (`docs/privacy.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Privacy {
    /// Where the parameters live: the verifying key, private advice, or private and committed.
    pub weights: WeightsMode,
    /// How the model's inputs appear among the public values.
    pub input: Visibility,
    /// How the outputs appear; `Visibility::Private` is refused by `check`.
    pub output: Visibility,
    /// Hashed inputs and outputs absorb a fresh random salt first, so a small input space cannot
    /// be searched from the commitment.
    pub salted: bool,
}

impl Privacy {
    /// Refuses settings that prove nothing useful: private outputs, and a salt with nothing hashed.
    pub fn check(&self) -> Result<()> {
        if self.output == Visibility::Private {
            return Err(Error::Usage {
                flag: "--output-visibility private".into(),
                reason: "would prove a computation whose result nobody learns; use hashed".into(),
            });
        }
        if self.salted && self.input != Visibility::Hashed && self.output != Visibility::Hashed {
            return Err(Error::Usage {
                flag: "--salt".into(),
                reason: "blinds hashed inputs or outputs, and neither is hashed: add --input-visibility hashed or --output-visibility hashed".into(),
            });
        }
        Ok(())
    }
    /// Whether parameters are private advice (the private and hashed modes), each range-checked by
    /// the packing gadget.
    pub fn private_weights(&self) -> bool {
        self.weights != WeightsMode::Fixed
    }
}

/// Which values a commitment binds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitKind {
    /// Every input element, in the model's input order (salted when `Privacy::salted`).
    Input,
    /// Every output element (salted when `Privacy::salted`).
    Output,
    /// The private parameters, packed and never salted: the contract checks it against `MODEL_COMMITMENT`.
    Weights,
}

/// A Poseidon commitment of these wires' values (after the salt, when salted).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Commitment {
    /// Which values it binds; the `Weights` one is what `Layout::weights_commitment` recomputes.
    pub kind: CommitKind,
    /// The wires absorbed, in order.
    pub wires: Vec<WireId>,
    /// Whether a salt is absorbed first: `ModelCircuit::salts` at this commitment's index, free for the prover.
    pub salted: bool,
    /// Sponges side by side (`poseidon::commit_wide`).
    pub groups: usize,
    /// The wires are packed (`pack.rs`, at this scale) before the sponge absorbs them.
    #[serde(default)]
    pub packed: Option<u32>,
}

impl Commitment {
    /// How many field elements the sponge absorbs.
    pub fn messages(&self) -> usize {
        let n = match self.packed {
            Some(s) => self.wires.len().div_ceil(super::pack::per_message(s)),
            None => self.wires.len(),
        };
        n + self.salted as usize
    }
}

/// One public value: a wire in clear, a word of packed wires, or commitment number i.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Public {
    /// A wire's value, its home cell copied to the instance column.
    Wire(WireId),
    /// Word `word` of `Layout::packings[packing]`, its last accumulator cell copied to the instance column.
    Packed {
        /// Index into `Layout::packings`.
        packing: usize,
        /// The word within it.
        word: usize,
    },
    /// The output of the commitment at this index in `Layout::commitments`.
    Commitment(usize),
}

#[cfg(test)]
mod tests {
    use super::super::layout::{Col, Layout};
    use super::super::tests::toy_graph;
    use super::super::{to_field, ModelCircuit};
    use super::*;
    use crate::quant::QuantModel;
    use halo2_proofs::dev::MockProver;
    use halo2_proofs::halo2curves::bn256::Fr;
    use std::sync::Arc;

    fn hashed(x: &[f32]) -> (ModelCircuit, Vec<Fr>) {
        let q = QuantModel::from_graph(&toy_graph(), 8);
        let privacy = Privacy { weights: WeightsMode::Hashed, input: Visibility::Hashed, ..Default::default() };
        let layout = Arc::new(Layout::plan(&q, 4, privacy, true).unwrap());
        let w = layout.witness(&q, &q.quantize_inputs(&[x.to_vec()]).unwrap()).unwrap();
        let public = layout.public_values(&w, &[]);
        (ModelCircuit::new(layout, Some(Arc::new(w)), vec![]), public)
    }

    /// Weights spread over three sponges side by side: the circuit computes `commit_wide`, and a
    /// weight absorbed in the third group is still bound to its use.
    #[test]
    fn grouped_commitment_matches_and_binds() {
        let (c, _) = hashed(&[0.7, -1.2, 2.5]);
        let mut layout = (*c.layout).clone();
        let last = layout.commitments.len() - 1;
        layout.commitments[last].groups = 3;
        let w = c.witness.clone().unwrap();
        let public = layout.public_values(&w, &[]);
        let c = ModelCircuit { layout: Arc::new(layout), ..c };
        assert!(mock(&c, &public));
        let n = c.layout.commitments[last].wires.len();
        let m = super::super::poseidon::chunk_len(n, 3);
        let input_rows = super::super::poseidon::rows_for(c.layout.commitments[0].messages());
        // Message 2m (the third group's first), in group 2's a0 on its init row.
        let wire = c.layout.commitments[last].wires[2 * m];
        let t = ModelCircuit { tamper: vec![(Col::Hash(2 * 6 + 3), input_rows, to_field(w[wire] + 1))], ..c.clone() };
        assert!(!mock(&t, &public));
    }

    fn mock(c: &ModelCircuit, public: &[Fr]) -> bool {
        MockProver::run(12, c, vec![public.to_vec()]).unwrap().verify().is_ok()
    }

    #[test]
    fn committed_weights_are_the_weights_used() {
        let (c, public) = hashed(&[0.7, -1.2, 2.5]);
        assert!(mock(&c, &public));
        assert_eq!(c.layout.commitments.len(), 2);
        let w = c.witness.as_ref().unwrap();
        // Another weight in a dot row (with the honest commitment): its copy constraint to the
        // weight's home cell breaks, or the home itself disagrees with the hashed message.
        let weight = c.layout.weights[3];
        let cells: Vec<(Col, usize)> =
            c.layout.advice.iter().filter(|(_, _, wire)| *wire == weight).map(|(col, row, _)| (*col, *row)).collect();
        assert!(!cells.is_empty());
        for (col, row) in cells {
            let t = ModelCircuit { tamper: vec![(col, row, to_field(w[weight] + 1))], ..c.clone() };
            assert!(!mock(&t, &public), "weight cell {col:?}@{row} unconstrained");
        }
        // The message the sponge absorbs for it: weights are packed, 10 to a message at 2^-8, so
        // weight 3 sits in message 0 (a0 of the weights commitment's first row, after the input
        // commitment's rows).
        assert_eq!(super::super::pack::per_message(8), 10);
        let input_rows = super::super::poseidon::rows_for(c.layout.commitments[0].messages());
        let t = ModelCircuit { tamper: vec![(Col::Hash(3), input_rows, to_field(w[weight] + 1))], ..c.clone() };
        assert!(!mock(&t, &public), "absorbed weight unconstrained");
        // Claiming another model's commitment for these weights.
        let mut other = public.clone();
        *other.last_mut().unwrap() += Fr::one();
        assert!(!mock(&c, &other));
        // Changing an input breaks the input commitment.
        let mut t = c.clone();
        let input = c.layout.commitments[0].wires[0];
        let &(col, row, _) = c.layout.advice.iter().find(|(_, _, wire)| *wire == input).expect("the input has a home");
        t.tamper = vec![(col, row, to_field(w[input] + 1))];
        assert!(!mock(&t, &public));
    }
}
