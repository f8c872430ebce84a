//! Requant gadget: rescale a product sum by 2^s, range-check the result, and optionally rectify.
//!
//! Block of three rows (r = the lookup-checked range column, every cell in [0, 2^s)):
//!
//! | row | a0  | a1 | a2   | r     |
//! |-----|-----|----|------|-------|
//! | 0   | acc | y  | sign | limb0 |
//! | 1   | z   |    |      | limb1 |
//! | 2   |     |    |      | rem   |
//!
//! Without a rescale (a bare range check or relu) row 2 is not read, and the next block starts
//! there. The block needs three advice columns, so two lanes suffice.
//!
//! - rescale: `acc + 2^(s-1) = y·2^s + rem`, `rem` in [0, 2^s).
//! - range:   `y + 2^(2s) = sign·2^(2s) + limb0 + limb1·2^s`, `sign ∈ {0,1}`, limbs in [0, 2^s).
//!   Offset binary, not sign-magnitude: each y in [-2^(2s), 2^(2s)) has exactly one (sign, limbs),
//!   so zero cannot carry either sign.
//! - relu:    `z = sign·y`.
//!
//! Split range (`Shape::split` = d > 1): the range table is [0, 2^r) with s = d·r, so a fine
//! scale does not force k above r + 1. Each s-bit limb becomes d range cells of r bits, the
//! remainder too: the block is 3d rows (2d without a rescale), limbs on rows 0..2d, the
//! remainder's chunks on rows 2d..3d, and the equations weigh range cell i by 2^(r·i). Since r
//! divides s, 2d cells of r bits span exactly [0, 2^(2s)) and d of them exactly [0, 2^s): the
//! bounds, and so both arguments below, are the same as with d = 1.
//!
//! Why each check is needed: without the bound on `rem`, a prover could shift `y` by one and
//! move 2^s into the remainder; without the bound on `y`, any `rem` yields a field solution
//! `y = (acc + 2^(s-1) - rem)/2^s` that wraps modulo p. Both attacks are tests below.

use super::builder::{Builder, Col, WireDef, WireId};
use super::gadget::{FixedCol, FixedColumns, Gadget, Kind, Shared};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{ConstraintSystem, Expression};
use halo2_proofs::poly::Rotation;

/// Selector of the rescale `acc + 2^(s-1) = y·2^s + rem`, on a block's first row.
pub const RESCALE: FixedCol = FixedCol::new(Kind::Requant, 0);
/// Selector of the offset-binary range check of y and of `sign ∈ {0,1}`, on a block's first row.
pub const RANGE: FixedCol = FixedCol::new(Kind::Requant, 1);
/// Selector of the rectification `z = sign·y` (z on the block's second row).
pub const RELU: FixedCol = FixedCol::new(Kind::Requant, 2);

/// Rows of a block with a rescale at d = 1 (one fewer without); the gate reads up to
/// `ROWS - 1` rows ahead of its own.
pub const ROWS: usize = 3;

/// Rows of a block with a rescale at `split` range cells per limb (2d without one): the gate
/// reads up to this many rows less one ahead of its own.
pub fn rows(split: usize) -> usize {
    ROWS * split.max(1)
}
/// Fewest lanes a layout may have: the block reads advice columns 0–2, and there are `lanes + 1`.
pub const MIN_LANES: usize = 2;

/// Its `gadget::REGISTRY` entry: configures the gadget on the shared columns.
fn pow2(bits: u32) -> Expression<Fr> {
    Expression::Constant(super::fr_u128(1u128 << bits))
}

/// The block's cells as a gate reads them.
pub(super) struct Cells {
    pub acc: Expression<Fr>,
    pub y: Expression<Fr>,
    pub sign: Expression<Fr>,
    pub z: Expression<Fr>,
    /// 2s/r range cells, lowest bits first.
    pub limbs: Vec<Expression<Fr>>,
    /// s/r range cells of the remainder, lowest bits first.
    pub rem: Vec<Expression<Fr>>,
}

/// `Σ cells[i]·2^(bits·i)`: range cells of `bits` bits each, lowest first.
fn compose(cells: Vec<Expression<Fr>>, bits: u32) -> Expression<Fr> {
    let mut terms = cells.into_iter().enumerate().map(|(i, c)| if i == 0 { c } else { c * pow2(bits * i as u32) });
    let first = terms.next().expect("a value has at least one range cell");
    terms.fold(first, |sum, t| sum + t)
}

