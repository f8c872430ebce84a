//! Linear gadget: one row computes `acc = chain·acc_prev + bias + Σ_i a_i·w_i` with the
//! coefficients `w_i`, `bias` and `chain` in fixed columns. Dense layers, adds and constant adds
//! are all this one gate; fixed weights make it degree 2, and an unused row (all fixed cells zero)
//! constrains nothing.

use super::layout::{Builder, Col, FixedCol, WireDef, WireId};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed};
use halo2_proofs::poly::Rotation;

#[derive(Clone, Debug)]
pub struct LinearConfig {
    pub q: Column<Fixed>,
    pub chain: Column<Fixed>,
    pub bias: Column<Fixed>,
    pub weights: Vec<Column<Fixed>>,
}

impl LinearConfig {
    /// `advice[..lanes]` hold the inputs, `advice[lanes]` the accumulator.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, advice: &[Column<Advice>]) -> Self {
        let lanes = advice.len() - 1;
        let cfg = LinearConfig {
            q: meta.fixed_column(),
            chain: meta.fixed_column(),
            bias: meta.fixed_column(),
            weights: (0..lanes).map(|_| meta.fixed_column()).collect(),
        };
        meta.create_gate("linear", |m| {
            let q = m.query_fixed(cfg.q, Rotation::cur());
            let chain = m.query_fixed(cfg.chain, Rotation::cur());
            let bias = m.query_fixed(cfg.bias, Rotation::cur());
            let acc = m.query_advice(advice[lanes], Rotation::cur());
            let prev = m.query_advice(advice[lanes], Rotation::prev());
            let mut sum: Expression<Fr> = chain * prev + bias;
            for (i, w) in cfg.weights.iter().enumerate() {
                sum = sum + m.query_advice(advice[i], Rotation::cur()) * m.query_fixed(*w, Rotation::cur());
            }
            vec![q * acc - sum]
        });
        cfg
    }
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
            b.fix(FixedCol::LinW(i), row, coeff);
        }
        let acc = b.wire(WireDef::Linear { terms: chunk.to_vec(), bias: row_bias, prev });
        b.place(Col::Advice(lanes), row, acc);
        b.fix(FixedCol::LinQ, row, 1);
        b.fix(FixedCol::LinChain, row, prev.is_some() as i128);
        b.fix(FixedCol::LinBias, row, row_bias);
        prev = Some(acc);
        b.row += 1;
    }
    prev.expect("at least one row")
}

#[cfg(test)]
mod tests {
    use super::super::layout::{Col, FixedCol};
    use super::super::tests::{mock, toy_circuit};
    use super::super::{to_field, ModelCircuit};
    use halo2_proofs::halo2curves::bn256::Fr;

    #[test]
    fn every_linear_cell_is_constrained() {
        let (_, c, public) = toy_circuit(&[0.7, -1.2, 2.5]);
        let rows: Vec<usize> =
            c.layout.fixed.iter().filter(|(col, _, _)| *col == FixedCol::LinQ).map(|(_, r, _)| *r).collect();
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
