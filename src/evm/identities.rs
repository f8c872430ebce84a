//! The identities phase: every gate, permutation and lookup constraint at x, folded with y into
//! the quotient's expected evaluation, in halo2-axiom's order (`plonk/verifier.rs`): an
//! identity out of order changes the fold, and the proof is rejected.

use super::domain::AtX;
use super::gates::{eval_with, gate_shape, Memo};
use super::plan::Plan;
use super::yul::{Emitter, S};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::{Any, Column, ConstraintSystem, Expression, Gate};
use halo2_proofs::poly::Rotation;
use std::collections::HashMap;

/// Resolves an expression's leaves to the proof's evaluations.
struct Leaves<'a> {
    plan: &'a Plan,
    cs: &'a ConstraintSystem<Fr>,
    instance_evals: &'a [S],
}

impl Leaves<'_> {
    fn fixed(&self, col: usize, r: Rotation) -> S {
        let i = self.cs.fixed_queries().iter().position(|(c, q)| c.index() == col && *q == r).unwrap();
        self.plan.fixed_evals[i]
    }

    fn advice(&self, col: usize, r: Rotation) -> S {
        let i = self.cs.advice_queries().iter().position(|(c, q)| c.index() == col && *q == r).unwrap();
        self.plan.advice_evals[i]
    }

    fn instance(&self, col: usize, r: Rotation) -> S {
        let i = self.cs.instance_queries().iter().position(|(c, q)| c.index() == col && *q == r).unwrap();
        self.instance_evals[i]
    }

    /// Every leaf but advice queries, which a shared gate function reads from its scratch.
    fn non_advice(&self, expr: &Expression<Fr>) -> Option<S> {
        match expr {
            Expression::Fixed(q) => Some(self.fixed(q.column_index(), q.rotation())),
            Expression::Instance(q) => Some(self.instance(q.column_index(), q.rotation())),
            Expression::Challenge(c) => Some(self.plan.challenges[c.index()]),
            _ => None,
        }
    }

    fn leaf(&self, expr: &Expression<Fr>) -> Option<S> {
        match expr {
            Expression::Advice(q) => Some(self.advice(q.column_index(), q.rotation())),
            Expression::Selector(_) => panic!("selectors are compiled to fixed columns by keygen"),
            _ => self.non_advice(expr),
        }
    }

    fn column(&self, col: &Column<Any>) -> S {
        match col.column_type() {
            Any::Advice(_) => self.advice(col.index(), Rotation::cur()),
            Any::Fixed => self.fixed(col.index(), Rotation::cur()),
            Any::Instance => self.instance(col.index(), Rotation::cur()),
        }
    }

    fn evaluate(&self, e: &mut Emitter, expr: &Expression<Fr>, memo: &mut Memo) -> S {
        eval_with(e, expr, &|x| self.leaf(x), memo)
    }
}

/// Emits the identities and returns h(x) as the proof must open it (their fold divided by
/// x^n − 1), and the Yul functions shared by gates of one shape.
pub fn emit(e: &mut Emitter, plan: &Plan, cs: &ConstraintSystem<Fr>, at: &AtX) -> (S, String) {
    let leaves = Leaves { plan, cs, instance_evals: &at.instance_evals };
    let mut identities = vec![];
    e.comment("gates");
    let functions = gates(e, &leaves, &mut identities);
    e.comment("permutation");
    let one = S::Const(Fr::ONE);
    let t = e.add(at.l_last, at.l_blind);
    let active = e.sub(one, t);
    permutation(e, &leaves, at, active, &mut identities);
    e.comment("lookups");
    lookups(e, &leaves, at, active, &mut identities);
    e.comment("vanishing: expected h(x)");
    let mut h_eval = S::Const(Fr::ZERO);
    for v in identities {
        let t = e.mul(h_eval, plan.y);
        h_eval = e.add(t, v);
    }
    (e.mul(h_eval, at.xn_minus_one_inv), functions)
}

/// A gate evaluated by a shared Yul function: its name, the scratch block its advice
/// evaluations are copied into, and where its identities come out.
#[derive(Clone)]
struct SharedGate {
    name: String,
    scratch: usize,
    outs: Vec<S>,
}

/// Gates of one shape that differ only in their advice columns (the Poseidon gadget's column
/// groups) are evaluated by one Yul function: the caller copies the gate's advice evaluations
/// into a scratch block, calls it, and copies the identities out. Code size then grows by a few
/// words per repeated gate instead of its whole expression.
fn gates(e: &mut Emitter, leaves: &Leaves, identities: &mut Vec<S>) -> String {
    let cs = leaves.cs;
    let shapes: Vec<(String, Vec<(usize, Rotation)>)> =
        cs.gates().iter().map(|g| gate_shape(g.polynomials())).collect();
    let mut shared: HashMap<String, SharedGate> = HashMap::new();
    let mut functions = String::new();
    for (gate, (key, advice)) in cs.gates().iter().zip(&shapes) {
        if shapes.iter().filter(|(k, _)| k == key).count() < 2 {
            let mut memo = Memo::new();
            for poly in gate.polynomials() {
                identities.push(leaves.evaluate(e, poly, &mut memo));
            }
            continue;
        }
        if !shared.contains_key(key) {
            let f = shared_function(e, leaves, gate, advice, shared.len(), &mut functions);
            shared.insert(key.clone(), f);
        }
        let SharedGate { name, scratch, outs } = shared[key].clone();
        for (i, &(col, r)) in advice.iter().enumerate() {
            let v = leaves.advice(col, r);
            e.line(format!("mstore({:#x}, {})", scratch + 32 * i, e.ld(v)));
        }
        e.line(format!("{name}()"));
        for o in outs {
            identities.push(match o {
                S::Const(_) => o,
                S::Mem(p) => e.store(format!("mload({p:#x})")),
            });
        }
    }
    functions
}

