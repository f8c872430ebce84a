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
use super::gadget::{FixedCol, FixedColumns, Gadget, Kind, Shared};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::ConstraintSystem;
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

/// Creates m and c, and the gate (registered in `gadget.rs`).
pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &Shared) -> Box<dyn Gadget> {
    let advice = &shared.advice;
    let pairs = pairs_per_row(advice.len() - 1);
    let cols = FixedColumns::new(meta, Kind::Pointwise, 2);
    meta.create_gate("pointwise", |m| {
        let coeff = m.query_fixed(cols.get(COEFF), Rotation::cur());
        let c = m.query_fixed(cols.get(OFFSET), Rotation::cur());
        (0..pairs)
            .map(|j| {
                let x = m.query_advice(advice[2 * j], Rotation::cur());
                let y = m.query_advice(advice[2 * j + 1], Rotation::cur());
                coeff.clone() * (y - coeff.clone() * x - c.clone())
            })
            .collect::<Vec<_>>()
    });
    Box::new(cols)
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
    // Item indices by (m, c), each group in the items' order (a stable sort): one pass, however
    // many distinct offsets (a per-element constant makes as many groups as items).
    let key = |i: &usize| (items[*i].1, items[*i].2);
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(key);
    for group in order.chunk_by(|a, b| key(a) == key(b)) {
        let (m, c) = key(&group[0]);
        assert_ne!(m, 0, "a zero coefficient is a constant, not a pointwise item");
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

/// A cheating prover against the pointwise gate: every test moves what the prover controls
/// (advice cells, public outputs moved along) and asserts the forgery is refused, naming the check.
#[cfg(test)]
mod attacks {
    use super::super::gadget::Kind;
    use super::super::layout::{Col, Layout, WireDef, WireId};
    use super::super::privacy::Public;
    use super::super::tests::{failed_checks, mock};
    use super::super::{audit, dot, linear, to_field, ModelCircuit};
    use super::{pairs_per_row, COEFF, OFFSET};
    use crate::graph::{Graph, Node, Op};
    use crate::quant::QuantModel;
    use halo2_proofs::halo2curves::bn256::Fr;
    use std::sync::Arc;

    /// x (6) → shift = x + 0.5 (pointwise rows), then sum(shift) (a linear chain right after
    /// them); mix: one-term outputs of x in two (m, c) groups (one of them twice), a two-term and
    /// a zero-coefficient output; ge0 = NonNeg(mix) (scaled signs). Outputs: sum, mix, ge0.
    fn circuit(lanes: usize) -> (ModelCircuit, Vec<Fr>) {
        let node = |name: &str, op, inputs, n| Node { name: String::from(name), op, inputs, shape: vec![1, n] };
        let one = |i, c| vec![(0, i, c)];
        let mix =
            vec![one(0, -1.0), one(1, 2.0), one(2, -1.0), one(0, 2.0), one(0, 2.0), vec![(0, 1, 1.0), (0, 2, 1.0)]];
        let mix = [mix, vec![one(1, 0.0)]].concat();
        let graph = Graph {
            nodes: vec![
                node("x", Op::Input { index: 0 }, vec![], 6),
                node("shift", Op::AddConst { value: vec![0.5] }, vec![0], 6),
                node(
                    "sum",
                    Op::Affine { terms: vec![(0..6).map(|i| (0, i, 1.0)).collect()], bias: vec![0.0] },
                    vec![1],
                    1,
                ),
                node("mix", Op::Affine { terms: mix, bias: vec![0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.25] }, vec![0], 7),
                node("ge0", Op::NonNeg, vec![3], 7),
            ],
            inputs: vec![0],
            outputs: vec![2, 3, 4],
        };
        let q = QuantModel::from_graph(&graph, 8);
        let layout = Arc::new(Layout::plan(&q, lanes, super::super::tests::clear(), true).unwrap());
        let inputs = q.quantize_inputs(&[vec![1.0, -2.5, 0.75, 3.0, -0.25, 0.0]]).unwrap();
        let w = layout.witness(&q, &inputs).unwrap();
        // The honest wires (grouping, repeats) are the model's values, not just the gate's.
        let oracle = q.eval(&inputs).unwrap();
        for (node, wires) in layout.node_wires.iter().enumerate() {
            assert_eq!(wires.iter().map(|&x| w[x]).collect::<Vec<_>>(), oracle[node], "lanes {lanes} node {node}");
        }
        assert_eq!(oracle[4], [0, 0, 0, 256, 256, 0, 256]);
        let public = layout.public_values(&w, &[]);
        (ModelCircuit::new(layout, Some(Arc::new(w)), vec![]), public)
    }

    fn rows(c: &ModelCircuit) -> Vec<usize> {
        c.layout.fixed.iter().filter(|(col, _, _)| *col == COEFF).map(|(_, r, _)| *r).collect()
    }

    fn wire_at(c: &ModelCircuit, col: Col, row: usize) -> Option<WireId> {
        c.layout.advice.iter().find(|&&(cc, r, _)| cc == col && r == row).map(|&(_, _, w)| w)
    }

    fn value(c: &ModelCircuit, wire: WireId) -> Fr {
        to_field(c.witness.as_ref().unwrap()[wire])
    }

    /// `wire` moved by `delta` in every cell that holds it and every public value that is it: a
    /// prover moving one value consistently, so that only a gate can object.
    fn moved(c: &ModelCircuit, public: &mut [Fr], wire: WireId, delta: Fr) -> Vec<(Col, usize, Fr)> {
        for (i, p) in c.layout.public.iter().enumerate() {
            if matches!(*p, Public::Wire(w) if w == wire) {
                public[i] += delta;
            }
        }
        let v = value(c, wire) + delta;
        c.layout.advice.iter().filter(|&&(_, _, w)| w == wire).map(|&(col, row, _)| (col, row, v)).collect()
    }

    fn coeff(c: &ModelCircuit, row: usize) -> Fr {
        let m = c.layout.fixed.iter().find(|&&(col, r, _)| col == COEFF && r == row).unwrap().2;
        to_field(m)
    }

    /// m ≠ 0 on every row with a pointwise fixed cell (an offset-only row would switch the gate
    /// off and free its y); no other gadget's fixed cell on those rows; every pair cell filled;
    /// no chained linear or dot row right after one (it would read the row's accumulator cell,
    /// which pointwise leaves empty when lanes + 1 is odd); the zero-coefficient output is not
    /// pointwise.
    #[test]
    fn rows_are_laid_out_as_the_gate_assumes() {
        for lanes in 2..=5 {
            let (c, public) = circuit(lanes);
            assert_eq!(mock(&c, &public), Ok(()), "lanes {lanes}");
            let rows = rows(&c);
            assert_eq!(rows.len(), [2usize, 3, 6, 7].iter().map(|n| n.div_ceil(pairs_per_row(lanes))).sum::<usize>());
            for &(col, r, _) in &c.layout.fixed {
                assert!(col != OFFSET || rows.contains(&r), "offset without coefficient at {r}");
                assert!(col.gadget == Kind::Pointwise || !rows.contains(&r), "{col:?} on pointwise row {r}");
                let chained = [linear::CHAIN, dot::CHAIN].contains(&col) && r > 0 && rows.contains(&(r - 1));
                assert!(!chained, "{col:?} at {r} reads pointwise row {}", r - 1);
            }
            for &r in &rows {
                for i in 0..2 * pairs_per_row(lanes) {
                    assert!(wire_at(&c, Col::Advice(i), r).is_some(), "lanes {lanes}: a{i}@{r} empty");
                }
            }
            let zero_coeff = c.layout.node_wires[3][6];
            let home = c.layout.advice.iter().find(|a| a.2 == zero_coeff).unwrap();
            assert!(!rows.contains(&home.1), "the 0·x output is on a pointwise row");
        }
    }

    /// Each y moved everywhere it is held (its copies, its public value) by a small, a negative
    /// and a huge amount: m is invertible, so the gate refuses every one. The NonNeg outputs are
    /// read by nothing else, so there the gate is the only objection.
    #[test]
    fn output_moved_everywhere_is_refused_by_the_gate() {
        for lanes in [4, 5] {
            let (c, public) = circuit(lanes);
            let signs = &c.layout.node_wires[4];
            let mut checked = 0;
            for r in rows(&c) {
                for j in 0..pairs_per_row(lanes) {
                    let y = wire_at(&c, Col::Advice(2 * j + 1), r).unwrap();
                    for delta in [Fr::one(), -Fr::one(), Fr::from(1u64 << 60)] {
                        let mut public = public.clone();
                        let t = ModelCircuit { tamper: moved(&c, &mut public, y, delta), ..c.clone() };
                        let failed = failed_checks(mock(&t, &public));
                        if signs.contains(&y) {
                            assert_eq!(failed, ["gate 'pointwise'"], "lanes {lanes} y@{r}");
                        } else {
                            assert!(failed.iter().any(|f| f == "gate 'pointwise'"), "lanes {lanes} y@{r}: {failed:?}");
                        }
                        checked += 1;
                    }
                }
            }
            assert!(checked >= 30);
        }
    }

    /// A pair moved along its own line, (x + 1, y + m), so the gate holds: the x cell is a copy,
    /// and the permutation refuses it. Filler pairs (repeats of a row's first) alone; real pairs
    /// with y moved everywhere and the public outputs following.
    #[test]
    fn pair_moved_along_its_line_is_refused_by_the_copy() {
        let (c, public) = circuit(4);
        let mut fillers = 0;
        for r in rows(&c) {
            let m = coeff(&c, r);
            let mut seen = vec![];
            for j in 0..pairs_per_row(4) {
                let (xc, yc) = (Col::Advice(2 * j), Col::Advice(2 * j + 1));
                let (x, y) = (wire_at(&c, xc, r).unwrap(), wire_at(&c, yc, r).unwrap());
                let mut public = public.clone();
                let mut tamper = vec![(xc, r, value(&c, x) + Fr::one())];
                if seen.contains(&(x, y)) {
                    tamper.push((yc, r, value(&c, y) + m));
                    fillers += 1;
                    assert_eq!(failed_checks(mock(&ModelCircuit { tamper, ..c.clone() }, &public)), ["permutation"]);
                } else {
                    seen.push((x, y));
                    tamper.extend(moved(&c, &mut public, y, m).into_iter().filter(|t| (t.0, t.1) != (xc, r)));
                    let failed = failed_checks(mock(&ModelCircuit { tamper, ..c.clone() }, &public));
                    assert!(failed.iter().any(|f| f == "permutation"), "pair {j}@{r}: {failed:?}");
                }
            }
        }
        assert_eq!(fillers, 2); // ge0's 7 and mix's 3 (m = 2) leave one filler each
    }

    /// The accumulator column is in no pair when lanes + 1 is odd, so a pointwise row leaves it
    /// empty. The next row is the first of sum's linear chain: a prover filling the empty cell
    /// with v and adding v to every accumulator of the chain (and to the public sum) would be
    /// accepted if that row's chain flag read it. It does not: the linear gate refuses.
    #[test]
    fn empty_accumulator_cell_feeds_no_chain() {
        for lanes in [2, 4] {
            let (c, mut public) = circuit(lanes);
            let mut chain = vec![c.layout.node_wires[2][0]];
            while let WireDef::Linear { prev: Some(p), .. } = c.layout.wires[*chain.last().unwrap()] {
                chain.push(p);
            }
            assert!(chain.len() >= 2, "sum is a chain at lanes {lanes}");
            let first = c.layout.advice.iter().find(|a| a.2 == *chain.last().unwrap()).unwrap().1;
            assert!(rows(&c).contains(&(first - 1)) && wire_at(&c, Col::Advice(lanes), first - 1).is_none());
            let v = Fr::from(1000u64);
            let mut tamper = vec![(Col::Advice(lanes), first - 1, v)];
            for &acc in &chain {
                tamper.extend(moved(&c, &mut public, acc, v));
            }
            let t = ModelCircuit { tamper, ..c.clone() };
            assert_eq!(failed_checks(mock(&t, &public)), ["gate 'linear'"], "lanes {lanes}");
        }
    }

    /// Every cell of a pointwise row that the layout leaves empty (the accumulator when lanes + 1
    /// is odd, the range column) is the prover's to fill, and no gate reads it: filled with
    /// garbage the honest proof still verifies, and a moved output is still refused by the gate.
    #[test]
    fn empty_cells_of_pointwise_rows_carry_nothing() {
        for lanes in 2..=5 {
            let (c, public) = circuit(lanes);
            let mut empty = vec![];
            for r in rows(&c) {
                for col in (0..=lanes).map(Col::Advice).chain([Col::Range]) {
                    if wire_at(&c, col, r).is_none() {
                        empty.push((
                            col,
                            r,
                            if col == Col::Range { Fr::from(255) } else { Fr::from(12345) + Fr::from(r as u64) },
                        ));
                    }
                }
            }
            assert_eq!(empty.len(), rows(&c).len() * (1 + (lanes % 2 == 0) as usize), "lanes {lanes}");
            let t = ModelCircuit { tamper: empty.clone(), ..c.clone() };
            assert_eq!(mock(&t, &public), Ok(()), "lanes {lanes}: a gate reads an empty cell");
            let mut forged = public.clone();
            let y = c.layout.node_wires[4][0];
            empty.extend(moved(&c, &mut forged, y, Fr::from(256)));
            let t = ModelCircuit { tamper: empty, ..c.clone() };
            assert_eq!(failed_checks(mock(&t, &forged)), ["gate 'pointwise'"], "lanes {lanes}");
        }
    }

    /// Claiming x ≥ 0 for a negative x: the scaled sign and the sign itself moved everywhere
    /// (requant row and pointwise pair) with the public output. The pointwise gate then holds;
    /// the sign's range check in the requant block refuses it.
    #[test]
    fn flipped_sign_is_refused_upstream() {
        let (c, mut public) = circuit(4);
        let y = c.layout.node_wires[4][0];
        let sign = match c.layout.wires[c.layout.node_wires[4][0]] {
            WireDef::Linear { ref terms, .. } => terms[0].0,
            ref d => panic!("{d:?}"),
        };
        assert!(matches!(c.layout.wires[sign], WireDef::Sign { .. }));
        let mut tamper = moved(&c, &mut public, y, Fr::from(256));
        tamper.extend(moved(&c, &mut public, sign, Fr::one()));
        let failed = failed_checks(mock(&ModelCircuit { tamper, ..c.clone() }, &public));
        assert_eq!(failed, ["gate 'requant'"]);
    }

    /// The generic under-constraint audit (every gate, every cell it reads, empty ones included)
    /// finds nothing on these layouts, with and without an empty accumulator cell.
    #[test]
    fn audit_finds_nothing() {
        for lanes in [4, 5] {
            let (c, public) = circuit(lanes);
            let report = audit::audit_model(&c, 10, &public, &Default::default()).unwrap();
            assert!(report.attempts > 0 && report.findings.is_empty(), "lanes {lanes}: {:#?}", report.findings);
        }
    }
}
