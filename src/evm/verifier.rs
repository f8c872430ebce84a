//! Generates a Solidity verifier that replays halo2-axiom's own verifier (`plonk/verifier.rs`
//! and `poly/kzg/multiopen/shplonk/verifier.rs`) step for step: the Keccak transcript of
//! snark-verifier's `EvmTranscript`, the gate, permutation and lookup identities, the SHPLONK
//! multi-open and the final pairing. Everything that depends only on the verifying key (query
//! structure, rotation sets, Lagrange constants) is resolved here, at generation time; the
//! contract only does the arithmetic that depends on the proof.

use super::gates::{eval_with, gate_shape, Memo};
use super::yul::{fr_hex, Emitter, S};
use halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::plonk::{Any, Expression, VerifyingKey};
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::poly::Rotation;
use std::collections::BTreeSet;

/// A base point of the final multi-scalar multiplication.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Base {
    /// A point read from the proof, stored at this memory address.
    Proof(usize),
    /// A point fixed by the verifying key or the SRS.
    Const(G1Affine),
}

/// One opened commitment of the multi-open argument, identified as halo2 identifies it: by
/// position, never by value.
#[derive(Clone, Debug)]
enum Commitment {
    Point(Base),
    /// The linearised quotient: Σ h_i · xn^i.
    Quotient(Vec<usize>),
}

struct Query {
    commitment: usize,
    rotation: i32,
    eval: S,
}

fn coords(p: &G1Affine) -> (Fq, Fq) {
    if bool::from(p.is_identity()) {
        (Fq::ZERO, Fq::ZERO)
    } else {
        (p.x, p.y)
    }
}

use crate::field::base_to_hex as fq_hex;

/// What the generated contract needs besides the key.
pub struct VerifierSpec<'a> {
    pub vk: &'a VerifyingKey<G1Affine>,
    pub params: &'a ParamsKZG<Bn256>,
    pub num_instances: usize,
}

pub struct Generated {
    /// Body of the `verifyProof` assembly block.
    pub body: String,
    /// Helper Yul functions.
    pub functions: String,
    pub proof_len: usize,
}

