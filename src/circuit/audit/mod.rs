//! Soundness audit of a circuit as a cheating prover sees it (see `docs/soundness.md`).
//!
//! `record` synthesizes a circuit cell by cell (empty cells included), `check` evaluates the
//! `ConstraintSystem`'s own gates, lookups and copies over it, and `attack` walks every gate and
//! tries to move what it defines. Nothing here names a gadget: a new gate is audited because it
//! is in the constraint system.

pub mod attack;
pub mod check;
pub mod record;

use super::layout::{Col, WireDef};
use super::{ModelCircuit, ModelConfig};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use std::collections::HashSet;

pub use attack::{audit, Finding, Options, Report};
pub use record::{record, Recorded};

/// The absolute (column index, row) of a layout cell, in the configuration of `circuit`.
fn locate(config: &ModelConfig, col: Col, row: usize) -> (usize, usize) {
    let column = match col {
        Col::Advice(i) => config.advice[i],
        Col::Range => config.range,
        Col::Hash(k) => {
            let g = &config.poseidon.as_ref().expect("hash cells need the Poseidon gadget").groups[k / 6];
            if k % 6 < 3 {
                g.state[k % 6]
            } else {
                g.aux[k % 6 - 3]
            }
        }
        Col::Wide(_) => config.advice(col),
        Col::Late(k) => {
            let g = config.gadgets[super::gadget::Kind::Freivalds as usize].as_ref();
            g.and_then(|g| g.second_phase()).expect("late cells need the product check").late[k]
        }
        Col::Pack(k) => {
            let p = config.pack.as_ref().expect("pack cells need the packing gadget");
            [p.w, p.limb, p.acc][k]
        }
    };
    (column.index(), row)
}

/// The cells a prover of this model chooses by design: each input's and private weight's home
/// cell, and each salt. The statement is "there exist inputs (weights, salts) such that…".
pub fn free_cells(circuit: &ModelCircuit) -> HashSet<(usize, usize)> {
    let layout = &circuit.layout;
    let mut cs = ConstraintSystem::default();
    let config = ModelCircuit::configure_with_params(&mut cs, circuit.params());
    let mut seen = vec![false; layout.wires.len()];
    let mut free = HashSet::new();
    for &(col, row, wire) in &layout.advice {
        if !std::mem::replace(&mut seen[wire], true)
            && matches!(layout.wires[wire], WireDef::Input { .. } | WireDef::Weight { .. })
        {
            free.insert(locate(&config, col, row));
        }
    }
    let mut start = 0;
    for c in &layout.commitments {
        if c.salted {
            free.insert(locate(&config, Col::Hash(3), start));
        }
        start += super::poseidon::rows_wide(c.messages(), c.groups);
    }
    free
}

/// Records the circuit at 2^k rows and audits it.
pub fn audit_model(circuit: &ModelCircuit, k: u32, public: &[Fr], opts: &Options) -> Result<Report, String> {
    let rec = record(circuit, k, public).map_err(|e| format!("synthesis failed: {e:?}"))?;
    audit(&rec, &free_cells(circuit), opts)
}

#[cfg(test)]
mod tests {
    use super::check::{Context, Overlay};
    use super::*;
    use crate::circuit::tests::{mock, toy_circuit};
    use halo2_proofs::halo2curves::ff::Field;

    /// The checker the audit relies on gives MockProver's verdict on the honest witness and on
    /// every single-cell change of the model region, assigned cells and empty ones alike.
    #[test]
    fn checker_agrees_with_mock_prover() {
        let (_, c, public) = toy_circuit(&[0.7, -1.2, 2.5]);
        let rec = record(&c, 10, &public).unwrap();
        let ctx = Context::new(&rec);
        assert_eq!(ctx.full_check(&Overlay::default()).is_ok(), mock(&c, &public).is_ok());
        let mut cs = ConstraintSystem::default();
        let config = ModelCircuit::configure_with_params(&mut cs, c.params());
        let (mut agreed, mut rejected) = (0, 0);
        for row in 0..c.layout.rows {
            for col in (0..=c.layout.lanes).map(Col::Advice).chain([Col::Range]) {
                let cell = locate(&config, col, row);
                let v = rec.advice[cell.0][cell.1] + Fr::ONE;
                let mut o = Overlay::default();
                o.advice.insert(cell, v);
                let ours = ctx.full_check(&o).is_ok();
                let theirs = mock(&ModelCircuit { tamper: vec![(col, row, v)], ..c.clone() }, &public).is_ok();
                assert_eq!(ours, theirs, "{col:?}@{row} (assigned: {})", rec.assigned(cell.0, cell.1));
                agreed += 1;
                rejected += !ours as usize;
            }
        }
        assert!(agreed > 100 && rejected > 50, "{agreed} cells, {rejected} rejected");
    }
}
