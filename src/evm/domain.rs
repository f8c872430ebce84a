//! Values at the evaluation point x that both the identities and the multi-open need: x^n, the
//! Lagrange basis at the first and the blinded last rows, the public values' evaluation, and
//! every inverse of the verifier, taken together with one modexp (it costs far more than the
//! multiplications Montgomery's trick adds).

use super::plan::Plan;
use super::shplonk::{u_minus, Openings};
use super::yul::{Emitter, S};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::ConstraintSystem;

/// The values at x every later phase reads, each a constant or a memory word.
pub struct AtX {
    /// x^n, n = 2^k.
    pub xn: S,
    /// 1 / (x^n − 1), for the vanishing polynomial's division.
    pub xn_minus_one_inv: S,
    /// 1 / x.
    pub x_inv: S,
    /// 1 / Π (u − x·ω^r) over the super set's rotations outside the first rotation set.
    pub z_0_diff_inverse: S,
    /// (r, u − x·ω^r) for every rotation of the super set.
    pub u_minus: Vec<(i32, S)>,
    /// halo2's `l_last` at x: the Lagrange basis of row n − blinding − 1, between the usable and the blinding rows.
    pub l_last: S,
    /// Σ of the Lagrange basis over the blinding rows.
    pub l_blind: S,
    /// The Lagrange basis at the first row at x.
    pub l_0: S,
    /// Per instance query (one column at rotation 0), its evaluation at x, computed from the public values.
    pub instance_evals: Vec<S>,
}

/// Emits the shared values at x, their inverses taken with one modexp.
pub fn emit(e: &mut Emitter, plan: &Plan, cs: &ConstraintSystem<Fr>, o: &Openings) -> AtX {
    e.comment("x^n, Lagrange basis at x, inverses");
    let x = plan.x;
    let xn = e.store(format!("pow2k({}, {})", e.ld(x), plan.k));
    let l_rots: Vec<i32> = (-(plan.blinding + 1)..=0).collect();
    let mut denoms: Vec<S> = l_rots.iter().map(|&r| e.sub(x, S::Const(plan.rot(r)))).collect();
    let xn_minus_one = e.sub(xn, S::Const(Fr::ONE));
    denoms.push(xn_minus_one);
    denoms.push(x);
    // SHPLONK's z_diff_0 needs inverting too: its factors are computed here, ahead of the phase.
    let points: Vec<(i32, S)> = o.super_set.iter().map(|&r| (r, e.mul(x, S::Const(plan.rot(r))))).collect();
    let u_minus_p: Vec<(i32, S)> = points.iter().map(|&(r, p)| (r, e.sub(plan.shplonk_u, p))).collect();
    let mut at = AtX {
        xn,
        xn_minus_one_inv: S::Const(Fr::ZERO),
        x_inv: S::Const(Fr::ZERO),
        z_0_diff_inverse: S::Const(Fr::ZERO),
        u_minus: u_minus_p,
        l_last: S::Const(Fr::ZERO),
        l_blind: S::Const(Fr::ZERO),
        l_0: S::Const(Fr::ZERO),
        instance_evals: vec![],
    };
    let mut z_diff_0 = S::Const(Fr::ONE);
    for &r in o.super_set.difference(&o.rotation_sets[0].0) {
        z_diff_0 = e.mul(z_diff_0, u_minus(&at, r));
    }
    denoms.push(z_diff_0);
    let inverses = e.batch_invert(&denoms);
    let inv_of = |r: i32| inverses[l_rots.iter().position(|&q| q == r).unwrap()];
    at.xn_minus_one_inv = inverses[l_rots.len()];
    at.x_inv = inverses[l_rots.len() + 1];
    at.z_0_diff_inverse = inverses[l_rots.len() + 2];

    // l_i(x) = ω^i (x^n - 1) / (n (x - ω^i))
    let common = e.mul(xn_minus_one, S::Const(Fr::from(plan.n).invert().unwrap()));
    let lagrange = |e: &mut Emitter, r: i32| {
        let t = e.mul(common, inv_of(r));
        e.mul(t, S::Const(plan.rot(r)))
    };
    at.l_last = lagrange(e, -(plan.blinding + 1));
    for r in -plan.blinding..0 {
        let l = lagrange(e, r);
        at.l_blind = e.add(at.l_blind, l);
    }
    at.l_0 = lagrange(e, 0);
    e.comment("instance evaluations: a loop, so code size does not grow with the public values");
    at.instance_evals = cs
        .instance_queries()
        .iter()
        .map(|(col, r)| {
            assert!(col.index() == 0 && r.0 == 0, "the generator supports one instance column queried at rotation 0");
            e.instance_eval(&plan.instances, x, common, plan.omega, plan.num_instances)
        })
        .collect();
    at
}
