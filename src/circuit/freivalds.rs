//! Randomised product check (Freivalds): proves a whole product `Y = W·X` (W fixed coefficients
//! or private weight wires, C×K; X gathered activations, K×P; the bias as a row of ones) in
//! O((C + K)·P + C·K) cells instead of a row per multiply.
//!
//! Every wire (Y and X included) is committed in the first phase; two challenges r, s are drawn
//! after it, and the second-phase columns check
//!
//! ```text
//! Σ_c r^(C-1-c) Σ_p s^(P-1-p) Y[c][p]  =  Σ_i V[i]·Z[i],
//!     V[i] = Σ_c r^(C-1-c) W[c][i],   Z[i] = Σ_p s^(P-1-p) X[i][p].
//! ```
//!
//! The difference of the two sides is the polynomial `Σ r^(C-1-c) s^(P-1-p) D[c][p]` in (r, s),
//! D = Y − W·X fixed before r and s exist: a wrong Y makes it nonzero, and a nonzero polynomial of
//! degree C + P − 2 vanishes at random (r, s) with probability at most (C + P)/|F| < 2^-230.
//!
//! Second-phase columns: `L0`, `L1` (operands copied in), `L2` (the accumulator, each cell's
//! home). One gate, five selectors, each with its own shape:
//!
//! | selector  | L2 =                                         | reads              |
//! |-----------|----------------------------------------------|--------------------|
//! | WIRES_R/S | chain·ρ^n·L2_prev + Σ_l ρ^(n-1-l)·lane_l      | lanes (first phase)|
//! | COEFFS    | chain·r^m·L2_prev + Σ_l r^(m-1-l)·coeff_l     | own fixed columns  |
//! | DOT       | chain·L2_prev + L0·L1                         | L0, L1             |
//! | STEP      | chain·r·L2_prev + L0                          | L0                 |
//!
//! (n = lanes, m = coefficient lanes.) Every term is multiplied by its selector, so a row where
//! the selector is off constrains nothing; on a row where it is on, every cell it reads is
//! placed: short Horner rows are padded at the front with the zero wire (a leading zero adds
//! nothing whatever its power) or zero coefficients, and `chain` is set only on rows that
//! continue a chain. The two sides' final cells are copy-constrained equal.

use super::builder::{Builder, Col, WireDef, WireId};
use super::gadget::{FixedCol, Gadget, Kind, Shared};
use halo2_proofs::circuit::{Cell, Layouter, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{
    Advice, Challenge, Column, ConstraintSystem, Error as PlonkError, Expression, FirstPhase, Fixed, SecondPhase,
};
use halo2_proofs::poly::Rotation;
use serde::{Deserialize, Serialize};

/// Horner rows over the lanes with challenge r.
pub const WIRES_R: FixedCol = FixedCol::new(Kind::Freivalds, 0);
/// Horner rows over the lanes with challenge s.
pub const WIRES_S: FixedCol = FixedCol::new(Kind::Freivalds, 1);
/// Horner rows over the coefficient columns with challenge r.
pub const COEFFS: FixedCol = FixedCol::new(Kind::Freivalds, 2);
/// Dot-product rows over L0·L1.
pub const DOT: FixedCol = FixedCol::new(Kind::Freivalds, 3);
/// Horner rows over L0, one term a row, with challenge r.
pub const STEP: FixedCol = FixedCol::new(Kind::Freivalds, 4);
/// Set on every row that continues a chain (adds the previous row's accumulator).
pub const CHAIN: FixedCol = FixedCol::new(Kind::Freivalds, 5);

/// Coefficient lane `l` (fixed weights, `coeff_lanes` per row).
pub const fn coeff(l: usize) -> FixedCol {
    FixedCol::new(Kind::Freivalds, 6 + l)
}

/// Fixed coefficients per Horner row: as many as the lanes, at most 8 (each is a fixed column
/// the verifier opens).
pub fn coeff_lanes(lanes: usize) -> usize {
    lanes.min(8)
}

/// Index of a second-phase cell's value (`Late::defs`).
pub type LateId = usize;

/// How a second-phase value follows from wires, fixed coefficients, challenges and earlier
/// second-phase values.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum LateDef {
    /// `prev·ρ^n + Σ_l ρ^(n-1-l)·wire_l`, n = lanes.
    Wires {
        /// ρ: 0 for r, 1 for s.
        challenge: usize,
        /// The row's lane wires, the zero wire padding a short row at the front.
        lanes: Vec<WireId>,
        /// The previous row's accumulator when the row continues a chain.
        prev: Option<LateId>,
    },
    /// `prev·r^m + Σ_l r^(m-1-l)·coeff_l`, m = coefficient lanes.
    Coeffs {
        /// The row's coefficients (fixed cells), zeros padding a short row at the front.
        coeffs: Vec<i128>,
        /// The previous row's accumulator when the row continues a chain.
        prev: Option<LateId>,
    },
    /// `prev + a·b`.
    Dot {
        /// The value copied into L0.
        a: LateId,
        /// The value copied into L1.
        b: LateId,
        /// The previous row's accumulator when the row continues a chain.
        prev: Option<LateId>,
    },
    /// `prev·r + x`.
    Step {
        /// The value copied into L0.
        x: LateId,
        /// The previous row's accumulator when the row continues a chain.
        prev: Option<LateId>,
    },
}

