//! Lookup gadget: `y = f(x)` for a pointwise function, proven against a fixed table.
//!
//! With shift d = s − t (this table's grid is 2^-t, the activation scale 2^-s); each table has
//! its own d, held per row in the fixed column `POW` as 2^d, so a narrow table keeps the scale
//! while a wide one is read coarsely:
//!
//! | row | a0 | a1 | a2 | r        | POW |
//! |-----|----|----|----|----------|-----|
//! | 0   | x  | q  | y  | rem      | 2^d |
//! | 1   |    |    |    | rem·2^(ρ−d) | 0 |
//!
//! (ρ is the range table's width: s, or s divided by the range check's split; the layout refuses
//! a split that leaves ρ below a table's d.)
//!
//! - rescale (d > 0): `POW·(2x + POW − 2q·POW − 2rem) = 0`, i.e. `x + 2^(d-1) = q·2^d + rem`, and
//!   `POW·(POW·r' − 2^ρ·rem) = 0`, i.e. `r' = rem·2^(ρ−d)` for the range cell r' below; both
//!   `rem` and r' in [0, 2^ρ) bound `rem` below 2^d. Without that bound a prover could move q by
//!   one and absorb 2^d in the remainder (a test below). POW is 0 on every other row, which
//!   switches both equations off; 2^d is never 0 in the field.
//! - lookup: `(tag, tag·q, tag·y)` is a row of the table `(tag, tag·x, tag·f(x))`. Each distinct
//!   table has its own tag ≥ 1; rows without the gadget have tag 0 and look up the all-zero row.
//!   The table bounds q, so x cannot wrap modulo p either.
//! - d = 0: q is x itself, placed in a1; one row, no rescale.

use super::builder::{Builder, Col, WireDef, WireId};
use super::gadget::{FixedCol, Gadget, Kind, Shared, TableRow};
use super::layout::Layout;
use super::{fr_u128, to_field};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error as PlonkError, Expression, Fixed, TableColumn};
use halo2_proofs::poly::Rotation;

/// 2^d on a row that rescales its input by d bits onto its table's grid; 0 elsewhere (and when
/// d = 0), which is what switches the rescale equations off.
pub const POW: FixedCol = FixedCol::new(Kind::Lut, 0);
/// The tag of the table a row looks up (0: none, so the row matches the table's all-zero row).
pub const TAG: FixedCol = FixedCol::new(Kind::Lut, 1);

/// The lookup gadget's fixed columns and table; configured only in circuits whose layout uses it.
#[derive(Clone, Debug)]
pub struct LutConfig {
    /// In `FixedCol` order: 2^d, tag.
    pub fixed: [Column<Fixed>; 2],
    /// The table `(tag, tag·x, tag·f(x))`, filled from `Layout::tables` by `table_rows`.
    pub table: [TableColumn; 3],
}

impl Gadget for LutConfig {
    fn fixed(&self) -> &[Column<Fixed>] {
        &self.fixed
    }

    fn table_columns(&self) -> &[TableColumn] {
        &self.table
    }

    /// The all-zero row (what rows without the gadget look up), then every table of the layout
    /// as `(tag, tag·x, tag·f(x))`.
    fn table_rows(&self, layout: &Layout, row: TableRow<'_>) -> Result<(), PlonkError> {
        row(&[Fr::zero(); 3])?;
        for (i, t) in layout.tables.iter().enumerate() {
            let tag = Fr::from(i as u64 + 1);
            for (j, &y) in t.values.iter().enumerate() {
                let x = to_field(t.lo as i128 + j as i128 * t.step as i128);
                row(&[tag, tag * x, tag * to_field(y as i128)])?;
            }
        }
        Ok(())
    }
}

/// Its `gadget::REGISTRY` entry: configures the gadget on the shared columns.
pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &Shared) -> Box<dyn Gadget> {
    let shift = shared.table_shift.unwrap_or(0);
    Box::new(LutConfig::configure(meta, &shared.advice, shared.range, shared.range_bits, shift))
}