/// The block's equations at scale 2^s, range cells of r bits, under selectors
/// `[rescale, range, relu]`: shared by the three-row block and `requant_wide`'s one-row block,
/// which differ only in where cells sit.
pub(super) fn equations(s: u32, r: u32, q: [Expression<Fr>; 3], c: Cells) -> Vec<Expression<Fr>> {
    assert!(
        s.is_multiple_of(r) && c.limbs.len() as u32 * r == 2 * s && c.rem.len() as u32 * r == s,
        "limbs span exactly"
    );
    let [q_rescale, q_range, q_relu] = q;
    let one = Expression::Constant(Fr::one());
    vec![
        q_rescale * (c.acc + pow2(s - 1) - c.y.clone() * pow2(s) - compose(c.rem, r)),
        q_range.clone() * (c.y.clone() + pow2(2 * s) - c.sign.clone() * pow2(2 * s) - compose(c.limbs, r)),
        q_range * c.sign.clone() * (one - c.sign.clone()),
        q_relu * (c.z - c.sign * c.y),
    ]
}

/// Creates the three selectors and the `requant` gate over `advice[0..3]` and the range column,
/// at scale 2^`scale_bits`.
pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &Shared) -> Box<dyn Gadget> {
    let (advice, range, s, r) = (&shared.advice, shared.range, shared.scale_bits, shared.range_bits);
    let d = (s / r) as i32;
    let cols = FixedColumns::new(meta, Kind::Requant, 3);
    meta.create_gate("requant", |m| {
        let q = [RESCALE, RANGE, RELU].map(|c| m.query_fixed(cols.get(c), Rotation::cur()));
        let [acc, y, sign] = [0, 1, 2].map(|i| m.query_advice(advice[i], Rotation::cur()));
        let z = m.query_advice(advice[0], Rotation::next());
        let limbs = (0..2 * d).map(|i| m.query_advice(range, Rotation(i))).collect();
        let rem = (2 * d..3 * d).map(|i| m.query_advice(range, Rotation(i))).collect();
        equations(s, r, q, Cells { acc, y, sign, z, limbs, rem })
    });
    Box::new(cols)
}

/// Lays out one requant block. `acc` given: rescale it; otherwise range-check (and rectify)
/// `input` as is. Returns the output wire (z when `relu`, else y).
pub(super) fn layout(b: &mut Builder, acc: Option<WireId>, input: Option<WireId>, relu: bool, node: usize) -> WireId {
    layout_with_sign(b, acc, input, relu, node).0
}

/// As `layout`, also returning the sign wire (1 when the range-checked value is ≥ 0, else 0).
pub(super) fn layout_with_sign(
    b: &mut Builder,
    acc: Option<WireId>,
    input: Option<WireId>,
    relu: bool,
    node: usize,
) -> (WireId, WireId) {
    if b.wide && b.lanes >= super::requant_wide::MIN_LANES {
        return place(b, acc, input, relu, node, &super::requant_wide::places());
    }
    place(b, acc, input, relu, node, &places(b.split))
}

/// Where a block's cells sit (column, rows after the block's first), its selectors, and the
/// rows it takes with and without a rescale: the three-row block here, the one-row block of
/// `requant_wide`, both laid out by `place`.
pub(super) struct Places {
    pub acc: (Col, usize),
    pub y: (Col, usize),
    pub sign: (Col, usize),
    /// The range cells of y's offset-binary form, lowest bits first.
    pub limbs: Vec<(Col, usize)>,
    /// The remainder's range cells, lowest bits first (one: the remainder wire itself).
    pub rem: Vec<(Col, usize)>,
    pub z: (Col, usize),
    /// Rescale, range, relu.
    pub selectors: [FixedCol; 3],
    /// Rows with a rescale, and without (a bare range check leaves the remainder's row free).
    pub rows: [usize; 2],
}

/// The block at `split` = d range cells per limb: limbs on the range column's rows 0..2d, the
/// remainder's chunks on rows 2d..3d.
fn places(split: usize) -> Places {
    let d = split.max(1);
    Places {
        acc: (Col::Advice(0), 0),
        y: (Col::Advice(1), 0),
        sign: (Col::Advice(2), 0),
        limbs: (0..2 * d).map(|i| (Col::Range, i)).collect(),
        rem: (2 * d..3 * d).map(|i| (Col::Range, i)).collect(),
        z: (Col::Advice(0), 1),
        selectors: [RESCALE, RANGE, RELU],
        rows: [rows(d), rows(d) - d],
    }
}