/// The second-phase part of a layout: values, where they sit, and which must be equal.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Late {
    /// Every second-phase value, each naming only earlier ones.
    pub defs: Vec<LateDef>,
    /// Placements `(column 0–2, row, value)`: the first of a value is its home, later ones copies.
    pub cells: Vec<(usize, usize, LateId)>,
    /// The two sides of each check: copy-constrained equal.
    pub equal: Vec<(LateId, LateId)>,
}

impl Late {
    /// Every second-phase value of a witness at challenges (r, s).
    pub fn values(&self, w: &[i128], r: Fr, s: Fr) -> Vec<Fr> {
        let f = super::to_field;
        let mut v: Vec<Fr> = Vec::with_capacity(self.defs.len());
        let horner =
            |start: Fr, rho: Fr, terms: &mut dyn Iterator<Item = Fr>| terms.fold(start, |acc, t| acc * rho + t);
        for def in &self.defs {
            let x = match def {
                LateDef::Wires { challenge, lanes, prev } => {
                    let rho = if *challenge == 0 { r } else { s };
                    horner(prev.map_or(Fr::zero(), |p| v[p]), rho, &mut lanes.iter().map(|&x| f(w[x])))
                }
                LateDef::Coeffs { coeffs, prev } => {
                    horner(prev.map_or(Fr::zero(), |p| v[p]), r, &mut coeffs.iter().map(|&c| f(c)))
                }
                LateDef::Dot { a, b, prev } => prev.map_or(Fr::zero(), |p| v[p]) + v[*a] * v[*b],
                LateDef::Step { x, prev } => prev.map_or(Fr::zero(), |p| v[p]) * r + v[*x],
            };
            v.push(x);
        }
        v
    }
}

/// W of a product: fixed coefficients (in the verifying key) or private weight wires.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Weights {
    /// Row-major C×K coefficients.
    Fixed(Vec<i128>),
    /// Row-major C×K weight wires.
    Wires(Vec<WireId>),
}

/// One product `Y = W·X` as the witness computes it (`WireDef::Claimed`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Product {
    /// Rows of W and Y (output channels).
    pub c: usize,
    /// Columns of W, rows of X (the contracted axis, bias row included).
    pub k: usize,
    /// Columns of X and Y (positions).
    pub p: usize,
    /// W, C×K.
    pub weights: Weights,
    /// X, K×P row-major: each entry a wire (padding is the zero wire, the bias row the one wire).
    pub x: Vec<WireId>,
}