/// Writes the Yul function for a gate shape. It runs outside the assembly block's scope, where
/// the local `R` is not visible, so its emitter writes the modulus as a literal.
fn shared_function(
    e: &mut Emitter,
    leaves: &Leaves,
    gate: &Gate<Fr>,
    advice: &[(usize, Rotation)],
    index: usize,
    functions: &mut String,
) -> SharedGate {
    let scratch = e.alloc(advice.len());
    let mut fe = Emitter::in_function(e.next);
    let leaf = |expr: &Expression<Fr>| -> Option<S> {
        match expr {
            Expression::Advice(q) => {
                let i = advice.iter().position(|a| *a == (q.column_index(), q.rotation())).unwrap();
                Some(S::Mem(scratch + 32 * i))
            }
            _ => leaves.non_advice(expr),
        }
    };
    let mut memo = Memo::new();
    let outs: Vec<S> = gate.polynomials().iter().map(|p| eval_with(&mut fe, p, &leaf, &mut memo)).collect();
    e.next = fe.next;
    let name = format!("gate_shape_{index}");
    functions.push_str(&format!("function {name}() {{\n{}}}\n", fe.code));
    SharedGate { name, scratch, outs }
}

/// The permutation argument: the first product starts at 1, the last is 0 or 1 on the last
/// active row, consecutive sets chain, and each set's grand-product step holds on active rows.
fn permutation(e: &mut Emitter, leaves: &Leaves, at: &AtX, active: S, identities: &mut Vec<S>) {
    let plan = leaves.plan;
    let (num_sets, evals) = (plan.num_sets, &plan.perm_evals);
    if num_sets == 0 {
        return;
    }
    let one = S::Const(Fr::ONE);
    let t = e.sub(one, evals[0][0]);
    identities.push(e.mul(at.l_0, t));
    let z_last = evals[num_sets - 1][0];
    let sq = e.square(z_last);
    let t = e.sub(sq, z_last);
    identities.push(e.mul(t, at.l_last));
    for s in 1..num_sets {
        let t = e.sub(evals[s][0], evals[s - 1][2]);
        identities.push(e.mul(t, at.l_0));
    }
    let beta_x = e.mul(plan.beta, plan.x);
    let columns = leaves.cs.permutation().get_columns();
    for (s, (columns, sigmas)) in
        columns.chunks(plan.chunk_len).zip(plan.sigma_evals.chunks(plan.chunk_len)).enumerate()
    {
        let mut left = evals[s][1];
        for (col, &sigma) in columns.iter().zip(sigmas) {
            let bs = e.mul(plan.beta, sigma);
            let t = e.add(leaves.column(col), bs);
            let t = e.add(t, plan.gamma);
            left = e.mul(left, t);
        }
        let mut right = evals[s][0];
        let mut delta_pow = Fr::DELTA.pow_vartime([(s * plan.chunk_len) as u64]);
        for col in columns {
            let d = e.mul(beta_x, S::Const(delta_pow));
            let t = e.add(leaves.column(col), d);
            let t = e.add(t, plan.gamma);
            right = e.mul(right, t);
            delta_pow *= Fr::DELTA;
        }
        let t = e.sub(left, right);
        identities.push(e.mul(t, active));
    }
}

/// halo2's (pre-logUp) lookup argument, five identities per lookup.
fn lookups(e: &mut Emitter, leaves: &Leaves, at: &AtX, active: S, identities: &mut Vec<S>) {
    let plan = leaves.plan;
    let one = S::Const(Fr::ONE);
    for (l, argument) in leaves.cs.lookups().iter().enumerate() {
        let ev = &plan.lookup_evals[l];
        let (z, z_next, a, a_inv, s) = (ev[0], ev[1], ev[2], ev[3], ev[4]);
        let t = e.sub(one, z);
        identities.push(e.mul(at.l_0, t));
        let sq = e.square(z);
        let t = e.sub(sq, z);
        identities.push(e.mul(at.l_last, t));
        let a_beta = e.add(a, plan.beta);
        let s_gamma = e.add(s, plan.gamma);
        let left = e.mul(z_next, a_beta);
        let left = e.mul(left, s_gamma);
        let compress = |e: &mut Emitter, exprs: &[Expression<Fr>]| {
            let mut acc = S::Const(Fr::ZERO);
            for ex in exprs {
                let v = leaves.evaluate(e, ex, &mut Memo::new());
                let t = e.mul(acc, plan.theta);
                acc = e.add(t, v);
            }
            acc
        };
        let input = compress(e, argument.input_expressions());
        let table = compress(e, argument.table_expressions());
        let ib = e.add(input, plan.beta);
        let tg = e.add(table, plan.gamma);
        let right = e.mul(z, ib);
        let right = e.mul(right, tg);
        let t = e.sub(left, right);
        identities.push(e.mul(t, active));
        let a_minus_s = e.sub(a, s);
        identities.push(e.mul(at.l_0, a_minus_s));
        let a_minus_prev = e.sub(a, a_inv);
        let t = e.mul(a_minus_s, a_minus_prev);
        identities.push(e.mul(t, active));
    }
}