/// Lays out one block at `p`'s places. `acc` given: rescale it; otherwise range-check (and
/// rectify) `input` as is. Returns the output wire (z when `relu`, else y) and the sign.
fn place(
    b: &mut Builder,
    acc: Option<WireId>,
    input: Option<WireId>,
    relu: bool,
    node: usize,
    p: &Places,
) -> (WireId, WireId) {
    let row = b.row;
    let at = |(col, offset): (Col, usize)| (col, row + offset);
    let y = match (acc, input) {
        (Some(acc), _) => {
            let (c, r) = at(p.acc);
            b.place(c, r, acc);
            let y = b.wire(WireDef::Quotient { acc });
            let rem = b.wire(WireDef::Remainder { acc });
            if let [cell] = p.rem[..] {
                let (c, r) = at(cell);
                b.place(c, r, rem);
            } else {
                for (index, &cell) in p.rem.iter().enumerate() {
                    let chunk = b.wire(WireDef::Chunk { w: rem, index: index as u32, bits: b.range_bits });
                    let (c, r) = at(cell);
                    b.place(c, r, chunk);
                }
            }
            b.fix(p.selectors[0], row, 1);
            y
        }
        (None, Some(input)) => input,
        (None, None) => unreachable!("requant needs an accumulator or an input"),
    };
    let (c, r) = at(p.y);
    b.place(c, r, y);
    let sign = b.wire(WireDef::Sign { y, node });
    let (c, r) = at(p.sign);
    b.place(c, r, sign);
    for (index, &cell) in p.limbs.iter().enumerate() {
        let limb = b.wire(WireDef::Limb { y, sign, index: index as u32, bits: b.range_bits });
        let (c, r) = at(cell);
        b.place(c, r, limb);
    }
    b.fix(p.selectors[1], row, 1);
    let out = if relu {
        let z = b.wire(WireDef::Relu { y, sign });
        let (c, r) = at(p.z);
        b.place(c, r, z);
        b.fix(p.selectors[2], row, 1);
        z
    } else {
        y
    };
    b.row += p.rows[acc.is_none() as usize];
    (out, sign)
}

#[cfg(test)]
mod tests {
    use super::super::gadget::FixedCol;
    use super::super::layout::{Col, Layout};
    use super::super::tests::{failed_checks, mock, toy_circuit};
    use super::super::{fr_u128, to_field, ModelCircuit};
    use super::{RANGE, RELU, RESCALE};
    use crate::graph::{Graph, Node, Op};
    use crate::quant::QuantModel;
    use halo2_proofs::halo2curves::bn256::Fr;
    use halo2_proofs::halo2curves::ff::Field;
    use std::sync::Arc;

    /// Row of the first requant block with the given fixed selector set.
    fn block(c: &ModelCircuit, sel: FixedCol) -> usize {
        c.layout.fixed.iter().find(|(col, _, _)| *col == sel).map(|(_, r, _)| *r).unwrap()
    }

    fn value(c: &ModelCircuit, col: Col, row: usize) -> i128 {
        let (_, _, w) = c.layout.advice.iter().find(|(cc, r, _)| *cc == col && *r == row).unwrap();
        c.witness.as_ref().unwrap()[*w]
    }

    fn with(c: &ModelCircuit, tamper: Vec<(Col, usize, Fr)>) -> ModelCircuit {
        ModelCircuit { tamper, ..c.clone() }
    }

    #[test]
    fn every_requant_cell_is_constrained() {
        let (_, c, public) = toy_circuit(&[0.7, -1.2, 2.5]);
        let r = block(&c, RESCALE);
        let cells = [
            (Col::Advice(0), r),
            (Col::Advice(1), r),
            (Col::Advice(2), r),
            (Col::Advice(0), r + 1),
            (Col::Range, r),
            (Col::Range, r + 1),
            (Col::Range, r + 2),
        ];
        for (col, row) in cells {
            let bad = to_field(value(&c, col, row)) + Fr::ONE;
            assert!(mock(&with(&c, vec![(col, row, bad)]), &public).is_err(), "{col:?}@{row} unconstrained");
        }
    }