impl Product {
    /// `Y[c][p]` from the wire values.
    pub fn entry(&self, v: &[i128], c: usize, p: usize) -> i128 {
        let x = |i: usize| v[self.x[i * self.p + p]];
        match &self.weights {
            Weights::Fixed(w) => (0..self.k).map(|i| w[c * self.k + i] * x(i)).sum(),
            Weights::Wires(w) => (0..self.k).map(|i| v[w[c * self.k + i]] * x(i)).sum(),
        }
    }
}

/// Rows `layout` takes for a product of this shape over `lanes` lanes.
pub fn rows(c: usize, k: usize, p: usize, lanes: usize, fixed: bool) -> usize {
    let per_w = if fixed { coeff_lanes(lanes) } else { lanes };
    (k + c) * p.div_ceil(lanes) + k * c.div_ceil(per_w) + c + k
}

/// The gadget's columns: its fixed columns, the three second-phase columns and the challenges.
#[derive(Clone, Debug)]
pub struct FreivaldsConfig {
    fixed: Vec<Column<Fixed>>,
    /// L0, L1, L2.
    pub late: [Column<Advice>; 3],
    /// r, s: drawn after every first-phase column is committed.
    pub challenges: [Challenge; 2],
}

impl Gadget for FreivaldsConfig {
    fn fixed(&self) -> &[Column<Fixed>] {
        &self.fixed
    }
    fn second_phase(&self) -> Option<&FreivaldsConfig> {
        Some(self)
    }
}

/// Its `gadget::REGISTRY` entry: the fixed columns, the second-phase columns, two challenges
/// and the `freivalds` gate (see the module's table).
pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &Shared) -> Box<dyn Gadget> {
    let lanes = shared.advice.len() - 1;
    let m = coeff_lanes(lanes);
    let fixed: Vec<Column<Fixed>> = (0..6 + m).map(|_| meta.fixed_column()).collect();
    let late = [(); 3].map(|_| meta.advice_column_in(SecondPhase));
    for c in late {
        meta.enable_equality(c);
    }
    let challenges = [(); 2].map(|_| meta.challenge_usable_after(FirstPhase));
    let lane_cols = shared.advice[..lanes].to_vec();
    meta.create_gate("freivalds", |q| {
        let fx: Vec<Expression<Fr>> = fixed.iter().map(|&c| q.query_fixed(c, Rotation::cur())).collect();
        let f = |col: FixedCol| fx[col.index].clone();
        let [l0, l1, acc] = late.map(|c| q.query_advice(c, Rotation::cur()));
        let prev = f(CHAIN) * q.query_advice(late[2], Rotation::prev());
        let [r, s] = challenges.map(|c| q.query_challenge(c));
        let lane_terms: Vec<Expression<Fr>> = lane_cols.iter().map(|&a| q.query_advice(a, Rotation::cur())).collect();
        let coeffs: Vec<Expression<Fr>> = (0..m).map(|l| f(coeff(l))).collect();
        // Horner: ((prev·ρ + t_0)·ρ + t_1)… = prev·ρ^n + Σ ρ^(n-1-l)·t_l.
        let horner = |rho: &Expression<Fr>, terms: &[Expression<Fr>]| {
            terms.iter().fold(prev.clone(), |e, t| e * rho.clone() + t.clone())
        };
        vec![
            f(WIRES_R) * (acc.clone() - horner(&r, &lane_terms)),
            f(WIRES_S) * (acc.clone() - horner(&s, &lane_terms)),
            f(COEFFS) * (acc.clone() - horner(&r, &coeffs)),
            f(DOT) * (acc.clone() - prev.clone() - l0.clone() * l1),
            f(STEP) * (acc - horner(&r, &[l0])),
        ]
    });
    Box::new(FreivaldsConfig { fixed, late, challenges })
}

