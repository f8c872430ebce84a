//! Pointwise affine gadget: several `y = m·x + c` side by side in one row, `m` and `c` fixed.
//!
//! A constant offset (`x + c`), a scaled sign (`2^s·sign`) or a lone coefficient (`-x`, `x·2^k`)
//! is one input and one output; in the linear gadget each takes a whole row of `lanes + 1`
//! columns. Here pair j sits in columns (2j, 2j+1), so a row holds `(lanes + 1) / 2` of them,
//! all with the row's `m` and `c` (items are grouped by them: one sign scale, one offset per
//! channel). Two fixed columns whatever the lanes: each fixed column costs the verifier an
//! evaluation and an ecMul (~7k gas), so per-pair offsets would make wide rows dear.
//!
//! | row | a0  | a1  | a2  | a3  | … |
//! |-----|-----|-----|-----|-----|---|
//! | r   | x_0 | y_0 | x_1 | y_1 | … |
//!
//! Gate, for each pair j: `m·(y_j − m·x_j − c) = 0`. The coefficient is the selector: it is
//! never 0 on the gadget's rows (a zero coefficient is a constant, laid out as one) and 0 on
//! every other row, so the gate needs no column beyond `m` and `c`.
//!
//! Why each cell is bound: y_j is defined by the gate from x_j and fixed data (m ≠ 0 is
//! invertible); x_j is a copy of the wire it reads. A row with fewer items than pairs repeats its
//! first pair in the rest (copies of the same two wires), so no cell of a gadget row
//! is left to the prover. The tests below change every cell of the gadget's rows, and the
//! soundness audit walks this gate like every other.

use super::builder::{Builder, Col, WireDef, WireId};
use super::gadget::{FixedCol, Gadget, Kind, Shared};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Column, ConstraintSystem, Fixed};
use halo2_proofs::poly::Rotation;

/// The row's coefficient m (0 where the gadget is not used).
pub const COEFF: FixedCol = FixedCol::new(Kind::Pointwise, 0);

/// The row's offset c.
pub const OFFSET: FixedCol = FixedCol::new(Kind::Pointwise, 1);

/// Pairs per row: the general advice columns, two to a pair.
pub fn pairs_per_row(lanes: usize) -> usize {
    let columns = lanes + 1;
    columns / 2
}

/// The gadget's fixed columns, in `FixedCol` order.
#[derive(Clone, Debug)]
pub struct PointwiseConfig {
    /// m, then c.
    pub fixed: Vec<Column<Fixed>>,
}

impl Gadget for PointwiseConfig {
    fn fixed(&self) -> &[Column<Fixed>] {
        &self.fixed
    }
}

/// Creates m and c, and the gate (registered in `gadget.rs`).
pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &Shared) -> Box<dyn Gadget> {
    let advice = &shared.advice;
    let pairs = pairs_per_row(advice.len() - 1);
    let cfg = PointwiseConfig { fixed: vec![meta.fixed_column(), meta.fixed_column()] };
    meta.create_gate("pointwise", |m| {
        let coeff = m.query_fixed(cfg.fixed[COEFF.index], Rotation::cur());
        let c = m.query_fixed(cfg.fixed[OFFSET.index], Rotation::cur());
        (0..pairs)
            .map(|j| {
                let x = m.query_advice(advice[2 * j], Rotation::cur());
                let y = m.query_advice(advice[2 * j + 1], Rotation::cur());
                coeff.clone() * (y - coeff.clone() * x - c.clone())
            })
            .collect::<Vec<_>>()
    });
    Box::new(cfg)
}

