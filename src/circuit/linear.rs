//! Linear gadget: one row computes `acc = chain·acc_prev + bias + Σ_i a_i·w_i` with the
//! coefficients `w_i`, `bias` and `chain` in fixed columns. Dense layers, adds and constant adds
//! are all this one gate; fixed weights make it degree 2, and an unused row (all fixed cells zero)
//! constrains nothing.

use super::builder::{Builder, Col, WireDef, WireId};
use super::gadget::{FixedCol, FixedColumns, Gadget, Kind, Shared};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{ConstraintSystem, Expression};
use halo2_proofs::poly::Rotation;

/// The row's selector: 1 on every linear row (a row with all its fixed cells zero constrains nothing).
pub const Q: FixedCol = FixedCol::new(Kind::Linear, 0);
/// The chain flag: 1 when the row adds the previous row's accumulator (every row of a chain but its first).
pub const CHAIN: FixedCol = FixedCol::new(Kind::Linear, 1);
/// The constant the row adds: the bias on a chain's first row, 0 after it.
pub const BIAS: FixedCol = FixedCol::new(Kind::Linear, 2);

/// The coefficient of lane `i`.
pub const fn weight(i: usize) -> FixedCol {
    FixedCol::new(Kind::Linear, 3 + i)
}

/// Its `gadget::REGISTRY` entry: configures the gadget on the shared columns.
/// Creates the gadget's `3 + lanes` fixed columns (so the verifying key fixes the lane count) and
/// its gate: `advice[..lanes]` hold the inputs, `advice[lanes]` the accumulator.
pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &Shared) -> Box<dyn Gadget> {
    let advice = &shared.advice;
    let lanes = advice.len() - 1;
    let cols = FixedColumns::new(meta, Kind::Linear, 3 + lanes);
    meta.create_gate("linear", |m| {
        let q = m.query_fixed(cols.get(Q), Rotation::cur());
        let chain = m.query_fixed(cols.get(CHAIN), Rotation::cur());
        let bias = m.query_fixed(cols.get(BIAS), Rotation::cur());
        let acc = m.query_advice(advice[lanes], Rotation::cur());
        let prev = m.query_advice(advice[lanes], Rotation::prev());
        let mut sum: Expression<Fr> = chain * prev + bias;
        for (i, &a) in advice[..lanes].iter().enumerate() {
            let w = m.query_fixed(cols.get(weight(i)), Rotation::cur());
            sum = sum + m.query_advice(a, Rotation::cur()) * w;
        }
        vec![q * acc - sum]
    });
    Box::new(cols)
}

/// A wire holding a constant, one row per distinct value (padding zeros share one).
pub(super) fn constant(b: &mut Builder, value: i128) -> WireId {
    if let Some(&w) = b.constants.get(&value) {
        return w;
    }
    let w = layout(b, &[], value);
    b.constants.insert(value, w);
    w
}

/// Lays out `bias + Σ coeff·wire` over as many chained rows as the lanes need; returns the wire
/// holding the total.
pub(super) fn layout(b: &mut Builder, terms: &[(WireId, i128)], bias: i128) -> WireId {
    let lanes = b.lanes;
    let mut prev: Option<WireId> = None;
    let chunks: Vec<&[(WireId, i128)]> = if terms.is_empty() { vec![&[]] } else { terms.chunks(lanes).collect() };
    for (c, chunk) in chunks.iter().enumerate() {
        let row = b.row;
        let row_bias = if c == 0 { bias } else { 0 };
        for (i, &(w, coeff)) in chunk.iter().enumerate() {
            b.place(Col::Advice(i), row, w);
            b.fix(weight(i), row, coeff);
        }
        let acc = b.wire(WireDef::Linear { terms: chunk.to_vec(), bias: row_bias, prev });
        b.place(Col::Advice(lanes), row, acc);
        b.fix(Q, row, 1);
        b.fix(CHAIN, row, prev.is_some() as i128);
        b.fix(BIAS, row, row_bias);
        prev = Some(acc);
        b.row += 1;
    }
    prev.expect("at least one row")
}

#[cfg(test)]
mod tests {
    use super::super::layout::Col;
    use super::super::tests::{mock, toy_circuit};
    use super::super::{to_field, ModelCircuit};
    use halo2_proofs::halo2curves::bn256::Fr;

    #[test]
    fn every_linear_cell_is_constrained() {
        let (_, c, public) = toy_circuit(&[0.7, -1.2, 2.5]);
        let rows: Vec<usize> =
            c.layout.fixed.iter().filter(|(col, _, _)| *col == super::Q).map(|(_, r, _)| *r).collect();
        let w = c.witness.as_ref().unwrap();
        let mut checked = 0;
        for &(col, row, wire) in &c.layout.advice {
            if !rows.contains(&row) || !matches!(col, Col::Advice(_)) {
                continue;
            }
            let bad = to_field(w[wire]) + Fr::one();
            let t = ModelCircuit { tamper: vec![(col, row, bad)], ..c.clone() };
            assert!(mock(&t, &public).is_err(), "{col:?}@{row} unconstrained");
            checked += 1;
        }
        assert!(checked > 10);
    }
}
