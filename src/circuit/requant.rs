//! Requant gadget: rescale a product sum by 2^s, range-check the result, and optionally rectify.
//!
//! Block of three rows (r = the lookup-checked range column, every cell in [0, 2^s)):
//!
//! | row | a0  | a1 | a2   | a3 | r     |
//! |-----|-----|----|------|----|-------|
//! | 0   | acc | y  | sign | z  | limb0 |
//! | 1   |     |    |      |    | limb1 |
//! | 2   |     |    |      |    | rem   |
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

use super::layout::{Builder, Col, FixedCol, WireDef, WireId};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed};
use halo2_proofs::poly::Rotation;

pub const ROWS: usize = 3;
pub const MIN_LANES: usize = 3;

#[derive(Clone, Debug)]
pub struct RequantConfig {
    pub q_rescale: Column<Fixed>,
    pub q_range: Column<Fixed>,
    pub q_relu: Column<Fixed>,
}

fn pow2(bits: u32) -> Expression<Fr> {
    Expression::Constant(super::fr_u128(1u128 << bits))
}

impl RequantConfig {
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        advice: &[Column<Advice>],
        range: Column<Advice>,
        scale_bits: u32,
    ) -> Self {
        let s = scale_bits;
        let cfg = RequantConfig {
            q_rescale: meta.fixed_column(),
            q_range: meta.fixed_column(),
            q_relu: meta.fixed_column(),
        };
        meta.create_gate("requant", |m| {
            let q_rescale = m.query_fixed(cfg.q_rescale, Rotation::cur());
            let q_range = m.query_fixed(cfg.q_range, Rotation::cur());
            let q_relu = m.query_fixed(cfg.q_relu, Rotation::cur());
            let acc = m.query_advice(advice[0], Rotation::cur());
            let y = m.query_advice(advice[1], Rotation::cur());
            let sign = m.query_advice(advice[2], Rotation::cur());
            let z = m.query_advice(advice[3], Rotation::cur());
            let limb0 = m.query_advice(range, Rotation::cur());
            let limb1 = m.query_advice(range, Rotation::next());
            let rem = m.query_advice(range, Rotation(2));
            let one = Expression::Constant(Fr::one());
            vec![
                q_rescale * (acc + pow2(s - 1) - y.clone() * pow2(s) - rem),
                q_range.clone()
                    * (y.clone() + pow2(2 * s) - sign.clone() * pow2(2 * s) - limb0 - limb1 * pow2(s)),
                q_range * sign.clone() * (one - sign.clone()),
                q_relu * (z - sign * y),
            ]
        });
        cfg
    }
}

/// Lays out one requant block. `acc` given: rescale it; otherwise range-check (and rectify)
/// `input` as is. Returns the output wire (z when `relu`, else y).
pub(super) fn layout(
    b: &mut Builder,
    acc: Option<WireId>,
    input: Option<WireId>,
    relu: bool,
    node: usize,
) -> WireId {
    let row = b.row;
    let y = match (acc, input) {
        (Some(acc), _) => {
            b.place(Col::Advice(0), row, acc);
            let y = b.wire(WireDef::Quotient { acc });
            let rem = b.wire(WireDef::Remainder { acc });
            b.place(Col::Range, row + 2, rem);
            b.fix(FixedCol::Rescale, row, 1);
            y
        }
        (None, Some(input)) => input,
        (None, None) => unreachable!("requant needs an accumulator or an input"),
    };
    b.place(Col::Advice(1), row, y);
    let sign = b.wire(WireDef::Sign { y, node });
    b.place(Col::Advice(2), row, sign);
    for index in 0..2 {
        let limb = b.wire(WireDef::Limb { y, sign, index });
        b.place(Col::Range, row + index as usize, limb);
    }
    b.fix(FixedCol::RangeQ, row, 1);
    let out = if relu {
        let z = b.wire(WireDef::Relu { y, sign });
        b.place(Col::Advice(3), row, z);
        b.fix(FixedCol::Relu, row, 1);
        z
    } else {
        y
    };
    b.row += ROWS;
    out
}