impl LutConfig {
    /// Creates the columns, the `lut rescale` gate (when `shift > 0`) and the `table` lookup, reading
    /// `advice[0..3]` and `range`.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        advice: &[Column<Advice>],
        range: Column<Advice>,
        range_bits: u32,
        shift: u32,
    ) -> Self {
        let cfg = LutConfig {
            fixed: [meta.fixed_column(), meta.fixed_column()],
            table: [meta.lookup_table_column(), meta.lookup_table_column(), meta.lookup_table_column()],
        };
        if shift > 0 {
            meta.create_gate("lut rescale", |m| {
                let pow = m.query_fixed(cfg.fixed[POW.index], Rotation::cur());
                let x = m.query_advice(advice[0], Rotation::cur());
                let q = m.query_advice(advice[1], Rotation::cur());
                let rem = m.query_advice(range, Rotation::cur());
                let lifted = m.query_advice(range, Rotation::next());
                let two = Expression::Constant(Fr::from(2));
                let scale = Expression::Constant(fr_u128(1u128 << range_bits));
                vec![
                    pow.clone() * (two.clone() * x + pow.clone() - two.clone() * q * pow.clone() - two * rem.clone()),
                    pow.clone() * (pow * lifted - scale * rem),
                ]
            });
        }
        meta.lookup("table", |m| {
            let tag = m.query_fixed(cfg.fixed[TAG.index], Rotation::cur());
            let q = m.query_advice(advice[1], Rotation::cur());
            let y = m.query_advice(advice[2], Rotation::cur());
            vec![(tag.clone(), cfg.table[0]), (tag.clone() * q, cfg.table[1]), (tag * y, cfg.table[2])]
        });
        cfg
    }
}

/// Rows one lookup takes at this shift: the lifted remainder sits on the second.
pub fn rows(shift: u32) -> usize {
    if shift > 0 {
        2
    } else {
        1
    }
}

/// Lays out `f(x)` for model node `node`, whose table has tag `tag`; returns the output wire.
pub(super) fn layout(b: &mut Builder, x: WireId, node: usize, tag: usize, shift: u32) -> WireId {
    let row = b.row;
    let q = if shift == 0 {
        x
    } else {
        b.place(Col::Advice(0), row, x);
        let q = b.wire(WireDef::TableIndex { x, shift });
        let rem = b.wire(WireDef::TableRem { x, q, shift });
        b.place(Col::Range, row, rem);
        let lifted = b.wire(WireDef::Scaled { w: rem, bits: b.range_bits - shift });
        b.place(Col::Range, row + 1, lifted);
        b.fix(POW, row, 1i128 << shift);
        q
    };
    b.place(Col::Advice(1), row, q);
    let y = b.wire(WireDef::Lookup { q, node });
    b.place(Col::Advice(2), row, y);
    b.fix(TAG, row, tag as i128);
    b.row += rows(shift);
    y
}

#[cfg(test)]
mod tests {
    use super::super::layout::{Col, Layout};
    use super::super::tests::failed_checks;
    use super::super::{to_field, ModelCircuit};
    use crate::graph::{Graph, Node, Op, ScalarFn};
    use crate::quant::{table, QuantModel};
    use halo2_proofs::dev::{MockProver, VerifyFailure};
    use halo2_proofs::halo2curves::bn256::Fr;
    use std::sync::Arc;

    fn sigmoid() -> ScalarFn {
        ScalarFn::new("sigmoid", |xs| xs.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect())
    }

    /// x → sigmoid(x), calibrated on [-3, 3], at scale 2^s.
    fn sigmoid_model(s: u32, n: usize) -> (QuantModel, Arc<Layout>) {
        let x = vec![0f32; n];
        let graph = Graph {
            nodes: vec![
                Node { name: "x".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![1, x.len()] },
                Node { name: "sig".into(), op: Op::Map { f: sigmoid() }, inputs: vec![0], shape: vec![1, x.len()] },
            ],
            inputs: vec![0],
            outputs: vec![1],
        };
        let ranges = table::value_ranges(&graph, &[vec![vec![-3.0, 3.0]]]);
        let q = QuantModel::quantize(&graph, s, 11, &ranges).unwrap();
        let layout = Arc::new(Layout::plan(&q, 4, Default::default(), true).unwrap());
        (q, layout)
    }

