//! The SHPLONK multi-open phase. Which commitment is opened at which rotations is known from the
//! verifying key, so the rotation sets, their order and each set's Lagrange denominators are
//! resolved here; the contract only combines the proof's evaluations with the challenges.

use super::domain::AtX;
use super::key::KeyData;
use super::plan::Plan;
use super::yul::{Emitter, S};
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::VerifyingKey;
use std::collections::BTreeSet;

/// A base point of the final multi-scalar multiplication.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Base {
    /// A point read from the proof, stored at this memory address.
    Proof(usize),
    /// A point of the SRS (the generator): a constant of the verifier whatever its key placement.
    Const(G1Affine),
    /// A fixed or σ commitment of the verifying key, and its x's word in the key's data
    /// (`key::KeyData`): written as constants, or read from the key contract's copy.
    Key {
        /// Word of x in the key's data; y is the next word. Equal points share the first one's word,
        /// so the multi-scalar multiplication adds their scalars as it did for constants.
        word: usize,
        /// The point itself.
        point: G1Affine,
    },
}

/// One opened commitment of the multi-open argument, identified as halo2 identifies it: by
/// position, never by value (two equal fixed commitments are still two openings).
#[derive(Clone, Debug)]
pub enum Commitment {
    /// A commitment read from the proof or fixed by the key, opened as it is.
    Point(Base),
    /// The linearised quotient: Σ h_i · xn^i.
    Quotient(Vec<usize>),
}

/// One claimed evaluation: commitment `commitment` at `x·ω^rotation` equals `eval`.
pub struct Query {
    /// Index into `Openings::commitments`.
    pub commitment: usize,
    /// The rotation the commitment is opened at, relative to x.
    pub rotation: i32,
    /// Where the claimed value is (the proof's evaluation, or the computed quotient evaluation).
    pub eval: S,
}

/// The openings halo2's verifier queries, in its order (the order decides the rotation sets'
/// order, and with it every power of SHPLONK's y and v).
pub struct Openings {
    /// Every opened commitment, numbered in halo2's order; queries refer to them by index.
    pub commitments: Vec<Commitment>,
    /// Every claimed evaluation, in halo2's query order.
    pub queries: Vec<Query>,
    /// (rotations, commitments opened at exactly those): commitments by first query, sets by
    /// first commitment, as halo2's `construct_intermediate_sets`.
    pub rotation_sets: Vec<(BTreeSet<i32>, Vec<usize>)>,
    /// Every rotation any commitment is opened at: the points SHPLONK's vanishing polynomial spans.
    pub super_set: BTreeSet<i32>,
    /// The quotient's query, whose evaluation the identities phase computes.
    pub h_query: usize,
}

impl Openings {
    /// Lists the openings in halo2's order from the plan's addresses and the key's fixed commitments, and groups them.
    pub fn of(plan: &Plan, vk: &VerifyingKey<G1Affine>) -> Openings {
        let cs = vk.cs();
        let mut o = Openings {
            commitments: vec![],
            queries: vec![],
            rotation_sets: vec![],
            super_set: BTreeSet::new(),
            h_query: 0,
        };
        let advice_ids: Vec<usize> = plan.advice.iter().map(|&p| o.commit(Base::Proof(p))).collect();
        for (i, (col, r)) in cs.advice_queries().iter().enumerate() {
            o.query(advice_ids[col.index()], r.0, plan.advice_evals[i]);
        }
        let last_rot = -(plan.blinding + 1);
        let perm_ids: Vec<usize> = plan.perm_z.iter().map(|&p| o.commit(Base::Proof(p))).collect();
        for (s, &id) in perm_ids.iter().enumerate() {
            o.query(id, 0, plan.perm_evals[s][0]);
            o.query(id, 1, plan.perm_evals[s][1]);
        }
        for s in (0..plan.num_sets).rev().skip(1) {
            o.query(perm_ids[s], last_rot, plan.perm_evals[s][2]);
        }
        for l in 0..plan.num_lookups {
            let z = o.commit(Base::Proof(plan.lookup_z[l]));
            let a = o.commit(Base::Proof(plan.permuted[l].0));
            let s = o.commit(Base::Proof(plan.permuted[l].1));
            let ev = &plan.lookup_evals[l];
            o.query(z, 0, ev[0]);
            o.query(a, 0, ev[2]);
            o.query(s, 0, ev[4]);
            o.query(a, -1, ev[3]);
            o.query(z, 1, ev[1]);
        }
        let num_fixed = vk.fixed_commitments().len();
        let mut words: Vec<(G1Affine, usize)> = vec![];
        let mut key_base = |word: usize, point: G1Affine| {
            let word = match words.iter().find(|(p, _)| *p == point) {
                Some(&(_, first)) => first,
                None => {
                    words.push((point, word));
                    word
                }
            };
            Base::Key { word, point }
        };
        let fixed_ids: Vec<usize> =
            vk.fixed_commitments().iter().enumerate().map(|(i, p)| o.commit(key_base(KeyData::fixed(i), *p))).collect();
        for (i, (col, r)) in cs.fixed_queries().iter().enumerate() {
            o.query(fixed_ids[col.index()], r.0, plan.fixed_evals[i]);
        }
        for (i, p) in vk.permutation().commitments().iter().enumerate() {
            let id = o.commit(key_base(KeyData::sigma(num_fixed, i), *p));
            o.query(id, 0, plan.sigma_evals[i]);
        }
        o.commitments.push(Commitment::Quotient(plan.h_points.clone()));
        o.h_query = o.queries.len();
        o.query(o.commitments.len() - 1, 0, S::Const(Fr::ZERO));
        let random_id = o.commit(Base::Proof(plan.random_point));
        o.query(random_id, 0, plan.random_eval);
        o.group();
        o
    }