/// A chain of Horner rows over the wires `seq` with challenge `challenge` (0: r, 1: s), padded
/// at the front with `zero`; returns the final accumulator.
fn horner(b: &mut Builder, challenge: usize, seq: &[WireId], zero: WireId) -> LateId {
    let n = b.lanes;
    let pad = (n - seq.len() % n) % n;
    let padded: Vec<WireId> = std::iter::repeat_n(zero, pad).chain(seq.iter().copied()).collect();
    let mut prev = None;
    for chunk in padded.chunks(n) {
        let row = b.row;
        for (l, &w) in chunk.iter().enumerate() {
            b.place(Col::Advice(l), row, w);
        }
        let id = late(b, LateDef::Wires { challenge, lanes: chunk.to_vec(), prev }, row);
        b.fix(if challenge == 0 { WIRES_R } else { WIRES_S }, row, 1);
        b.fix(CHAIN, row, prev.is_some() as i128);
        prev = Some(id);
        b.row += 1;
    }
    prev.expect("a chain has a row")
}

/// As `horner` over fixed coefficients with challenge r.
fn horner_coeffs(b: &mut Builder, seq: &[i128]) -> LateId {
    let m = coeff_lanes(b.lanes);
    let pad = (m - seq.len() % m) % m;
    let padded: Vec<i128> = std::iter::repeat_n(0, pad).chain(seq.iter().copied()).collect();
    let mut prev = None;
    for chunk in padded.chunks(m) {
        let row = b.row;
        for (l, &c) in chunk.iter().enumerate() {
            b.fix(coeff(l), row, c);
        }
        let id = late(b, LateDef::Coeffs { coeffs: chunk.to_vec(), prev }, row);
        b.fix(COEFFS, row, 1);
        b.fix(CHAIN, row, prev.is_some() as i128);
        prev = Some(id);
        b.row += 1;
    }
    prev.expect("a chain has a row")
}

/// A new second-phase value, its home the accumulator cell of `row`.
fn late(b: &mut Builder, def: LateDef, row: usize) -> LateId {
    b.late.defs.push(def);
    let id = b.late.defs.len() - 1;
    b.late.cells.push((2, row, id));
    id
}

/// Lays out the check of `product` (its Y wires are created here, `Y[c][p]` at `c·P + p`) and
/// returns them; the caller rescales each.
pub(super) fn layout(b: &mut Builder, product: Product) -> Vec<WireId> {
    let (c_n, k_n, p_n) = (product.c, product.k, product.p);
    let check = b.products.len();
    let y: Vec<WireId> = (0..c_n * p_n).map(|j| b.wire(WireDef::Claimed { check, c: j / p_n, p: j % p_n })).collect();
    let zero = super::linear::constant(b, 0);
    // Z[i] and T[c]: each row of X and of Y folded over the positions with s.
    let z: Vec<LateId> = (0..k_n).map(|i| horner(b, 1, &product.x[i * p_n..(i + 1) * p_n], zero)).collect();
    let t: Vec<LateId> = (0..c_n).map(|c| horner(b, 1, &y[c * p_n..(c + 1) * p_n], zero)).collect();
    // V[i]: each column of W folded over the channels with r.
    let v: Vec<LateId> = (0..k_n)
        .map(|i| match &product.weights {
            Weights::Fixed(w) => horner_coeffs(b, &(0..c_n).map(|c| w[c * k_n + i]).collect::<Vec<_>>()),
            Weights::Wires(w) => horner(b, 0, &(0..c_n).map(|c| w[c * k_n + i]).collect::<Vec<_>>(), zero),
        })
        .collect();
    // Left: the T[c] folded with r, one a row.
    let mut lhs = None;
    for (c, &tc) in t.iter().enumerate() {
        let row = b.row;
        b.late.cells.push((0, row, tc));
        lhs = Some(late(b, LateDef::Step { x: tc, prev: lhs }, row));
        b.fix(STEP, row, 1);
        b.fix(CHAIN, row, (c > 0) as i128);
        b.row += 1;
    }
    // Right: Σ V[i]·Z[i], one pair a row.
    let mut rhs = None;
    for (i, (&vi, &zi)) in v.iter().zip(&z).enumerate() {
        let row = b.row;
        b.late.cells.push((0, row, vi));
        b.late.cells.push((1, row, zi));
        rhs = Some(late(b, LateDef::Dot { a: vi, b: zi, prev: rhs }, row));
        b.fix(DOT, row, 1);
        b.fix(CHAIN, row, (i > 0) as i128);
        b.row += 1;
    }
    b.late.equal.push((lhs.expect("C ≥ 1"), rhs.expect("K ≥ 1")));
    b.products.push(product);
    y
}

