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

/// Rows of a block with a rescale (one fewer without); the gate reads up to `ROWS - 1` rows ahead of its own.
pub const ROWS: usize = 3;
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
    pub limbs: [Expression<Fr>; 2],
    pub rem: Expression<Fr>,
}

/// The block's equations at scale 2^s under selectors `[rescale, range, relu]`: shared by the
/// three-row block and `requant_wide`'s one-row block, which differ only in where cells sit.
pub(super) fn equations(s: u32, q: [Expression<Fr>; 3], c: Cells) -> Vec<Expression<Fr>> {
    let [q_rescale, q_range, q_relu] = q;
    let [limb0, limb1] = c.limbs;
    let one = Expression::Constant(Fr::one());
    vec![
        q_rescale * (c.acc + pow2(s - 1) - c.y.clone() * pow2(s) - c.rem),
        q_range.clone() * (c.y.clone() + pow2(2 * s) - c.sign.clone() * pow2(2 * s) - limb0 - limb1 * pow2(s)),
        q_range * c.sign.clone() * (one - c.sign.clone()),
        q_relu * (c.z - c.sign * c.y),
    ]
}

/// Creates the three selectors and the `requant` gate over `advice[0..3]` and the range column,
/// at scale 2^`scale_bits`.
pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &Shared) -> Box<dyn Gadget> {
    let (advice, range, s) = (&shared.advice, shared.range, shared.scale_bits);
    let cols = FixedColumns::new(meta, Kind::Requant, 3);
    meta.create_gate("requant", |m| {
        let q = [RESCALE, RANGE, RELU].map(|c| m.query_fixed(cols.get(c), Rotation::cur()));
        let [acc, y, sign] = [0, 1, 2].map(|i| m.query_advice(advice[i], Rotation::cur()));
        let z = m.query_advice(advice[0], Rotation::next());
        let limbs = [0, 1].map(|r| m.query_advice(range, Rotation(r)));
        let rem = m.query_advice(range, Rotation(2));
        equations(s, q, Cells { acc, y, sign, z, limbs, rem })
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
        return place(b, acc, input, relu, node, &super::requant_wide::PLACES);
    }
    place(b, acc, input, relu, node, &PLACES)
}

/// Where a block's cells sit (column, rows after the block's first), its selectors, and the
/// rows it takes with and without a rescale: the three-row block here, the one-row block of
/// `requant_wide`, both laid out by `place`.
pub(super) struct Places {
    pub acc: (Col, usize),
    pub y: (Col, usize),
    pub sign: (Col, usize),
    pub limbs: [(Col, usize); 2],
    pub rem: (Col, usize),
    pub z: (Col, usize),
    /// Rescale, range, relu.
    pub selectors: [FixedCol; 3],
    /// Rows with a rescale, and without (a bare range check leaves the remainder's row free).
    pub rows: [usize; 2],
}

const PLACES: Places = Places {
    acc: (Col::Advice(0), 0),
    y: (Col::Advice(1), 0),
    sign: (Col::Advice(2), 0),
    limbs: [(Col::Range, 0), (Col::Range, 1)],
    rem: (Col::Range, 2),
    z: (Col::Advice(0), 1),
    selectors: [RESCALE, RANGE, RELU],
    rows: [ROWS, ROWS - 1],
};

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
            let (c, r) = at(p.rem);
            b.place(c, r, rem);
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
        let limb = b.wire(WireDef::Limb { y, sign, index: index as u32 });
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
