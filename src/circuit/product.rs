//! Product gadget: `c = a·b` for two advice values, one row (a in a0, b in a1, c in a2). The
//! product is at scale 2^(2s); the requant gadget after it rescales and range-checks it.

use super::builder::{Builder, Col, WireDef, WireId};
use super::gadget::{FixedCol, FixedColumns, Gadget, Kind, Shared};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::ConstraintSystem;
use halo2_proofs::poly::Rotation;

/// The row's selector.
pub const Q: FixedCol = FixedCol::new(Kind::Product, 0);

/// Its `gadget::REGISTRY` entry: configures the gadget on the shared columns.
/// Creates the selector and the `product` gate `c = a·b` over `advice[0..3]`.
pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &Shared) -> Box<dyn Gadget> {
    let advice = &shared.advice;
    let cols = FixedColumns::new(meta, Kind::Product, 1);
    meta.create_gate("product", |m| {
        let q = m.query_fixed(cols.get(Q), Rotation::cur());
        let a = m.query_advice(advice[0], Rotation::cur());
        let b = m.query_advice(advice[1], Rotation::cur());
        let c = m.query_advice(advice[2], Rotation::cur());
        vec![q * (c - a * b)]
    });
    Box::new(cols)
}

/// Lays out `a·b`; returns the wire of the product.
pub(super) fn layout(b: &mut Builder, x: WireId, y: WireId) -> WireId {
    let row = b.row;
    b.place(Col::Advice(0), row, x);
    b.place(Col::Advice(1), row, y);
    let c = b.wire(WireDef::Product { a: x, b: y });
    b.place(Col::Advice(2), row, c);
    b.fix(Q, row, 1);
    b.row += 1;
    c
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

    fn square_circuit() -> (ModelCircuit, Vec<Fr>) {
        let graph = Graph {
            nodes: vec![
                Node { name: "x".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![1, 3] },
                Node { name: "sq".into(), op: Op::Mul, inputs: vec![0, 0], shape: vec![1, 3] },
            ],
            inputs: vec![0],
            outputs: vec![1],
        };
        let q = QuantModel::from_graph(&graph, 8);
        let layout = Arc::new(Layout::plan(&q, 4, Default::default(), true).unwrap());
        let inputs = q.quantize_inputs(&[vec![1.5, -2.25, 0.3]]).unwrap();
        let w = layout.witness(&q, &inputs).unwrap();
        assert_eq!(q.eval(&inputs).unwrap()[1], vec![576, 1296, 23]); // 2.25, 5.0625, 0.09 at 2^8
        let public = layout.public_values(&w, &[]);
        (ModelCircuit::new(layout, Some(Arc::new(w)), vec![]), public)
    }

    #[test]
    fn product_satisfies_and_every_cell_is_constrained() {
        let (c, public) = square_circuit();
        assert_eq!(mock(&c, &public), Ok(()));
        let row = c.layout.fixed.iter().find(|(col, _, _)| *col == super::Q).unwrap().1;
        let w = c.witness.as_ref().unwrap();
        for col in [Col::Advice(0), Col::Advice(1), Col::Advice(2)] {
            let (_, _, wire) = *c.layout.advice.iter().find(|(cc, r, _)| *cc == col && *r == row).unwrap();
            let t = ModelCircuit { tamper: vec![(col, row, to_field(w[wire]) + Fr::one())], ..c.clone() };
            assert!(mock(&t, &public).is_err(), "{col:?} unconstrained");
        }
    }
}
