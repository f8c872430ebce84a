//! Packing gadget: many small signed integers (the quantised weights) into few field elements,
//! so the weights commitment absorbs ~10 weights per message instead of one; and, whether or not
//! the messages are hashed, the range check of every private weight.
//!
//! Each weight q, offset to u = q + 2^(3s−1), is split into three s-bit limbs, each looked up in
//! the circuit's range table [0, 2^s): that bounds u to [0, 2^(3s)), so q to ±2^(3s−1) — room for
//! a weight (held at 2^-s) up to 2^(2s-1) and a bias (held at 2^-2s) up to 2^(s-1). A message is
//! `Σ u_i·2^(3s·(m−1−i))` over m = ⌊252 / 3s⌋ weights (Horner), below 2^252 < p, so distinct
//! weight lists give distinct messages.
//!
//! | row    | w | limb | acc                                              | gate   |
//! |--------|---|------|--------------------------------------------------|--------|
//! | 0      |   |      | 0                                                |        |
//! | 3i+1   | q | l0   | chain·acc\[3i\]·2^(3s) + l0 + l1·2^s + l2·2^(2s)    | `pack` |
//! | 3i+2   |   | l1   | acc[3i+1]                                        | `carry`|
//! | 3i+3   |   | l2   | acc[3i+2]                                        | `carry`|
//!
//! `pack`: q + 2^(3s−1) = l0 + l1·2^s + l2·2^(2s), and the accumulator step (chain = 0 at each
//! message's first weight). `carry`: the accumulator repeats on the limb rows, so every step reads
//! only the previous row. Without the limb lookups, any l0 would do: another limb solved in the
//! field satisfies the gate (the review's unchecked-decomposition trap; a test below).

use super::fr_u128;
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error as PlonkError, Expression, Fixed, TableColumn};
use halo2_proofs::poly::Rotation;

/// The packing gadget's columns, apart from the model's (`Col::Pack` 0–2 name `w`, `limb`, `acc`).
#[derive(Clone, Debug)]
pub struct PackConfig {
    /// The weight q on its first row; copy-enabled, as it is copied from the weight's home cell.
    pub w: Column<Advice>,
    /// The limbs l0, l1, l2 on a weight's three rows, each looked up in the range table [0, 2^s).
    pub limb: Column<Advice>,
    /// The message's Horner accumulator; copy-enabled, as a message's last cell is copied into the sponge.
    pub acc: Column<Advice>,
    /// Selector of a weight's first row: the limb decomposition and the accumulator step.
    pub q_pack: Column<Fixed>,
    /// Selector of a weight's other limb rows: the accumulator repeats.
    pub q_carry: Column<Fixed>,
    /// 1 when the weight continues the previous weight's message, 0 at each message's first weight.
    pub chain: Column<Fixed>,
    /// s: each limb holds s bits, so a weight is bounded to ±2^(3s−1).
    pub scale_bits: u32,
}

/// Limbs (and rows) per weight.
pub const LIMBS: u32 = 3;

/// Weights per message at scale 2^s.
pub fn per_message(scale_bits: u32) -> usize {
    (252 / (LIMBS * scale_bits)) as usize
}

/// Rows for n weights.
pub fn rows_for(n: usize) -> usize {
    LIMBS as usize * n + 1
}

/// Whether q fits `LIMBS` s-bit limbs after the offset.
pub fn fits(q: i128, scale_bits: u32) -> bool {
    let half = 1i128 << (LIMBS * scale_bits - 1);
    (-half..half).contains(&q)
}

fn offset(q: i128, s: u32) -> u128 {
    (q + (1i128 << (LIMBS * s - 1))) as u128
}

/// The messages the weights commitment absorbs.
pub fn pack(weights: &[i128], scale_bits: u32) -> Vec<Fr> {
    let shift = fr_u128(1u128 << (LIMBS * scale_bits));
    weights
        .chunks(per_message(scale_bits))
        .map(|chunk| chunk.iter().fold(Fr::zero(), |acc, &q| acc * shift + fr_u128(offset(q, scale_bits))))
        .collect()
}