/// Assigns the second phase once every first-phase cell is: moves the prover to the next phase
/// (committing the first, drawing r and s), then places each check's cells, copies and the
/// equality of its two sides. `tamper` overrides `Col::Late` cells, empty ones included (the
/// forgery tests).
pub(super) fn assign(
    cfg: &FreivaldsConfig,
    late: &Late,
    witness: Option<&[i128]>,
    tamper: &[(Col, usize, Fr)],
    layouter: &mut impl Layouter<Fr>,
) -> Result<(), PlonkError> {
    layouter.next_phase();
    let mut challenges = None;
    let _ = layouter.get_challenge(cfg.challenges[0]).zip(layouter.get_challenge(cfg.challenges[1])).map(|rs| {
        challenges = Some(rs);
    });
    let values = witness.zip(challenges).map(|(w, (r, s))| late.values(w, r, s));
    layouter.assign_region(
        || "product checks",
        |mut region| {
            let mut home: Vec<Option<Cell>> = vec![None; late.defs.len()];
            for &(col, row, id) in &late.cells {
                let mut value = values.as_ref().map_or(Value::unknown(), |v| Value::known(v[id]));
                if let Some(&(_, _, v)) = tamper.iter().find(|(c, r, _)| *c == Col::Late(col) && *r == row) {
                    value = Value::known(v);
                }
                let cell = region.assign_advice(cfg.late[col], row, value).cell();
                match home[id] {
                    Some(h) => region.constrain_equal(h, cell),
                    None => home[id] = Some(cell),
                }
            }
            let placed: std::collections::HashSet<(usize, usize)> =
                late.cells.iter().map(|&(c, r, _)| (c, r)).collect();
            for &(col, row, v) in tamper {
                if let Col::Late(i) = col {
                    if !placed.contains(&(i, row)) {
                        region.assign_advice(cfg.late[i], row, Value::known(v));
                    }
                }
            }
            for &(a, b) in &late.equal {
                region.constrain_equal(home[a].expect("placed"), home[b].expect("placed"));
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::layout::{Col, Layout};
    use super::super::tests::{failed_checks, mock};
    use super::super::{to_field, ModelCircuit};
    use crate::circuit::privacy::{Privacy, WeightsMode};
    use crate::graph::{Graph, Node, Op};
    use crate::quant::QuantModel;
    use halo2_proofs::halo2curves::bn256::Fr;
    use std::sync::Arc;

    /// Eight rows of six through a 6→5 dense layer, a relu and a 5→3 one: each product is
    /// checked at random challenges rather than laid out multiply by multiply.
    fn circuit(lanes: usize, weights: WeightsMode) -> (QuantModel, ModelCircuit, Vec<Fr>, Vec<Vec<i128>>) {
        let w = |n: usize, seed: usize| (0..n).map(|i| ((i * 7 + seed) % 11) as f32 / 8.0 - 0.6).collect::<Vec<_>>();
        let node =
            |name: &str, op, inputs: Vec<usize>, shape: Vec<usize>| Node { name: name.into(), op, inputs, shape };
        let graph = Graph {
            nodes: vec![
                node("x", Op::Input { index: 0 }, vec![], vec![8, 6]),
                node("fc1", Op::Dense { k: 6, n: 5, weight: w(30, 1), bias: w(5, 2) }, vec![0], vec![8, 5]),
                node("relu", Op::Relu, vec![1], vec![8, 5]),
                node("fc2", Op::Dense { k: 5, n: 3, weight: w(15, 3), bias: w(3, 4) }, vec![2], vec![8, 3]),
            ],
            inputs: vec![0],
            outputs: vec![3],
        };
        let q = QuantModel::from_graph(&graph, 8);
        let privacy = Privacy { weights, ..Default::default() };
        let layout = Arc::new(Layout::plan(&q, lanes, privacy, true).unwrap());
        assert!(!layout.products.is_empty(), "the first product is checked at lanes {lanes}");
        let x: Vec<f32> = (0..48).map(|i| ((i * 5) % 13) as f32 / 6.0 - 1.0).collect();
        let inputs = q.quantize_inputs(&[x]).unwrap();
        let witness = layout.witness(&q, &inputs).unwrap();
        let public = layout.public_values(&witness, &[]);
        (q, ModelCircuit::new(layout, Some(Arc::new(witness)), vec![]), public, inputs)
    }

    #[test]
    fn products_satisfy_and_match_the_oracle() {
        for weights in [WeightsMode::Fixed, WeightsMode::Private] {
            for lanes in [2, 3, 4, 8] {
                let (q, c, public, inputs) = circuit(lanes, weights);
                assert_eq!(mock(&c, &public), Ok(()), "lanes {lanes} {weights:?}");
                let oracle = q.eval(&inputs).unwrap();
                let w = c.witness.as_ref().unwrap();
                let got: Vec<i128> = c.layout.node_wires[3].iter().map(|&x| w[x]).collect();
                assert_eq!(got, oracle[3], "lanes {lanes}");
            }
        }
    }

    /// A claimed product entry moved by one, everything after it recomputed from the moved value
    /// (as a cheating prover would): every gate holds, and only the check's two sides differ.
    #[test]
    fn a_wrong_product_entry_is_caught_by_the_check() {
        for weights in [WeightsMode::Fixed, WeightsMode::Private] {
            let (q, c, _, inputs) = circuit(4, weights);
            let y = (0..c.layout.wires.len())
                .filter(|&i| matches!(c.layout.wires[i], super::super::layout::WireDef::Claimed { .. }))
                .nth(7)
                .unwrap();
            let honest = c.witness.as_ref().unwrap()[y];
            let forged = c.layout.witness_forced(&q, &inputs, &[(y, honest + 1)]).unwrap();
            let public = c.layout.public_values(&forged, &[]);
            let t = ModelCircuit::new(c.layout.clone(), Some(Arc::new(forged)), vec![]);
            assert_eq!(failed_checks(mock(&t, &public)), ["permutation"], "{weights:?}");
        }
    }

    /// Every first-phase lane and every second-phase cell on a check row, moved by one, breaks
    /// a gate or a copy.
    #[test]
    fn every_cell_of_a_check_row_is_constrained() {
        let (_, c, public, _) = circuit(3, WeightsMode::Fixed);
        let w = c.witness.as_ref().unwrap();
        let rows: std::collections::HashSet<usize> = c.layout.late.cells.iter().map(|&(_, r, _)| r).collect();
        let mut checked = 0;
        for &(col, row, wire) in &c.layout.advice {
            if rows.contains(&row) && matches!(col, Col::Advice(_)) {
                let t = ModelCircuit { tamper: vec![(col, row, to_field(w[wire]) + Fr::one())], ..c.clone() };
                assert!(mock(&t, &public).is_err(), "{col:?}@{row} unconstrained");
                checked += 1;
            }
        }
        for &(col, row, _) in &c.layout.late.cells {
            let t = ModelCircuit { tamper: vec![(Col::Late(col), row, Fr::from(12345))], ..c.clone() };
            assert!(mock(&t, &public).is_err(), "late {col}@{row} unconstrained");
            checked += 1;
        }
        assert!(checked > 100, "{checked}");
    }
}