    /// Shift y by ±1 and move 2^s into or out of the remainder: the rescale equation still holds,
    /// so only the remainder's range check can catch it.
    #[test]
    fn remainder_out_of_range_is_rejected() {
        let (q, c, public) = toy_circuit(&[0.7, -1.2, 2.5]);
        let s = q.scale_bits;
        let r = block(&c, RESCALE);
        let (y, rem) = (value(&c, Col::Advice(1), r), value(&c, Col::Range, r + 2));
        for shift in [-1i128, 1] {
            let y2 = y + shift;
            let rem2 = rem - shift * (1i128 << s);
            let sign = (y2 >= 0) as i128;
            let rest = y2 + (1i128 << (2 * s)) - sign * (1i128 << (2 * s));
            let mask = (1i128 << s) - 1;
            let relu = c.layout.fixed.iter().any(|(col, row, _)| *col == RELU && *row == r);
            let mut t = vec![
                (Col::Advice(1), r, to_field(y2)),
                (Col::Advice(2), r, to_field(sign)),
                (Col::Range, r, to_field(rest & mask)),
                (Col::Range, r + 1, to_field(rest >> s)),
                (Col::Range, r + 2, to_field(rem2)),
            ];
            if relu {
                t.push((Col::Advice(0), r + 1, to_field(y2 * sign)));
            }
            let errs = mock(&with(&c, t), &public).unwrap_err();
            assert!(
                errs.iter().all(|e| format!("{e:?}").contains("Lookup") || format!("{e:?}").contains("Permutation")),
                "only the range lookup (or a downstream copy) should fail: {errs:?}"
            );
        }
    }

    /// Pick another remainder and solve for y in the field: y wraps modulo p and cannot be
    /// decomposed into in-range limbs.
    #[test]
    fn wrapped_quotient_is_rejected() {
        let (q, c, public) = toy_circuit(&[0.7, -1.2, 2.5]);
        let s = q.scale_bits;
        let r = block(&c, RESCALE);
        let acc = to_field(value(&c, Col::Advice(0), r));
        let rem2 = value(&c, Col::Range, r + 2) + 1;
        let y2 = (acc + fr_u128(1 << (s - 1)) - to_field(rem2)) * fr_u128(1 << s).invert().unwrap();
        // Whatever limbs the prover picks, y2 + 2^(2s) - sign·2^(2s) is far above 2^(2s).
        let bytes = y2.to_bytes();
        let low = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as i128;
        let t = vec![
            (Col::Advice(1), r, y2),
            (Col::Range, r, to_field(low & ((1 << s) - 1))),
            (Col::Range, r + 1, to_field((low >> s) & ((1 << s) - 1))),
            (Col::Range, r + 2, to_field(rem2)),
        ];
        // In-range limbs cannot compose the wrapped y: the requant gate's limb equation fails.
        assert_eq!(failed_checks(mock(&with(&c, t), &public)), ["gate 'requant'"]);
    }

    /// The toy model at scale 2^-8 with each limb split into `d` range cells of 8/d bits.
    fn split_circuit(d: usize) -> (ModelCircuit, Vec<Fr>) {
        let shape = super::super::layout::Shape { pointwise: true, wide: false, split: d };
        let (_, c, public) = super::super::tests::toy_circuit_shaped(4, shape, &[0.7, -1.2, 2.5]);
        assert_eq!(c.layout.range_bits, 8 / d as u32);
        (c, public)
    }

    /// `value` as `n` cells of `r` bits, lowest first, the last taking whatever is left (what an
    /// attacker writes when the value does not fit: the last cell leaves the table).
    fn chunks(value: i128, r: u32, n: usize) -> Vec<Fr> {
        let low = (0..n - 1).map(|i| to_field((value >> (r * i as u32)) & ((1 << r) - 1)));
        low.chain([to_field(value >> (r * (n as u32 - 1)))]).collect()
    }

    /// Split blocks (d = 2, 4) satisfy, and every cell of every rescaling block, moved by one,
    /// breaks the gate or the range lookup: the 3d range cells included.
    #[test]
    fn split_blocks_bind_every_cell() {
        for d in [2, 4] {
            let (c, public) = split_circuit(d);
            assert_eq!(mock(&c, &public), Ok(()), "split {d}");
            let blocks: Vec<usize> =
                c.layout.fixed.iter().filter(|(col, _, _)| *col == RESCALE).map(|(_, r, _)| *r).collect();
            assert!(blocks.len() >= 3, "{blocks:?}");
            for &r in &blocks {
                let mut cells = vec![(Col::Advice(0), r), (Col::Advice(1), r), (Col::Advice(2), r)];
                cells.extend((0..3 * d).map(|i| (Col::Range, r + i)));
                for (col, row) in cells {
                    let bad = to_field(value(&c, col, row)) + Fr::ONE;
                    assert!(mock(&with(&c, vec![(col, row, bad)]), &public).is_err(), "split {d}: {col:?}@{row}");
                }
            }
        }
    }