pub fn generate(spec: &VerifierSpec) -> Generated {
    let vk = spec.vk;
    let cs = vk.cs();
    let domain = vk.get_domain();
    let k = spec.params.k();
    let n = 1u64 << k;
    let omega = domain.get_omega();
    let omega_inv = domain.get_omega_inv();
    let rot = |r: i32| -> Fr {
        if r >= 0 {
            omega.pow_vartime([r as u64])
        } else {
            omega_inv.pow_vartime([(-r) as u64])
        }
    };
    let degree = cs.degree();
    let chunk_len = degree - 2;
    let quotient_pieces = domain.get_quotient_poly_degree();
    let blinding = cs.blinding_factors() as i32;
    let perm_columns = cs.permutation().get_columns();
    let num_sets = perm_columns.len().div_ceil(chunk_len);
    let num_lookups = cs.lookups().len();

    let mut e = Emitter::new(0x80);
    let mut cd = 0usize; // offset into the proof calldata
    // ---- transcript: every read lands in one growing memory region, as in EvmTranscript ----
    let t0 = e.alloc(1);
    e.line(format!("mstore({t0:#x}, {})", fr_hex(&vk.transcript_repr())));
    let mut tstart = t0;
    let inst = e.alloc(spec.num_instances);
    e.line(format!("ok := and(ok, read_scalars(instances.offset, {inst:#x}, {}))", spec.num_instances));
    let instances: Vec<S> = (0..spec.num_instances).map(|i| S::Mem(inst + 32 * i)).collect();

    let read_points = |e: &mut Emitter, cd: &mut usize, count: usize| -> Vec<usize> {
        let m = e.alloc(2 * count);
        if count > 0 {
            e.line(format!("ok := and(ok, read_points(add(proof.offset, {:#x}), {m:#x}, {count}))", *cd));
        }
        *cd += 64 * count;
        (0..count).map(|i| m + 64 * i).collect()
    };
    let read_scalars = |e: &mut Emitter, cd: &mut usize, count: usize| -> Vec<S> {
        let m = e.alloc(count);
        if count > 0 {
            e.line(format!("ok := and(ok, read_scalars(add(proof.offset, {:#x}), {m:#x}, {count}))", *cd));
        }
        *cd += 32 * count;
        (0..count).map(|i| S::Mem(m + 32 * i)).collect()
    };
    let squeeze = |e: &mut Emitter, tstart: &mut usize| -> S {
        let end = e.next;
        let mut len = end - *tstart;
        if len == 32 {
            e.line(format!("mstore8({end:#x}, 1)"));
            len = 33;
        }
        let c = e.alloc(2);
        e.line(format!("squeeze({:#x}, {len:#x}, {c:#x})", *tstart));
        *tstart = c + 32;
        S::Mem(c)
    };

    let mut advice_points = vec![0usize; cs.num_advice_columns()];
    let mut challenges = vec![S::Const(Fr::ZERO); cs.num_challenges()];
    let advice_phase = cs.advice_column_phase();
    let challenge_phase = cs.challenge_phase();
    let max_phase = advice_phase.iter().chain(challenge_phase.iter()).copied().max().unwrap_or(0);
    for phase in 0..=max_phase {
        for (col, &p) in advice_phase.iter().enumerate() {
            if p == phase {
                advice_points[col] = read_points(&mut e, &mut cd, 1)[0];
            }
        }
        for (i, &p) in challenge_phase.iter().enumerate() {
            if p == phase {
                challenges[i] = squeeze(&mut e, &mut tstart);
            }
        }
    }
    let theta = squeeze(&mut e, &mut tstart);
    let permuted: Vec<(usize, usize)> = (0..num_lookups)
        .map(|_| {
            let p = read_points(&mut e, &mut cd, 2);
            (p[0], p[1])
        })
        .collect();
    let beta = squeeze(&mut e, &mut tstart);
    let gamma = squeeze(&mut e, &mut tstart);
    let perm_z = read_points(&mut e, &mut cd, num_sets);
    let lookup_z = read_points(&mut e, &mut cd, num_lookups);
    let random_point = read_points(&mut e, &mut cd, 1)[0];
    let y = squeeze(&mut e, &mut tstart);
    let h_points = read_points(&mut e, &mut cd, quotient_pieces);
    let x = squeeze(&mut e, &mut tstart);
    let advice_evals = read_scalars(&mut e, &mut cd, cs.advice_queries().len());
    let fixed_evals = read_scalars(&mut e, &mut cd, cs.fixed_queries().len());
    let random_eval = read_scalars(&mut e, &mut cd, 1)[0];
    let sigma_evals = read_scalars(&mut e, &mut cd, vk.permutation().commitments().len());
    let mut perm_evals = vec![];
    for set in 0..num_sets {
        let cnt = if set + 1 < num_sets { 3 } else { 2 };
        perm_evals.push(read_scalars(&mut e, &mut cd, cnt));
    }
    let lookup_evals: Vec<Vec<S>> = (0..num_lookups).map(|_| read_scalars(&mut e, &mut cd, 5)).collect();
    let shplonk_y = squeeze(&mut e, &mut tstart);
    let shplonk_v = squeeze(&mut e, &mut tstart);
    let h1 = read_points(&mut e, &mut cd, 1)[0];
    let shplonk_u = squeeze(&mut e, &mut tstart);
    let h2 = read_points(&mut e, &mut cd, 1)[0];
    let proof_len = super::proof_shape::ProofShape::of(vk).bytes();
    assert_eq!(proof_len, cd, "ProofShape disagrees with the transcript this contract reads");
    // A malformed point or scalar ends verification here: later precompile calls on it would
    // burn all forwarded gas instead of returning false.
    e.line("if iszero(ok) { mstore(0x00, 0) return(0x00, 0x20) }");

    // ---- x^n, Lagrange evaluations and every inverse, with one modexp ----
    e.comment("x^n, Lagrange basis at x, inverses");
    let xn = {
        let p = e.alloc(1);
        e.line(format!("mstore({p:#x}, pow2k({}, {k}))", e.ld(x)));
        S::Mem(p)
    };
    let l_rots: Vec<i32> = (-(blinding + 1)..=0).collect();
    let mut denoms: Vec<S> = l_rots.iter().map(|&r| e.sub(x, S::Const(rot(r)))).collect();
    let xn_minus_one = e.sub(xn, S::Const(Fr::ONE));
    denoms.push(xn_minus_one);
    denoms.push(x);
    // z_diff_0 of SHPLONK needs the rotation sets: build them now (static), invert at once.
    let mut commitments: Vec<Commitment> = vec![];
    let mut queries: Vec<Query> = vec![];
    let mut commit = |c: Commitment| {
        commitments.push(c);
        commitments.len() - 1
    };
    let advice_ids: Vec<usize> = advice_points.iter().map(|&p| commit(Commitment::Point(Base::Proof(p)))).collect();
    for (i, (col, r)) in cs.advice_queries().iter().enumerate() {
        queries.push(Query { commitment: advice_ids[col.index()], rotation: r.0, eval: advice_evals[i] });
    }
    let last_rot = -(blinding + 1);
    let perm_ids: Vec<usize> = perm_z.iter().map(|&p| commit(Commitment::Point(Base::Proof(p)))).collect();
    for (s, id) in perm_ids.iter().enumerate() {
        queries.push(Query { commitment: *id, rotation: 0, eval: perm_evals[s][0] });
        queries.push(Query { commitment: *id, rotation: 1, eval: perm_evals[s][1] });
    }
    for s in (0..num_sets).rev().skip(1) {
        queries.push(Query { commitment: perm_ids[s], rotation: last_rot, eval: perm_evals[s][2] });
    }
    for l in 0..num_lookups {
        let z = commit(Commitment::Point(Base::Proof(lookup_z[l])));
        let a = commit(Commitment::Point(Base::Proof(permuted[l].0)));
        let s = commit(Commitment::Point(Base::Proof(permuted[l].1)));
        let ev = &lookup_evals[l];
        queries.push(Query { commitment: z, rotation: 0, eval: ev[0] });
        queries.push(Query { commitment: a, rotation: 0, eval: ev[2] });
        queries.push(Query { commitment: s, rotation: 0, eval: ev[4] });
        queries.push(Query { commitment: a, rotation: -1, eval: ev[3] });
        queries.push(Query { commitment: z, rotation: 1, eval: ev[1] });
    }
    let fixed_ids: Vec<usize> =
        vk.fixed_commitments().iter().map(|p| commit(Commitment::Point(Base::Const(*p)))).collect();
    for (i, (col, r)) in cs.fixed_queries().iter().enumerate() {
        queries.push(Query { commitment: fixed_ids[col.index()], rotation: r.0, eval: fixed_evals[i] });
    }
    for (i, p) in vk.permutation().commitments().iter().enumerate() {
        let id = commit(Commitment::Point(Base::Const(*p)));
        queries.push(Query { commitment: id, rotation: 0, eval: sigma_evals[i] });
    }
    let h_id = commit(Commitment::Quotient(h_points.clone()));
    // expected_h_eval is filled in below, once the identities are evaluated.
    let h_query = queries.len();
    queries.push(Query { commitment: h_id, rotation: 0, eval: S::Const(Fr::ZERO) });
    let random_id = commit(Commitment::Point(Base::Proof(random_point)));
    queries.push(Query { commitment: random_id, rotation: 0, eval: random_eval });

    // Rotation sets, in halo2's order: commitments by first query, sets by first commitment.
    let mut commitment_order: Vec<(usize, BTreeSet<i32>)> = vec![];
    for q in &queries {
        match commitment_order.iter_mut().find(|(c, _)| *c == q.commitment) {
            Some((_, set)) => {
                set.insert(q.rotation);
            }
            None => commitment_order.push((q.commitment, BTreeSet::from([q.rotation]))),
        }
    }
    let mut rotation_sets: Vec<(BTreeSet<i32>, Vec<usize>)> = vec![];
    for (c, set) in commitment_order {
        match rotation_sets.iter_mut().find(|(s, _)| *s == set) {
            Some((_, cs)) => cs.push(c),
            None => rotation_sets.push((set, vec![c])),
        }
    }
    let super_set: BTreeSet<i32> = queries.iter().map(|q| q.rotation).collect();
    let points: Vec<(i32, S)> = super_set.iter().map(|&r| (r, e.mul(x, S::Const(rot(r))))).collect();
    let u_minus: Vec<(i32, S)> = points.iter().map(|&(r, p)| (r, e.sub(shplonk_u, p))).collect();
    let u_minus_p = |r: i32| u_minus.iter().find(|(q, _)| *q == r).unwrap().1;
    let z_diff_0 = {
        let mut acc = S::Const(Fr::ONE);
        for &r in super_set.difference(&rotation_sets[0].0) {
            acc = e.mul(acc, u_minus_p(r));
        }
        acc
    };
    denoms.push(z_diff_0);
    let inverses = e.batch_invert(&denoms);
    let inv_of = |r: i32| inverses[l_rots.iter().position(|&q| q == r).unwrap()];
    let xn_minus_one_inv = inverses[l_rots.len()];
    let x_inv = inverses[l_rots.len() + 1];
    let z_0_diff_inverse = inverses[l_rots.len() + 2];

    // l_i(x) = ω^i (x^n - 1) / (n (x - ω^i))
    let common = e.mul(xn_minus_one, S::Const(Fr::from(n).invert().unwrap()));
    let lagrange = |e: &mut Emitter, r: i32| {
        let t = e.mul(common, inv_of(r));
        e.mul(t, S::Const(rot(r)))
    };
    let l_last = lagrange(&mut e, last_rot);
    let mut l_blind = S::Const(Fr::ZERO);
    for r in -blinding..0 {
        let l = lagrange(&mut e, r);
        l_blind = e.add(l_blind, l);
    }
    let l_0 = lagrange(&mut e, 0);
    e.comment("instance evaluations: a loop, so code size does not grow with the public values");
    let instance_evals: Vec<S> = cs
        .instance_queries()
        .iter()
        .map(|(col, r)| {
            assert!(col.index() == 0 && r.0 == 0, "the generator supports one instance column queried at rotation 0");
            e.instance_eval(&instances, x, common, omega, spec.num_instances)
        })
        .collect();

    // ---- the identities, folded with y ----
    e.comment("gates");
    let mut identities: Vec<S> = vec![];
    let fixed_index = |col: usize, r: Rotation| {
        cs.fixed_queries().iter().position(|(c, q)| c.index() == col && *q == r).unwrap()
    };
    let advice_index = |col: usize, r: Rotation| {
        cs.advice_queries().iter().position(|(c, q)| c.index() == col && *q == r).unwrap()
    };
    let instance_index = |col: usize, r: Rotation| {
        cs.instance_queries().iter().position(|(c, q)| c.index() == col && *q == r).unwrap()
    };
    let evaluate = |e: &mut Emitter, expr: &Expression<Fr>, memo: &mut Memo| -> S {
        let leaf = |expr: &Expression<Fr>| -> Option<S> {
            match expr {
                Expression::Fixed(q) => Some(fixed_evals[fixed_index(q.column_index(), q.rotation())]),
                Expression::Advice(q) => Some(advice_evals[advice_index(q.column_index(), q.rotation())]),
                Expression::Instance(q) => {
                    Some(instance_evals[instance_index(q.column_index(), q.rotation())])
                }
                Expression::Challenge(c) => Some(challenges[c.index()]),
                Expression::Selector(_) => panic!("selectors are compiled to fixed columns by keygen"),
                _ => None,
            }
        };
        eval_with(e, expr, &leaf, memo)
    };
    let mut gate_functions = String::new();
    // Gates of one shape that differ only in their advice columns (the Poseidon gadget's column
    // groups) are evaluated by one Yul function: the caller copies the gate's advice evaluations
    // into a scratch block, calls it, and copies the identities out. Code size then grows by a
    // few words per repeated gate instead of its whole expression.
    let shapes: Vec<(String, Vec<(usize, Rotation)>)> = cs.gates().iter().map(|g| gate_shape(g.polynomials())).collect();
    let mut shape_fn: std::collections::HashMap<String, (String, usize, Vec<S>)> = Default::default();
    for (gate, (key, advice)) in cs.gates().iter().zip(&shapes) {
        if shapes.iter().filter(|(k, _)| k == key).count() < 2 {
            let mut memo = Memo::new();
            for poly in gate.polynomials() {
                let v = evaluate(&mut e, poly, &mut memo);
                identities.push(v);
            }
            continue;
        }
        if !shape_fn.contains_key(key) {
            let scratch = e.alloc(advice.len());
            let mut fe = Emitter::new(e.next);
            let leaf = |expr: &Expression<Fr>| -> Option<S> {
                match expr {
                    Expression::Advice(q) => {
                        let i = advice.iter().position(|a| *a == (q.column_index(), q.rotation())).unwrap();
                        Some(S::Mem(scratch + 32 * i))
                    }
                    Expression::Fixed(q) => Some(fixed_evals[fixed_index(q.column_index(), q.rotation())]),
                    Expression::Instance(q) => Some(instance_evals[instance_index(q.column_index(), q.rotation())]),
                    Expression::Challenge(c) => Some(challenges[c.index()]),
                    _ => None,
                }
            };
            let mut memo = Memo::new();
            let outs: Vec<S> = gate.polynomials().iter().map(|p| eval_with(&mut fe, p, &leaf, &mut memo)).collect();
            e.next = fe.next;
            let name = format!("gate_shape_{}", shape_fn.len());
            let body = fe.code.replace(", R)", &format!(", 0x{R_HEX})")).replace("sub(R,", &format!("sub(0x{R_HEX},"));
            gate_functions.push_str(&format!("function {name}() {{\n{body}}}\n"));
            shape_fn.insert(key.clone(), (name, scratch, outs));
        }
        let (name, scratch, outs) = shape_fn[key].clone();
        for (i, &(col, r)) in advice.iter().enumerate() {
            let v = advice_evals[advice_index(col, r)];
            e.line(format!("mstore({:#x}, {})", scratch + 32 * i, e.ld(v)));
        }
        e.line(format!("{name}()"));
        for o in outs {
            let v = match o {
                S::Const(_) => o,
                S::Mem(p) => e.store(format!("mload({p:#x})")),
            };
            identities.push(v);
        }
    }
    e.comment("permutation");
    let one = S::Const(Fr::ONE);
    let active = {
        let t = e.add(l_last, l_blind);
        e.sub(one, t)
    };
    if num_sets > 0 {
        let t = e.sub(one, perm_evals[0][0]);
        identities.push(e.mul(l_0, t));
        let z_last = perm_evals[num_sets - 1][0];
        let sq = e.square(z_last);
        let t = e.sub(sq, z_last);
        identities.push(e.mul(t, l_last));
        for s in 1..num_sets {
            let t = e.sub(perm_evals[s][0], perm_evals[s - 1][2]);
            identities.push(e.mul(t, l_0));
        }
        let column_eval = |col: &halo2_proofs::plonk::Column<Any>| match col.column_type() {
            Any::Advice(_) => advice_evals[advice_index(col.index(), Rotation::cur())],
            Any::Fixed => fixed_evals[fixed_index(col.index(), Rotation::cur())],
            Any::Instance => instance_evals[instance_index(col.index(), Rotation::cur())],
        };
        let beta_x = e.mul(beta, x);
        for (s, (columns, sigmas)) in perm_columns.chunks(chunk_len).zip(sigma_evals.chunks(chunk_len)).enumerate() {
            let mut left = perm_evals[s][1];
            for (col, &sigma) in columns.iter().zip(sigmas) {
                let bs = e.mul(beta, sigma);
                let t = e.add(column_eval(col), bs);
                let t = e.add(t, gamma);
                left = e.mul(left, t);
            }
            let mut right = perm_evals[s][0];
            let mut delta_pow = Fr::DELTA.pow_vartime([(s * chunk_len) as u64]);
            for col in columns {
                let d = e.mul(beta_x, S::Const(delta_pow));
                let t = e.add(column_eval(col), d);
                let t = e.add(t, gamma);
                right = e.mul(right, t);
                delta_pow *= Fr::DELTA;
            }
            let t = e.sub(left, right);
            identities.push(e.mul(t, active));
        }
    }
    e.comment("lookups");
    for (l, argument) in cs.lookups().iter().enumerate() {
        let ev = &lookup_evals[l];
        let (z, z_next, a, a_inv, s) = (ev[0], ev[1], ev[2], ev[3], ev[4]);
        let t = e.sub(one, z);
        identities.push(e.mul(l_0, t));
        let sq = e.square(z);
        let t = e.sub(sq, z);
        identities.push(e.mul(l_last, t));
        let a_beta = e.add(a, beta);
        let s_gamma = e.add(s, gamma);
        let left = e.mul(z_next, a_beta);
        let left = e.mul(left, s_gamma);
        let compress = |e: &mut Emitter, exprs: &[Expression<Fr>]| {
            let mut acc = S::Const(Fr::ZERO);
            for ex in exprs {
                let v = evaluate(e, ex, &mut Memo::new());
                let t = e.mul(acc, theta);
                acc = e.add(t, v);
            }
            acc
        };
        let input = compress(&mut e, argument.input_expressions());
        let table = compress(&mut e, argument.table_expressions());
        let ib = e.add(input, beta);
        let tg = e.add(table, gamma);
        let right = e.mul(z, ib);
        let right = e.mul(right, tg);
        let t = e.sub(left, right);
        identities.push(e.mul(t, active));
        let a_minus_s = e.sub(a, s);
        identities.push(e.mul(l_0, a_minus_s));
        let a_minus_prev = e.sub(a, a_inv);
        let t = e.mul(a_minus_s, a_minus_prev);
        identities.push(e.mul(t, active));
    }
    e.comment("vanishing: expected h(x)");
    let mut h_eval = S::Const(Fr::ZERO);
    for v in identities {
        let t = e.mul(h_eval, y);
        h_eval = e.add(t, v);
    }
    queries[h_query].eval = e.mul(h_eval, xn_minus_one_inv);

    // ---- SHPLONK multi-open ----
    e.comment("SHPLONK");
    let mut scalars: Vec<(Base, S)> = vec![];
    let add_term = |e: &mut Emitter, scalars: &mut Vec<(Base, S)>, base: Base, s: S| {
        match scalars.iter_mut().find(|(b, _)| *b == base) {
            Some((_, acc)) => *acc = e.add(*acc, s),
            None => scalars.push((base, s)),
        }
    };
    let mut r_outer = S::Const(Fr::ZERO);
    let mut v_pow = S::Const(Fr::ONE);
    let mut z_0 = S::Const(Fr::ONE);
    for (i, (set, members)) in rotation_sets.iter().enumerate() {
        let z_diff = if i == 0 {
            for &r in set {
                z_0 = e.mul(z_0, u_minus_p(r));
            }
            S::Const(Fr::ONE)
        } else {
            let mut acc = S::Const(Fr::ONE);
            for &r in super_set.difference(set) {
                acc = e.mul(acc, u_minus_p(r));
            }
            e.mul(acc, z_0_diff_inverse)
        };
        // Lagrange basis of the set's points at u: Π_{b≠a}(u - p_b) / Π_{b≠a}(p_a - p_b),
        // where p = x·ω^r, so the denominator is x^(m-1) times a constant.
        let rots: Vec<i32> = set.iter().copied().collect();
        let m = rots.len();
        let basis: Vec<S> = if m == 1 {
            vec![S::Const(Fr::ONE)]
        } else {
            let mut x_inv_pow = S::Const(Fr::ONE);
            for _ in 0..m - 1 {
                x_inv_pow = e.mul(x_inv_pow, x_inv);
            }
            rots.iter()
                .map(|&ra| {
                    let mut num = x_inv_pow;
                    let mut den = Fr::ONE;
                    for &rb in rots.iter().filter(|&&rb| rb != ra) {
                        num = e.mul(num, u_minus_p(rb));
                        den *= rot(ra) - rot(rb);
                    }
                    e.mul(num, S::Const(den.invert().unwrap()))
                })
                .collect()
        };
        let coeff = e.mul(v_pow, z_diff);
        let mut r_inner = S::Const(Fr::ZERO);
        let mut y_pow = S::Const(Fr::ONE);
        for &c in members {
            let mut r_eval = S::Const(Fr::ZERO);
            for (a, &ra) in rots.iter().enumerate() {
                let q = queries.iter().find(|q| q.commitment == c && q.rotation == ra).unwrap();
                let t = e.mul(q.eval, basis[a]);
                r_eval = e.add(r_eval, t);
            }
            let t = e.mul(y_pow, r_eval);
            r_inner = e.add(r_inner, t);
            let scalar = e.mul(coeff, y_pow);
            match &commitments[c] {
                Commitment::Point(base) => add_term(&mut e, &mut scalars, *base, scalar),
                Commitment::Quotient(pieces) => {
                    let mut s = scalar;
                    for &p in pieces {
                        add_term(&mut e, &mut scalars, Base::Proof(p), s);
                        s = e.mul(s, xn);
                    }
                }
            }
            y_pow = e.mul(y_pow, shplonk_y);
        }
        let t = e.mul(coeff, r_inner);
        r_outer = e.add(r_outer, t);
        v_pow = e.mul(v_pow, shplonk_v);
    }
    let g1 = spec.params.get_g()[0];
    let neg_r = e.neg(r_outer);
    add_term(&mut e, &mut scalars, Base::Const(g1), neg_r);
    let neg_z0 = e.neg(z_0);
    add_term(&mut e, &mut scalars, Base::Proof(h1), neg_z0);
    add_term(&mut e, &mut scalars, Base::Proof(h2), shplonk_u);

    e.comment("multi-scalar multiplication");
    let acc = e.alloc(2);
    e.line(format!("mstore({acc:#x}, 0) mstore({:#x}, 0)", acc + 32));
    for (base, s) in &scalars {
        let sv = e.ld(*s);
        match base {
            Base::Proof(p) => e.line(format!(
                "ok := and(ok, ec_mul_add({acc:#x}, mload({p:#x}), mload({:#x}), {sv}))",
                p + 32
            )),
            // An all-zero fixed column commits to the identity: its term vanishes, skip the ecMul.
            Base::Const(pt) if bool::from(pt.is_identity()) => {}
            Base::Const(pt) => {
                let (px, py) = coords(pt);
                e.line(format!("ok := and(ok, ec_mul_add({acc:#x}, {}, {}, {sv}))", fq_hex(&px), fq_hex(&py)))
            }
        }
    }
    e.comment("pairing: e(h2, [s]2) · e(msm, -[1]2) == 1");
    let g2: G2Affine = spec.params.g2();
    let s_g2: G2Affine = spec.params.s_g2();
    let neg_g2 = -g2;
    let pair = e.alloc(12);
    let g2_words = |p: &G2Affine| [p.x.c1, p.x.c0, p.y.c1, p.y.c0].map(|f| fq_hex(&f));
    let mut words: Vec<String> = vec![format!("mload({h2:#x})"), format!("mload({:#x})", h2 + 32)];
    words.extend(g2_words(&s_g2));
    words.push(format!("mload({acc:#x})"));
    words.push(format!("mload({:#x})", acc + 32));
    words.extend(g2_words(&neg_g2));
    for (i, w) in words.iter().enumerate() {
        e.line(format!("mstore({:#x}, {w})", pair + 32 * i));
    }
    // Valid points cannot make the pairing precompile fail: a failure is out of gas.
    e.line(format!("if iszero(staticcall(gas(), 0x08, {pair:#x}, 0x180, 0x00, 0x20)) {{ revert(0, 0) }}"));
    e.line("ok := and(ok, eq(mload(0x00), 1))");

    // Helpers take their scratch space above everything allocated here.
    let body = format!("            mstore(0x40, {:#x})\n{}", e.next, e.code);
    let functions = FUNCTIONS.replace("{R}", R_HEX).replace("{Q}", Q_HEX) + &gate_functions;
    Generated { body, functions, proof_len }
}

pub use crate::field::MODULUS_HEX as R_HEX;
use crate::field::BASE_MODULUS_HEX as Q_HEX;

/// Yul helpers shared by every generated verifier.
const FUNCTIONS: &str = include_str!("helpers.yul");