    fn commit(&mut self, base: Base) -> usize {
        self.commitments.push(Commitment::Point(base));
        self.commitments.len() - 1
    }

    fn query(&mut self, commitment: usize, rotation: i32, eval: S) {
        self.queries.push(Query { commitment, rotation, eval });
    }

    fn group(&mut self) {
        let mut commitment_order: Vec<(usize, BTreeSet<i32>)> = vec![];
        for q in &self.queries {
            match commitment_order.iter_mut().find(|(c, _)| *c == q.commitment) {
                Some((_, set)) => {
                    set.insert(q.rotation);
                }
                None => commitment_order.push((q.commitment, BTreeSet::from([q.rotation]))),
            }
        }
        for (c, set) in commitment_order {
            match self.rotation_sets.iter_mut().find(|(s, _)| *s == set) {
                Some((_, members)) => members.push(c),
                None => self.rotation_sets.push((set, vec![c])),
            }
        }
        self.super_set = self.queries.iter().map(|q| q.rotation).collect();
    }
}

/// u − x·ω^r for a rotation of the super set.
pub fn u_minus(at: &AtX, r: i32) -> S {
    at.u_minus.iter().find(|(q, _)| *q == r).unwrap().1
}

/// Adds `s` to the scalar of `base`, so each base costs one ecMul however often it is opened.
pub fn add_term(e: &mut Emitter, scalars: &mut Vec<(Base, S)>, base: Base, s: S) {
    match scalars.iter_mut().find(|(b, _)| *b == base) {
        Some((_, acc)) => *acc = e.add(*acc, s),
        None => scalars.push((base, s)),
    }
}

/// Lagrange basis of a set's points at u: Π_{b≠a}(u − p_b) / Π_{b≠a}(p_a − p_b), where
/// p = x·ω^r, so the denominator is x^(m−1) times a constant known now.
fn set_basis(e: &mut Emitter, plan: &Plan, at: &AtX, rots: &[i32]) -> Vec<S> {
    let m = rots.len();
    if m == 1 {
        return vec![S::Const(Fr::ONE)];
    }
    let mut x_inv_pow = S::Const(Fr::ONE);
    for _ in 0..m - 1 {
        x_inv_pow = e.mul(x_inv_pow, at.x_inv);
    }
    rots.iter()
        .map(|&ra| {
            let mut num = x_inv_pow;
            let mut den = Fr::ONE;
            for &rb in rots.iter().filter(|&&rb| rb != ra) {
                num = e.mul(num, u_minus(at, rb));
                den *= plan.rot(ra) - plan.rot(rb);
            }
            e.mul(num, S::Const(den.invert().unwrap()))
        })
        .collect()
}