    /// At d = 2 and 4: y moved by ±1 with 2^s moved into or out of the remainder, re-split into
    /// r-bit cells as well as it goes. The equations hold; only the range lookup can refuse it.
    #[test]
    fn split_remainder_out_of_range_is_rejected() {
        for d in [2, 4] {
            let (c, public) = split_circuit(d);
            let (s, r) = (8u32, 8 / d as u32);
            for &b in c.layout.fixed.iter().filter(|(col, _, _)| *col == RESCALE).map(|(_, row, _)| row) {
                let y = value(&c, Col::Advice(1), b);
                let rem: i128 = (0..d).map(|i| value(&c, Col::Range, b + 2 * d + i) << (r * i as u32)).sum();
                for shift in [-1i128, 1] {
                    let (y2, rem2) = (y + shift, rem - shift * (1 << s));
                    let sign = (y2 >= 0) as i128;
                    let rest = y2 + (1 << (2 * s)) - sign * (1 << (2 * s));
                    let mut t = vec![(Col::Advice(1), b, to_field(y2)), (Col::Advice(2), b, to_field(sign))];
                    t.extend(chunks(rest, r, 2 * d).into_iter().enumerate().map(|(i, v)| (Col::Range, b + i, v)));
                    t.extend(chunks(rem2, r, d).into_iter().enumerate().map(|(i, v)| (Col::Range, b + 2 * d + i, v)));
                    if c.layout.fixed.iter().any(|(col, row, _)| *col == RELU && *row == b) {
                        t.push((Col::Advice(0), b + 1, to_field(y2 * sign)));
                    }
                    let checks = failed_checks(mock(&with(&c, t), &public));
                    assert!(checks.contains(&"lookup 'range'".to_string()), "split {d}, block {b}: {checks:?}");
                    assert!(checks.iter().all(|k| k == "lookup 'range'" || k == "permutation"), "{checks:?}");
                }
            }
        }
    }

    /// At d = 2: another in-range remainder and y solved for in the field wraps modulo p; limbs
    /// in range cannot compose it, so the range equation refuses it.
    #[test]
    fn split_wrapped_quotient_is_rejected() {
        let (c, public) = split_circuit(2);
        let (s, r) = (8u32, 4u32);
        let b = block(&c, RESCALE);
        let acc = to_field(value(&c, Col::Advice(0), b));
        let rem: i128 = (0..2).map(|i| value(&c, Col::Range, b + 4 + i) << (r * i as u32)).sum();
        let rem2 = if rem > 0 { rem - 1 } else { rem + 1 };
        let y2 = (acc + fr_u128(1 << (s - 1)) - to_field(rem2)) * fr_u128(1 << s).invert().unwrap();
        let low = u64::from_le_bytes(y2.to_bytes()[..8].try_into().unwrap()) as i128;
        let mut t = vec![(Col::Advice(1), b, y2)];
        t.extend((0..4).map(|i| (Col::Range, b + i, to_field((low >> (r * i as u32)) & 15))));
        t.extend((0..2).map(|i| (Col::Range, b + 4 + i, to_field((rem2 >> (r * i as u32)) & 15))));
        assert_eq!(failed_checks(mock(&with(&c, t), &public)), ["gate 'requant'"]);
    }

    /// A split the layout cannot hold is refused by name: d not dividing s, with the one-row
    /// requant, or with private weights (one s-bit limb per cell there).
    #[test]
    fn impossible_splits_are_refused() {
        let q = QuantModel::from_graph(&super::super::tests::toy_graph(), 8);
        let plan = |split, wide, privacy| {
            let shape = super::super::layout::Shape { pointwise: true, wide, split };
            Layout::plan(&q, 4, privacy, shape).map(|_| ()).map_err(|e| e.to_string())
        };
        let private = crate::circuit::privacy::Privacy {
            weights: crate::circuit::privacy::WeightsMode::Private,
            ..super::super::tests::clear()
        };
        assert!(plan(3, false, Default::default()).unwrap_err().contains("not a multiple"));
        assert!(plan(2, true, Default::default()).unwrap_err().contains("one-row requant"));
        assert!(plan(2, false, private).unwrap_err().contains("private or hashed"));
        assert_eq!(plan(1, true, Default::default()), Ok(()));
    }