    fn sigmoid_circuit(s: u32, x: &[f32]) -> (QuantModel, ModelCircuit, Vec<Fr>) {
        let (q, layout) = sigmoid_model(s, x.len());
        let inputs = q.quantize_inputs(&[x.to_vec()]).unwrap();
        let w = layout.witness(&q, &inputs).unwrap();
        let public = layout.public_values(&w, &[]);
        (q, ModelCircuit::new(layout, Some(Arc::new(w)), vec![]), public)
    }

    fn mock(c: &ModelCircuit, public: &[Fr]) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
        MockProver::run(12, c, vec![public.to_vec()]).unwrap().verify()
    }

    fn cell(c: &ModelCircuit, col: Col, row: usize) -> i128 {
        let (_, _, w) = c.layout.advice.iter().find(|(cc, r, _)| *cc == col && *r == row).unwrap();
        c.witness.as_ref().unwrap()[*w]
    }

    fn first_row(c: &ModelCircuit) -> usize {
        c.layout.fixed.iter().find(|(col, _, _)| *col == super::TAG).unwrap().1
    }

    #[test]
    fn sigmoid_table_satisfies_and_is_accurate() {
        let (q, c, public) = sigmoid_circuit(10, &[-2.0, 0.0, 0.7, 2.9]);
        assert!(q.table_shift.unwrap() > 0 && q.table_shift.unwrap() < 10, "{:?}", q.table_shift);
        assert_eq!(mock(&c, &public), Ok(()));
        for (i, x) in [-2.0f32, 0.0, 0.7, 2.9].iter().enumerate() {
            let y = q.dequantize(cell(&c, Col::Advice(2), first_row(&c) + 2 * i));
            assert!((y - 1.0 / (1.0 + (-x as f64).exp())).abs() < 0.01, "{x}: {y}");
        }
    }

    #[test]
    fn every_lookup_cell_is_constrained() {
        let (_, c, public) = sigmoid_circuit(10, &[0.7]);
        let r = first_row(&c);
        for (col, row) in
            [(Col::Advice(0), r), (Col::Advice(1), r), (Col::Advice(2), r), (Col::Range, r), (Col::Range, r + 1)]
        {
            let t = ModelCircuit { tamper: vec![(col, row, to_field(cell(&c, col, row)) + Fr::one())], ..c.clone() };
            assert!(mock(&t, &public).is_err(), "{col:?}@{row} unconstrained");
        }
    }

    /// The review's trap: shift the index by one and push 2^d into the remainder. Every equation
    /// but the remainder's range holds.
    #[test]
    fn remainder_out_of_range_is_rejected() {
        let (q, c, public) = sigmoid_circuit(10, &[0.7]);
        let d = q.table_shift.unwrap();
        let r = first_row(&c);
        let (idx, rem) = (cell(&c, Col::Advice(1), r), cell(&c, Col::Range, r));
        let y = q.lookup(1, idx - 1).unwrap();
        let tamper = vec![
            (Col::Advice(1), r, to_field(idx - 1)),
            (Col::Advice(2), r, to_field(y)),
            (Col::Range, r, to_field(rem + (1 << d))),
            (Col::Range, r + 1, to_field((rem + (1 << d)) << (10 - d))),
        ];
        let t = ModelCircuit { tamper, ..c.clone() };
        // The rescale gate and the table both hold; the range lookup on the remainder does not.
        let errs = mock(&t, &public).unwrap_err();
        assert!(
            errs.iter().any(|e| matches!(e, VerifyFailure::Lookup { name, .. } if name == "range")),
            "the remainder's range check must catch it: {errs:?}"
        );
        assert!(!errs.iter().any(|e| matches!(e, VerifyFailure::ConstraintNotSatisfied { .. })), "{errs:?}");
    }

    /// exp over a wide input ([-20, 0]) and sigmoid over a narrower one ([0, 1]): each table gets its own grid, so
    /// the two lookups rescale by different shifts in one circuit.
    fn two_grids(x: f32, y: f32) -> (QuantModel, ModelCircuit, Vec<Fr>) {
        let exp = ScalarFn::new("exp", |xs| xs.iter().map(|x| x.exp()).collect());
        let node = |name: &str, op, inputs| Node { name: name.into(), op, inputs, shape: vec![1, 1] };
        let graph = Graph {
            nodes: vec![
                node("x", Op::Input { index: 0 }, vec![]),
                node("y", Op::Input { index: 1 }, vec![]),
                node("exp", Op::Map { f: exp }, vec![0]),
                node("sig", Op::Map { f: sigmoid() }, vec![1]),
            ],
            inputs: vec![0, 1],
            outputs: vec![2, 3],
        };
        let ranges = table::value_ranges(&graph, &[vec![vec![-20.0], vec![0.0]], vec![vec![0.0], vec![1.0]]]);
        let q = QuantModel::quantize(&graph, 10, 12, &ranges).unwrap();
        let layout = Arc::new(Layout::plan(&q, 4, Default::default(), true).unwrap());
        let inputs = q.quantize_inputs(&[vec![x], vec![y]]).unwrap();
        let w = layout.witness(&q, &inputs).unwrap();
        let public = layout.public_values(&w, &[]);
        (q, ModelCircuit::new(layout, Some(Arc::new(w)), vec![]), public)
    }

    fn shift(q: &QuantModel, node: usize) -> u32 {
        let crate::quant::QOp::Lut { shift, .. } = q.nodes[node].op else { panic!("not a table") };
        shift
    }

    #[test]
    fn two_grids_each_row_rescales_by_its_own_shift() {
        let (q, c, public) = two_grids(-3.3, 0.4);
        let (wide, narrow) = (shift(&q, 2), shift(&q, 3));
        assert!(wide > narrow, "exp over [-20, 0] is read more coarsely than sigmoid over [0, 1]");
        assert_eq!(mock(&c, &public), Ok(()));
        let pows: Vec<i128> = c.layout.fixed.iter().filter(|(col, _, _)| *col == super::POW).map(|f| f.2).collect();
        assert!(narrow > 0, "both rescale, so both rows carry a 2^d");
        let mut expected: Vec<i128> = [wide, narrow].iter().map(|&d| 1 << d).collect();
        expected.sort();
        let mut pows = pows;
        pows.sort();
        assert_eq!(pows, expected, "one 2^d per rescaling lookup, each its own table's");
        assert!(
            (q.dequantize(q.eval(&q.quantize_inputs(&[vec![-3.3], vec![0.4]]).unwrap()).unwrap()[2][0])
                - (-3.3f64).exp())
            .abs()
                < 0.01
        );
    }

    /// Every cell of both lookups moved by one is refused, and so is each row read with the
    /// other table's shift (the remainder re-solved for it, as a prover would).
    #[test]
    fn two_grids_cells_and_shifts_are_bound() {
        let (q, c, public) = two_grids(-3.3, 0.4);
        let rows: Vec<usize> =
            c.layout.fixed.iter().filter(|(col, _, v)| *col == super::TAG && *v != 0).map(|f| f.1).collect();
        assert_eq!(rows.len(), 2);
        for &r in &rows {
            for (col, row) in
                [(Col::Advice(0), r), (Col::Advice(1), r), (Col::Advice(2), r), (Col::Range, r), (Col::Range, r + 1)]
            {
                let t =
                    ModelCircuit { tamper: vec![(col, row, to_field(cell(&c, col, row)) + Fr::one())], ..c.clone() };
                assert!(mock(&t, &public).is_err(), "{col:?}@{row} unconstrained");
            }
        }
        // Row of the narrow table, index and remainder re-solved with the wide table's shift.
        let (wide, narrow) = (shift(&q, 2), shift(&q, 3));
        let sig = q.eval(&q.quantize_inputs(&[vec![-3.3], vec![0.4]]).unwrap()).unwrap()[3][0];
        let r = *rows.iter().find(|&&r| cell(&c, Col::Advice(2), r) == sig).unwrap();
        let x = cell(&c, Col::Advice(0), r);
        let idx = QuantModel::table_index(x, wide);
        let rem = x + (1i128 << wide >> 1) - (idx << wide);
        let tamper = vec![
            (Col::Advice(1), r, to_field(idx)),
            (Col::Range, r, to_field(rem)),
            (Col::Range, r + 1, to_field(rem << (10 - wide))),
        ];
        let t = ModelCircuit { tamper, ..c.clone() };
        assert!(mock(&t, &public).is_err(), "a row read on another table's grid (shift {wide} for {narrow})");
    }

    #[test]
    fn input_outside_the_table_is_a_clear_error() {
        let (q, layout) = sigmoid_model(10, 1);
        let inputs = q.quantize_inputs(&[vec![40.0]]).unwrap();
        let msg = layout.witness(&q, &inputs).unwrap_err().to_string();
        assert_eq!(msg, q.eval(&inputs).unwrap_err().to_string());
        assert!(msg.contains("sig") && msg.contains("outside its lookup table"), "{msg}");
    }

    /// A keyed lookup (Gather from constant data by a computed index): the right row passes; a
    /// different value for the same index, or an index between keys, fails; an index outside
    /// the data is a clear error before proving.
    #[test]
    fn keyed_select_is_exact() {
        let graph = Graph {
            nodes: vec![
                Node { name: "i".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![1, 2] },
                Node {
                    name: "pick".into(),
                    op: Op::Select { table: vec![0.5, -1.25, 3.0] },
                    inputs: vec![0],
                    shape: vec![1, 2],
                },
            ],
            inputs: vec![0],
            outputs: vec![1],
        };
        let q = QuantModel::from_graph(&graph, 8);
        let layout = Arc::new(Layout::plan(&q, 4, super::super::tests::clear(), true).unwrap());
        let inputs = q.quantize_inputs(&[vec![2.0, 1.0]]).unwrap();
        assert_eq!(q.eval(&inputs).unwrap()[1], vec![768, -320]);
        let w = layout.witness(&q, &inputs).unwrap();
        let public: Vec<Fr> = layout.public_values(&w, &[]);
        let c = ModelCircuit::new(layout.clone(), Some(Arc::new(w)), vec![]);
        assert_eq!(mock(&c, &public), Ok(()));
        let r = first_row(&c);
        // Another table value (index 1's) for index 2, with the public output forged to match.
        let mut forged = public.clone();
        forged[2] = to_field(-320);
        let t = ModelCircuit { tamper: vec![(Col::Advice(2), r, to_field(-320))], ..c.clone() };
        assert_eq!(failed_checks(mock(&t, &forged)), ["lookup 'table'"]);
        // Index 1.5 (between keys) with index 1's value: not a row of the table.
        let mut forged = public.clone();
        forged[0] = to_field(384);
        forged[2] = to_field(-320);
        let t = ModelCircuit {
            tamper: vec![(Col::Advice(1), r, to_field(384)), (Col::Advice(2), r, to_field(-320))],
            ..c.clone()
        };
        // (key 1.5, index 1's value) is no row of the table; the forged public input also no
        // longer equals the cell where the input landed.
        assert_eq!(failed_checks(mock(&t, &forged)), ["lookup 'table'", "permutation"]);
        let e = layout.witness(&q, &q.quantize_inputs(&[vec![3.0, 0.0]]).unwrap()).unwrap_err().to_string();
        assert!(e.contains("pick") && e.contains("outside"), "{e}");
    }
}
