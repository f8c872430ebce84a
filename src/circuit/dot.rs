//! Dot-product gadget: one row computes `acc = chain·acc_prev + Σ_i a_i·b_i` over the pairs
//! `(advice[2i], advice[2i+1])`, so a product of two activations (attention scores, a weighted sum
//! of values) costs half a row per multiply instead of a row and a rescale each. The sum is at
//! scale 2^(2s); the requant gadget after it rescales and range-checks it once per output.

use super::builder::{Builder, Col, WireDef, WireId};
use super::gadget::{FixedCol, FixedColumns, Gadget, Kind, Shared};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{ConstraintSystem, Expression};
use halo2_proofs::poly::Rotation;

/// The row's selector: 1 on every dot row.
pub const Q: FixedCol = FixedCol::new(Kind::Dot, 0);
/// The chain flag: 1 when the row adds the previous row's accumulator (every row of a chain but its first).
pub const CHAIN: FixedCol = FixedCol::new(Kind::Dot, 1);

/// Its `gadget::REGISTRY` entry: configures the gadget on the shared columns.
/// Pairs per row: the accumulator takes the last advice column.
pub fn pairs_per_row(lanes: usize) -> usize {
    lanes / 2
}

/// Creates the selectors and the `dot` gate: `lanes / 2` pairs over `advice[..lanes]`, the sum in
/// `advice[lanes]`.
pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &Shared) -> Box<dyn Gadget> {
    let advice = &shared.advice;
    let lanes = advice.len() - 1;
    let cols = FixedColumns::new(meta, Kind::Dot, 2);
    meta.create_gate("dot", |m| {
        let q = m.query_fixed(cols.get(Q), Rotation::cur());
        let chain = m.query_fixed(cols.get(CHAIN), Rotation::cur());
        let acc = m.query_advice(advice[lanes], Rotation::cur());
        let prev = m.query_advice(advice[lanes], Rotation::prev());
        let mut sum: Expression<Fr> = chain * prev;
        for i in 0..pairs_per_row(lanes) {
            sum = sum
                + m.query_advice(advice[2 * i], Rotation::cur()) * m.query_advice(advice[2 * i + 1], Rotation::cur());
        }
        vec![q * (acc - sum)]
    });
    Box::new(cols)
}

/// Lays out `Σ a·b` over chained rows; returns the wire holding the total.
pub(super) fn layout(b: &mut Builder, pairs: &[(WireId, WireId)]) -> WireId {
    let lanes = b.lanes;
    let per_row = pairs_per_row(lanes);
    let mut prev: Option<WireId> = None;
    let chunks: Vec<&[(WireId, WireId)]> = if pairs.is_empty() { vec![&[]] } else { pairs.chunks(per_row).collect() };
    let zero = (chunks.iter().any(|c| c.len() < per_row)).then(|| super::linear::constant(b, 0));
    for chunk in chunks {
        let row = b.row;
        for (i, &(x, y)) in chunk.iter().enumerate() {
            b.place(Col::Advice(2 * i), row, x);
            b.place(Col::Advice(2 * i + 1), row, y);
        }
        for i in chunk.len()..per_row {
            b.place(Col::Advice(2 * i), row, zero.expect("a short chunk has a zero wire"));
        }
        let acc = b.wire(WireDef::Dot { pairs: chunk.to_vec(), prev });
        b.place(Col::Advice(lanes), row, acc);
        b.fix(Q, row, 1);
        b.fix(CHAIN, row, prev.is_some() as i128);
        prev = Some(acc);
        b.row += 1;
    }
    prev.expect("at least one row")
}

#[cfg(test)]
mod tests {
    use super::super::layout::{Col, Layout};
    use super::super::tests::mock;
    use super::super::{to_field, ModelCircuit};
    use crate::graph::{Graph, Node, Op};
    use crate::quant::QuantModel;
    use halo2_proofs::halo2curves::bn256::Fr;
    use std::sync::Arc;

    /// y = x·xᵀ style: y_j = Σ over the whole 6-vector of x_i·x_{5-i}, plus one squared term.
    fn circuit() -> (ModelCircuit, Vec<Fr>) {
        let terms = vec![(0..6).map(|i| (i, 5 - i)).collect(), vec![(2, 2)]];
        let graph = Graph {
            nodes: vec![
                Node { name: "x".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![1, 6] },
                Node { name: "xy".into(), op: Op::Bilinear { terms }, inputs: vec![0, 0], shape: vec![1, 2] },
            ],
            inputs: vec![0],
            outputs: vec![1],
        };
        let q = QuantModel::from_graph(&graph, 8);
        let layout = Arc::new(Layout::plan(&q, 4, Default::default(), true).unwrap());
        let x = vec![0.5, -1.25, 0.75, 1.5, -0.25, 1.0];
        let inputs = q.quantize_inputs(std::slice::from_ref(&x)).unwrap();
        let w = layout.witness(&q, &inputs).unwrap();
        let want0: f32 = (0..6).map(|i| x[i] * x[5 - i]).sum();
        let got = q.eval(&inputs).unwrap()[1].clone();
        assert!(
            (got[0] as f32 / 256.0 - want0).abs() < 0.01 && (got[1] as f32 / 256.0 - 0.5625).abs() < 0.01,
            "{got:?}"
        );
        let public = layout.public_values(&w, &[]);
        (ModelCircuit::new(layout, Some(Arc::new(w)), vec![]), public)
    }

    #[test]
    fn dot_satisfies_and_every_cell_is_constrained() {
        let (c, public) = circuit();
        assert_eq!(mock(&c, &public), Ok(()));
        let rows: Vec<usize> =
            c.layout.fixed.iter().filter(|(col, _, _)| *col == super::Q).map(|(_, r, _)| *r).collect();
        assert!(rows.len() >= 4, "chained rows expected: {rows:?}");
        let w = c.witness.as_ref().unwrap();
        for &(col, row, wire) in &c.layout.advice {
            if rows.contains(&row) && matches!(col, Col::Advice(_)) {
                let t = ModelCircuit { tamper: vec![(col, row, to_field(w[wire]) + Fr::one())], ..c.clone() };
                assert!(mock(&t, &public).is_err(), "{col:?}@{row} unconstrained");
            }
        }
    }
}
