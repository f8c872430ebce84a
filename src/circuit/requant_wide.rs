//! Requant in one row: the requant gadget's equations (see `requant.rs`) with its three
//! range-checked cells side by side in three looked-up columns instead of one column over three
//! rows. Two more lookups and advice columns buy a third of the rows where rescales dominate (a
//! convolution's or an attention block's outputs), which the planner takes when it lowers k.
//!
//! | a0  | a1 | a2   | a3 | range | wide 0 | wide 1 |
//! |-----|----|------|----|-------|--------|--------|
//! | acc | y  | sign | z  | limb0 | limb1  | rem    |
//!
//! Without a rescale, `acc` and `rem` are not read (their selector term is off) and stay empty;
//! without a relu, `z` likewise. Every cell a switched-on term reads is placed.

use super::builder::Col;
use super::gadget::{FixedCol, Gadget, Kind, Shared};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Fixed};
use halo2_proofs::poly::Rotation;

/// Selector of the rescale `acc + 2^(s-1) = y·2^s + rem`.
pub const RESCALE: FixedCol = FixedCol::new(Kind::RequantWide, 0);
/// Selector of the offset-binary range check of y and of `sign ∈ {0,1}`.
pub const RANGE: FixedCol = FixedCol::new(Kind::RequantWide, 1);
/// Selector of the rectification `z = sign·y`.
pub const RELU: FixedCol = FixedCol::new(Kind::RequantWide, 2);

/// Fewest lanes the row needs: a0–a3.
pub const MIN_LANES: usize = 3;

/// The gadget's columns: three selectors and the two extra looked-up columns.
#[derive(Clone, Debug)]
pub struct WideConfig {
    fixed: Vec<Column<Fixed>>,
    wide: Vec<Column<Advice>>,
}

impl Gadget for WideConfig {
    fn fixed(&self) -> &[Column<Fixed>] {
        &self.fixed
    }
    fn advice(&self) -> &[Column<Advice>] {
        &self.wide
    }
}

/// Its `gadget::REGISTRY` entry: the selectors, two advice columns each looked up in the range
/// table, and the `requant wide` gate.
pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &Shared) -> Box<dyn Gadget> {
    let (advice, range, s) = (&shared.advice, shared.range, shared.scale_bits);
    let fixed: Vec<Column<Fixed>> = (0..3).map(|_| meta.fixed_column()).collect();
    let wide: Vec<Column<Advice>> = (0..2).map(|_| meta.advice_column()).collect();
    for (i, &col) in wide.iter().enumerate() {
        let name = if i == 0 { "range wide 0" } else { "range wide 1" };
        meta.lookup(name, |m| vec![(m.query_advice(col, Rotation::cur()), shared.range_table)]);
    }
    meta.create_gate("requant wide", |m| {
        let q = [0, 1, 2].map(|i| m.query_fixed(fixed[i], Rotation::cur()));
        let [acc, y, sign, z] = [0, 1, 2, 3].map(|i| m.query_advice(advice[i], Rotation::cur()));
        let limbs = vec![m.query_advice(range, Rotation::cur()), m.query_advice(wide[0], Rotation::cur())];
        let rem = vec![m.query_advice(wide[1], Rotation::cur())];
        // One s-bit limb per cell: the planner never splits the range with this gadget.
        super::requant::equations(s, s, q, super::requant::Cells { acc, y, sign, z, limbs, rem })
    });
    Box::new(WideConfig { fixed, wide })
}

/// The one-row block's places, laid out by `requant::place`.
pub(super) fn places() -> super::requant::Places {
    super::requant::Places {
        acc: (Col::Advice(0), 0),
        y: (Col::Advice(1), 0),
        sign: (Col::Advice(2), 0),
        limbs: vec![(Col::Range, 0), (Col::Wide(0), 0)],
        rem: vec![(Col::Wide(1), 0)],
        z: (Col::Advice(3), 0),
        selectors: [RESCALE, RANGE, RELU],
        rows: [1, 1],
    }
}

#[cfg(test)]
mod tests {
    use super::super::layout::{Col, Shape};
    use super::super::tests::{failed_checks, mock, toy_circuit_shaped};
    use super::super::{to_field, ModelCircuit};
    use super::{RANGE, RESCALE};
    use crate::quant::QuantModel;
    use halo2_proofs::halo2curves::bn256::Fr;

    fn circuit(lanes: usize) -> (QuantModel, ModelCircuit, Vec<Fr>) {
        toy_circuit_shaped(lanes, Shape { pointwise: true, wide: true, split: 1 }, &[0.7, -1.2, 2.5])
    }

    /// The toy model (rescales, relus, bare range checks) in one-row blocks satisfies, and every
    /// cell of every block, moved by one, breaks the gate or a lookup.
    #[test]
    fn one_row_blocks_satisfy_and_every_cell_is_constrained() {
        for lanes in [3, 4, 6] {
            let (_, c, public) = circuit(lanes);
            assert_eq!(mock(&c, &public), Ok(()), "lanes {lanes}");
            let rows: Vec<usize> =
                c.layout.fixed.iter().filter(|(col, _, _)| *col == RANGE).map(|(_, r, _)| *r).collect();
            assert!(rows.len() >= 6, "{rows:?}");
            let w = c.witness.as_ref().unwrap();
            let mut checked = 0;
            for &(col, row, wire) in c.layout.advice.iter().filter(|(_, r, _)| rows.contains(r)) {
                let t = ModelCircuit { tamper: vec![(col, row, to_field(w[wire]) + Fr::one())], ..c.clone() };
                assert!(mock(&t, &public).is_err(), "lanes {lanes}: {col:?}@{row} unconstrained");
                checked += 1;
            }
            assert!(checked >= 4 * rows.len(), "{checked}");
        }
    }

    /// y moved by one with 2^s taken out of the remainder: the rescale holds, and only the wide
    /// column's lookup refuses the remainder.
    #[test]
    fn remainder_out_of_range_is_refused_by_its_lookup() {
        let (q, c, public) = circuit(4);
        let s = q.scale_bits;
        let r = c.layout.fixed.iter().find(|(col, _, _)| *col == RESCALE).unwrap().1;
        let cell = |col: Col| {
            let w = c.layout.advice.iter().find(|&&(cc, rr, _)| cc == col && rr == r).unwrap().2;
            c.witness.as_ref().unwrap()[w]
        };
        let (y, rem) = (cell(Col::Advice(1)), cell(Col::Wide(1)));
        let y2 = y + 1;
        let sign = (y2 >= 0) as i128;
        let rest = y2 + (1i128 << (2 * s)) - sign * (1i128 << (2 * s));
        let mut t = vec![
            (Col::Advice(1), r, to_field(y2)),
            (Col::Advice(2), r, to_field(sign)),
            (Col::Range, r, to_field(rest & ((1 << s) - 1))),
            (Col::Wide(0), r, to_field(rest >> s)),
            (Col::Wide(1), r, to_field(rem - (1i128 << s))),
        ];
        if c.layout.fixed.iter().any(|&(col, rr, _)| col == super::RELU && rr == r) {
            t.push((Col::Advice(3), r, to_field(y2 * sign)));
        }
        let failed = failed_checks(mock(&ModelCircuit { tamper: t, ..c.clone() }, &public));
        assert!(failed.contains(&"lookup 'range wide 1'".to_string()), "{failed:?}");
        assert!(failed.iter().all(|f| f.starts_with("lookup") || f == "permutation"), "{failed:?}");
    }
}