    /// The EZKL-review trap: zero must not carry either sign. With offset binary, claiming
    /// "negative" for y = 0 needs a limb of 2^s, outside the table.
    #[test]
    fn zero_cannot_claim_negative_sign() {
        let graph = Graph {
            nodes: vec![
                Node { name: "x".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![1, 2] },
                Node { name: "relu".into(), op: Op::Relu, inputs: vec![0], shape: vec![1, 2] },
            ],
            inputs: vec![0],
            outputs: vec![1],
        };
        let q = QuantModel::from_graph(&graph, 8);
        let layout = Arc::new(Layout::plan(&q, 4, Default::default(), true).unwrap());
        let inputs = q.quantize_inputs(&[vec![0.0, 3.0]]).unwrap();
        let w = layout.witness(&q, &inputs).unwrap();
        let public: Vec<Fr> = layout.public_values(&w, &[]);
        let c = ModelCircuit::new(layout, Some(Arc::new(w)), vec![]);
        assert_eq!(mock(&c, &public), Ok(()));
        // The relu blocks (the inputs' own range-check blocks come first).
        let relu: Vec<usize> = c.layout.fixed.iter().filter(|(col, _, _)| *col == RELU).map(|(_, r, _)| *r).collect();
        let (r, r2) = (relu[0], relu[1]);
        assert_eq!(value(&c, Col::Advice(1), r), 0);
        let t = vec![(Col::Advice(2), r, Fr::ZERO), (Col::Range, r, Fr::ZERO), (Col::Range, r + 1, fr_u128(1 << 8))];
        let errs = mock(&with(&c, t), &public).unwrap_err();
        assert!(errs.iter().any(|e| format!("{e:?}").contains("Lookup")), "{errs:?}");
        // And a positive value claiming "negative" (so relu would output 0) fails the same way.
        assert_eq!(value(&c, Col::Advice(1), r2), 3 << 8);
        let rest = (3i128 << 8) + (1 << 16);
        let t = vec![
            (Col::Advice(2), r2, Fr::ZERO),
            (Col::Advice(0), r2 + 1, Fr::ZERO),
            (Col::Range, r2, to_field(rest & 0xff)),
            (Col::Range, r2 + 1, to_field(rest >> 8)),
        ];
        assert!(mock(&with(&c, t), &public.iter().take(2).copied().chain([Fr::ZERO, Fr::ZERO]).collect::<Vec<_>>())
            .is_err());
    }

    /// NonNeg exposes the sign as a value (2^s or 0) through a pointwise pair: flipping the
    /// output, or the sign together with the output, must fail (the sign is pinned by the limbs).
    #[test]
    fn nonneg_output_is_bound_to_the_sign() {
        let graph = Graph {
            nodes: vec![
                Node { name: "x".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![1, 3] },
                Node { name: "ge0".into(), op: Op::NonNeg, inputs: vec![0], shape: vec![1, 3] },
            ],
            inputs: vec![0],
            outputs: vec![1],
        };
        let q = QuantModel::from_graph(&graph, 8);
        let layout = Arc::new(Layout::plan(&q, 4, super::super::tests::clear(), true).unwrap());
        let inputs = q.quantize_inputs(&[vec![-0.5, 0.0, 0.7]]).unwrap();
        assert_eq!(q.eval(&inputs).unwrap()[1], vec![0, 256, 256]);
        let w = layout.witness(&q, &inputs).unwrap();
        let public: Vec<Fr> = layout.public_values(&w, &[]);
        let c = ModelCircuit::new(layout, Some(Arc::new(w)), vec![]);
        assert_eq!(mock(&c, &public), Ok(()));
        // The negative input: claim sign 1 and output 2^s, with the public output changed to match.
        let r = block(&c, RANGE);
        // The first element's sign and output are pair 0 (a0, a1) of the first pointwise row.
        let pw = c.layout.fixed.iter().find(|(col, _, _)| *col == super::super::pointwise::COEFF).unwrap().1;
        let mut forged = public.clone();
        forged[3] = fr_u128(256);
        let t = vec![(Col::Advice(2), r, Fr::ONE), (Col::Advice(0), pw, Fr::ONE), (Col::Advice(1), pw, fr_u128(256))];
        // The limbs still compose the negative input, so the limb equation fails with sign 1;
        // the tampered cells also no longer equal the cells they are copied from.
        assert_eq!(failed_checks(mock(&with(&c, t), &forged)), ["gate 'requant'", "permutation"]);
    }
}