fn pow2(bits: u32) -> Expression<Fr> {
    Expression::Constant(fr_u128(1u128 << bits))
}

impl PackConfig {
    /// Creates the columns, the `weight limbs` lookup into `table` (the range table, [0, 2^s)) and
    /// the `pack` gate.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, table: TableColumn, scale_bits: u32) -> Self {
        let s = scale_bits;
        let cfg = PackConfig {
            w: meta.advice_column(),
            limb: meta.advice_column(),
            acc: meta.advice_column(),
            q_pack: meta.fixed_column(),
            q_carry: meta.fixed_column(),
            chain: meta.fixed_column(),
            scale_bits,
        };
        meta.enable_equality(cfg.w);
        meta.enable_equality(cfg.acc);
        meta.lookup("weight limbs", |m| vec![(m.query_advice(cfg.limb, Rotation::cur()), table)]);
        meta.create_gate("pack", |m| {
            let q_pack = m.query_fixed(cfg.q_pack, Rotation::cur());
            let q_carry = m.query_fixed(cfg.q_carry, Rotation::cur());
            let chain = m.query_fixed(cfg.chain, Rotation::cur());
            let w = m.query_advice(cfg.w, Rotation::cur());
            let limbs: Vec<Expression<Fr>> =
                (0..LIMBS).map(|i| m.query_advice(cfg.limb, Rotation(i as i32)) * pow2(i * s)).collect();
            let u = limbs.into_iter().reduce(|u, l| u + l).expect("at least one limb");
            let acc = m.query_advice(cfg.acc, Rotation::cur());
            let prev = m.query_advice(cfg.acc, Rotation::prev());
            vec![
                q_pack.clone() * (w + pow2(LIMBS * s - 1) - u.clone()),
                q_pack * (acc.clone() - chain * prev.clone() * pow2(LIMBS * s) - u),
                q_carry * (acc - prev),
            ]
        });
        cfg
    }

    /// Lays out the weights from row `start`; returns each weight's cell (to copy to its home)
    /// and each message's cell (to copy into the sponge). `tamper`: (column 0 w / 1 limb / 2
    /// acc, row relative to `start`, value) for negative tests.
    pub fn assign(
        &self,
        region: &mut Region<'_, Fr>,
        start: usize,
        weights: &[Value<i128>],
        tamper: &[(usize, usize, Fr)],
    ) -> Result<(Vec<Cell>, Vec<Cell>), PlonkError> {
        let s = self.scale_bits;
        let per = per_message(s);
        let shift = fr_u128(1u128 << (LIMBS * s));
        let put = |region: &mut Region<'_, Fr>, col: usize, row: usize, v: Value<Fr>| -> Cell {
            let v = tamper.iter().find(|t| t.0 == col && t.1 == row - start).map_or(v, |t| Value::known(t.2));
            let column = [self.w, self.limb, self.acc][col];
            region.assign_advice(column, row, v).cell()
        };
        let (mut cells, mut messages) = (vec![], vec![]);
        let mut acc = Value::known(Fr::zero());
        // A zero before the first weight, so no gate reads a cell outside the gadget.
        put(region, 2, start, acc);
        let rows = LIMBS as usize;
        for (i, q) in weights.iter().enumerate() {
            let row = start + 1 + rows * i;
            let first = i % per == 0;
            region.assign_fixed(self.q_pack, row, Fr::one());
            if !first {
                region.assign_fixed(self.chain, row, Fr::one());
            }
            let u = q.map(|q| offset(q, s));
            let mask = (1u128 << s) - 1;
            cells.push(put(region, 0, row, q.map(super::to_field)));
            for l in 0..rows {
                put(region, 1, row + l, u.map(|u| fr_u128((u >> (l as u32 * s)) & mask)));
            }
            acc = if first { u.map(fr_u128) } else { acc.zip(u).map(|(a, u)| a * shift + fr_u128(u)) };
            put(region, 2, row, acc);
            let mut carried = None;
            for l in 1..rows {
                region.assign_fixed(self.q_carry, row + l, Fr::one());
                carried = Some(put(region, 2, row + l, acc));
            }
            if i % per == per - 1 || i + 1 == weights.len() {
                messages.push(carried.expect("more than one limb"));
            }
        }
        Ok((cells, messages))
    }
}