/// Lays out `y_i = m_i·x_i + c_i` for each `(x_i, m_i, c_i)` (every `m_i ≠ 0`), items with the
/// same `(m, c)` packed into shared rows; returns the y wires in the items' order. Without the
/// gadget (`Builder::pointwise` off: the planner found it not worth its columns) each item is a
/// linear row.
pub(super) fn layout(b: &mut Builder, items: &[(WireId, i128, i128)]) -> Vec<WireId> {
    if !b.pointwise {
        return items.iter().map(|&(x, m, c)| super::linear::layout(b, &[(x, m)], c)).collect();
    }
    let per_row = pairs_per_row(b.lanes);
    let mut ys = vec![0; items.len()];
    let mut groups: Vec<(i128, i128)> = items.iter().map(|&(_, m, c)| (m, c)).collect();
    groups.sort_unstable();
    groups.dedup();
    for (m, c) in groups {
        assert_ne!(m, 0, "a zero coefficient is a constant, not a pointwise item");
        let group: Vec<usize> = (0..items.len()).filter(|&i| (items[i].1, items[i].2) == (m, c)).collect();
        for chunk in group.chunks(per_row) {
            let row = b.row;
            let mut pairs = Vec::with_capacity(per_row);
            for &i in chunk {
                let x = items[i].0;
                ys[i] = b.wire(WireDef::Linear { terms: vec![(x, m)], bias: c, prev: None });
                pairs.push((x, ys[i]));
            }
            // Pairs past the chunk repeat its first (copies), so no cell of the row is free.
            for j in 0..per_row {
                let (x, y) = pairs.get(j).copied().unwrap_or(pairs[0]);
                b.place(Col::Advice(2 * j), row, x);
                b.place(Col::Advice(2 * j + 1), row, y);
            }
            b.fix(COEFF, row, m);
            b.fix(OFFSET, row, c);
            b.row += 1;
        }
    }
    ys
}

#[cfg(test)]
mod tests {
    use super::super::layout::{Col, Layout};
    use super::super::tests::{failed_checks, mock};
    use super::super::{to_field, ModelCircuit};
    use crate::graph::{Graph, Node, Op};
    use crate::quant::QuantModel;
    use halo2_proofs::halo2curves::bn256::Fr;
    use std::sync::Arc;

    /// x + c over five elements at lanes 4, the offsets alternating: three elements of one offset
    /// (a full row and a part-filled one) and two of the other (a full row).
    fn circuit() -> (ModelCircuit, Vec<Fr>) {
        let graph = Graph {
            nodes: vec![
                Node { name: "x".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![1, 5] },
                Node {
                    name: "shift".into(),
                    op: Op::AddConst { value: vec![0.5, -1.25] },
                    inputs: vec![0],
                    shape: vec![1, 5],
                },
            ],
            inputs: vec![0],
            outputs: vec![1],
        };
        let q = QuantModel::from_graph(&graph, 8);
        let layout = Arc::new(Layout::plan(&q, 4, Default::default(), true).unwrap());
        let inputs = q.quantize_inputs(&[vec![1.0, 2.5, -0.75, 3.0, 0.25]]).unwrap();
        let w = layout.witness(&q, &inputs).unwrap();
        let got: Vec<i128> = layout.node_wires[1].iter().map(|&y| w[y]).collect();
        assert_eq!(got, [384, 320, -64, 448, 192]); // 1.5, 1.25, -0.25, 1.75, 0.75 at 2^8
        let public = layout.public_values(&w, &[]);
        (ModelCircuit::new(layout, Some(Arc::new(w)), vec![]), public)
    }

    fn rows(c: &ModelCircuit) -> Vec<usize> {
        c.layout.fixed.iter().filter(|(col, _, _)| *col == super::COEFF).map(|(_, r, _)| *r).collect()
    }

    #[test]
    fn five_items_of_two_offsets_take_three_rows_and_satisfy() {
        let (c, public) = circuit();
        assert_eq!(mock(&c, &public), Ok(()));
        assert_eq!(rows(&c).len(), 3);
    }

    /// Every cell of every pointwise row, including the repeated first pair that fills the last
    /// row, moved by one: the gate or a copy (to the wire's home, to the public output, or
    /// between a repeated pair and its original) refuses each.
    #[test]
    fn every_pointwise_cell_is_bound() {
        let (c, public) = circuit();
        let w = c.witness.as_ref().unwrap();
        let mut checked = 0;
        for row in rows(&c) {
            for i in 0..2 * super::pairs_per_row(c.layout.lanes) {
                let col = Col::Advice(i);
                let wire = c.layout.advice.iter().find(|&&(cc, r, _)| cc == col && r == row).map(|&(_, _, w)| w);
                let wire = wire.unwrap_or_else(|| panic!("{col:?}@{row} left empty"));
                let t = ModelCircuit { tamper: vec![(col, row, to_field(w[wire]) + Fr::one())], ..c.clone() };
                let failed = failed_checks(mock(&t, &public));
                let expected = if i % 2 == 1 { "gate 'pointwise'" } else { "permutation" };
                assert!(failed.iter().any(|f| f == expected), "{col:?}@{row}: {failed:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 12);
    }
}