/// Emits the multi-open check's linear combination: the scalar of every base of the final MSM,
/// such that the pairing e(h2, \[s\]₂) · e(Σ scalar·base, −\[1\]₂) == 1 holds for an honest proof.
pub fn emit(e: &mut Emitter, plan: &Plan, o: &Openings, at: &AtX, g1: G1Affine) -> Vec<(Base, S)> {
    e.comment("SHPLONK");
    let mut scalars: Vec<(Base, S)> = vec![];
    let mut r_outer = S::Const(Fr::ZERO);
    let mut v_pow = S::Const(Fr::ONE);
    let mut z_0 = S::Const(Fr::ONE);
    for (i, (set, members)) in o.rotation_sets.iter().enumerate() {
        let z_diff = if i == 0 {
            for &r in set {
                z_0 = e.mul(z_0, u_minus(at, r));
            }
            S::Const(Fr::ONE)
        } else {
            let mut acc = S::Const(Fr::ONE);
            for &r in o.super_set.difference(set) {
                acc = e.mul(acc, u_minus(at, r));
            }
            e.mul(acc, at.z_0_diff_inverse)
        };
        let rots: Vec<i32> = set.iter().copied().collect();
        let basis = set_basis(e, plan, at, &rots);
        let coeff = e.mul(v_pow, z_diff);
        let mut r_inner = S::Const(Fr::ZERO);
        let mut y_pow = S::Const(Fr::ONE);
        for &c in members {
            let mut r_eval = S::Const(Fr::ZERO);
            for (a, &ra) in rots.iter().enumerate() {
                let q = o.queries.iter().find(|q| q.commitment == c && q.rotation == ra).unwrap();
                let t = e.mul(q.eval, basis[a]);
                r_eval = e.add(r_eval, t);
            }
            let t = e.mul(y_pow, r_eval);
            r_inner = e.add(r_inner, t);
            let scalar = e.mul(coeff, y_pow);
            match &o.commitments[c] {
                Commitment::Point(base) => add_term(e, &mut scalars, *base, scalar),
                Commitment::Quotient(pieces) => {
                    let mut s = scalar;
                    for &p in pieces {
                        add_term(e, &mut scalars, Base::Proof(p), s);
                        s = e.mul(s, at.xn);
                    }
                }
            }
            y_pow = e.mul(y_pow, plan.shplonk_y);
        }
        let t = e.mul(coeff, r_inner);
        r_outer = e.add(r_outer, t);
        v_pow = e.mul(v_pow, plan.shplonk_v);
    }
    let neg_r = e.neg(r_outer);
    add_term(e, &mut scalars, Base::Const(g1), neg_r);
    let neg_z0 = e.neg(z_0);
    add_term(e, &mut scalars, Base::Proof(plan.h1), neg_z0);
    add_term(e, &mut scalars, Base::Proof(plan.h2), plan.shplonk_u);
    scalars
}

#[cfg(test)]
mod tests {
    use super::super::test_circuit;
    use super::super::verifier::VerifierSpec;
    use super::*;

    #[test]
    fn every_query_is_in_exactly_one_rotation_set_and_sets_are_distinct() {
        let (params, vk) = test_circuit::keys();
        let plan = Plan::of(&VerifierSpec::inline(&vk, &params, 3));
        let o = Openings::of(&plan, &vk);
        for q in &o.queries {
            let holding: Vec<_> = o.rotation_sets.iter().filter(|(_, m)| m.contains(&q.commitment)).collect();
            assert_eq!(holding.len(), 1, "commitment {} in {} sets", q.commitment, holding.len());
            assert!(holding[0].0.contains(&q.rotation));
        }
        for (i, (a, _)) in o.rotation_sets.iter().enumerate() {
            assert!(o.rotation_sets[i + 1..].iter().all(|(b, _)| a != b), "rotation set {a:?} twice");
        }
        // Every commitment is opened, each (commitment, rotation) once.
        let mut pairs: Vec<(usize, i32)> = o.queries.iter().map(|q| (q.commitment, q.rotation)).collect();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len(), o.queries.len());
        assert_eq!(o.commitments.len(), o.rotation_sets.iter().map(|(_, m)| m.len()).sum::<usize>());
        assert!(matches!(o.commitments[o.queries[o.h_query].commitment], Commitment::Quotient(_)));
        assert!(o.super_set.contains(&-1) && o.super_set.contains(&1) && o.super_set.contains(&-(plan.blinding + 1)));
    }
}