#[cfg(test)]
mod tests {
    use super::super::layout::{Col, Layout};
    use super::super::privacy::{Privacy, WeightsMode};
    use super::super::tests::toy_graph;
    use super::super::ModelCircuit;
    use super::*;
    use crate::quant::QuantModel;
    use halo2_proofs::dev::{MockProver, VerifyFailure};
    use halo2_proofs::halo2curves::ff::Field;
    use std::sync::Arc;

    /// The toy model with hashed weights, packed (it has too few weights to pack by itself).
    fn packed() -> (ModelCircuit, Vec<Fr>, u32) {
        // Scale 2^9: 9 weights to a message, so the toy model's 15 make two.
        let q = QuantModel::from_graph(&toy_graph(), 9);
        let privacy = Privacy { weights: WeightsMode::Hashed, ..Default::default() };
        let mut layout = Layout::plan(&q, 4, privacy, true).unwrap();
        let last = layout.commitments.len() - 1;
        layout.commitments[last].packed = Some(9);
        let w = layout.witness(&q, &q.quantize_inputs(&[vec![0.7, -1.2, 2.5]]).unwrap()).unwrap();
        let public = layout.public_values(&w, &[]);
        (ModelCircuit::new(Arc::new(layout), Some(Arc::new(w)), vec![]), public, 9)
    }

    fn mock(c: &ModelCircuit, public: &[Fr]) -> Result<(), Vec<VerifyFailure>> {
        MockProver::run(12, c, vec![public.to_vec()]).unwrap().verify()
    }

    #[test]
    fn packs_two_messages_and_matches_the_native_commitment() {
        let (c, public, s) = packed();
        assert_eq!(mock(&c, &public), Ok(()));
        let n = c.layout.weights.len();
        assert!(n > per_message(s), "the toy model needs two messages: {n} weights");
        let values: Vec<i128> = c.layout.weights.iter().map(|&w| c.witness.as_ref().unwrap()[w]).collect();
        assert_eq!(pack(&values, s).len(), n.div_ceil(per_message(s)));
    }

    #[test]
    fn every_pack_cell_is_constrained() {
        let (c, public, _) = packed();
        let n = c.layout.weights.len();
        // Row 0's zero is read only under chain = 0, so it is free; every other cell bites.
        for row in 1..=LIMBS as usize * n {
            let cols: &[usize] = if (row - 1) % LIMBS as usize == 0 { &[0, 1, 2] } else { &[1, 2] };
            for &col in cols {
                let t = ModelCircuit { tamper: vec![(Col::Pack(col), row, Fr::from(987654321u64))], ..c.clone() };
                assert!(mock(&t, &public).is_err(), "pack column {col} row {row} unconstrained");
            }
        }
    }

    /// The review's trap: with lo moved by one, hi = (u − lo)/2^s in the field keeps the gate
    /// satisfied; only the limb lookup can refuse it.
    #[test]
    fn wrapped_limb_is_caught_by_the_lookup_only() {
        let (c, public, s) = packed();
        let w = c.witness.as_ref().unwrap();
        let q = w[c.layout.weights[2]];
        let (u, mask) = (offset(q, s), (1u128 << s) - 1);
        let top = fr_u128((u >> (2 * s)) << (2 * s));
        let lo = fr_u128(u & mask) + Fr::ONE;
        let mid = (fr_u128(u) - top - lo) * fr_u128(1 << s).invert().unwrap();
        let row = 1 + LIMBS as usize * 2;
        let t = ModelCircuit { tamper: vec![(Col::Pack(1), row, lo), (Col::Pack(1), row + 1, mid)], ..c.clone() };
        let errs = mock(&t, &public).unwrap_err();
        assert!(errs.iter().all(|e| format!("{e:?}").contains("Lookup")), "{errs:?}");
    }
}
