//! Gate identities in the generated verifier: evaluating a halo2 expression with the Yul emitter,
//! and recognising gates that differ only in which advice columns they read (one Yul function
//! then serves them all).

use super::yul::{fr_hex, Emitter, S};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::Expression;
use halo2_proofs::poly::Rotation;
use std::collections::HashMap;

/// Values already emitted, by expression: halo2 expressions are trees (a shared subterm, such as
/// a Poseidon S-box input used by three MDS rows, is cloned), so without this every use would be
/// emitted again. Valid within straight-line code whose memory is never reused.
pub type Memo = HashMap<String, S>;

/// Emits the evaluation of `expr`, its leaves (column queries, challenges) resolved by `leaf`.
pub fn eval_with(
    e: &mut Emitter,
    expr: &Expression<Fr>,
    leaf: &dyn Fn(&Expression<Fr>) -> Option<S>,
    memo: &mut Memo,
) -> S {
    if let Some(s) = leaf(expr) {
        return s;
    }
    let key = format!("{expr:?}");
    if let Some(&s) = memo.get(&key) {
        return s;
    }
    let v = match expr {
        Expression::Constant(c) => S::Const(*c),
        Expression::Negated(a) => {
            let a = eval_with(e, a, leaf, memo);
            e.neg(a)
        }
        Expression::Sum(a, b) => {
            let (a, b) = (eval_with(e, a, leaf, memo), eval_with(e, b, leaf, memo));
            e.add(a, b)
        }
        Expression::Product(a, b) => {
            let (a, b) = (eval_with(e, a, leaf, memo), eval_with(e, b, leaf, memo));
            e.mul(a, b)
        }
        Expression::Scaled(a, c) => {
            let a = eval_with(e, a, leaf, memo);
            e.mul(a, S::Const(*c))
        }
        _ => unreachable!("leaves are resolved by `leaf`"),
    };
    memo.insert(key, v);
    v
}

/// A gate's identity up to which advice columns it reads: the polynomials written out with each
/// advice query numbered by first appearance, and those queries in that order.
pub fn gate_shape(polys: &[Expression<Fr>]) -> (String, Vec<(usize, Rotation)>) {
    fn go(e: &Expression<Fr>, advice: &mut Vec<(usize, Rotation)>, out: &mut String) {
        match e {
            Expression::Advice(q) => {
                let key = (q.column_index(), q.rotation());
                let i = advice.iter().position(|a| *a == key).unwrap_or_else(|| {
                    advice.push(key);
                    advice.len() - 1
                });
                out.push_str(&format!("a{i}"));
            }
            Expression::Fixed(q) => out.push_str(&format!("f{}@{}", q.column_index(), q.rotation().0)),
            Expression::Instance(q) => out.push_str(&format!("i{}@{}", q.column_index(), q.rotation().0)),
            Expression::Challenge(c) => out.push_str(&format!("c{}", c.index())),
            Expression::Constant(c) => out.push_str(&fr_hex(c)),
            Expression::Selector(s) => out.push_str(&format!("s{}", s.index())),
            Expression::Negated(a) => {
                out.push_str("-(");
                go(a, advice, out);
                out.push(')');
            }
            Expression::Sum(a, b) | Expression::Product(a, b) => {
                out.push_str(if matches!(e, Expression::Sum(..)) { "+(" } else { "*(" });
                go(a, advice, out);
                out.push(',');
                go(b, advice, out);
                out.push(')');
            }
            Expression::Scaled(a, c) => {
                out.push_str(&format!("{}*(", fr_hex(c)));
                go(a, advice, out);
                out.push(')');
            }
        }
    }
    let (mut advice, mut key) = (vec![], String::new());
    for p in polys {
        go(p, &mut advice, &mut key);
        key.push(';');
    }
    (key, advice)
}

#[cfg(test)]
mod tests {
    use super::super::test_circuit::{self, Tiny};
    use super::*;
    use halo2_proofs::halo2curves::ff::Field;
    use halo2_proofs::plonk::{Circuit, ConstraintSystem};
    use rand_chacha::rand_core::SeedableRng;

    /// Every gate and lookup expression of the test circuit, emitted as Yul (in the assembly
    /// block and inside a function) and run, gives what halo2's own evaluation gives for the
    /// same column values: the emitter's constant folding and memo cannot change a value.
    #[test]
    fn emitted_expressions_evaluate_as_halo2_does() {
        let mut cs = ConstraintSystem::<Fr>::default();
        Tiny::configure(&mut cs);
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let mut memory = HashMap::new();
        let mut slot = |key: String, memory: &mut HashMap<usize, Fr>, slots: &mut Vec<String>| -> S {
            let i = slots.iter().position(|k| *k == key).unwrap_or_else(|| {
                slots.push(key);
                slots.len() - 1
            });
            let addr = 0x80 + 32 * i;
            memory.entry(addr).or_insert_with(|| Fr::random(&mut rng));
            S::Mem(addr)
        };
        let mut slots = vec![];
        let mut exprs: Vec<&Expression<Fr>> = cs.gates().iter().flat_map(|g| g.polynomials()).collect();
        exprs.extend(cs.lookups().iter().flat_map(|l| l.input_expressions()));
        // Leaves get fixed addresses first, so the emitter's memory starts above them.
        let key = |x: &Expression<Fr>| match x {
            Expression::Advice(q) => Some(format!("a{}@{}", q.column_index(), q.rotation().0)),
            Expression::Fixed(q) => Some(format!("f{}@{}", q.column_index(), q.rotation().0)),
            Expression::Instance(q) => Some(format!("i{}@{}", q.column_index(), q.rotation().0)),
            _ => None,
        };
        fn leaves<'a>(x: &'a Expression<Fr>, out: &mut Vec<&'a Expression<Fr>>) {
            match x {
                Expression::Negated(a) | Expression::Scaled(a, _) => leaves(a, out),
                Expression::Sum(a, b) | Expression::Product(a, b) => {
                    leaves(a, out);
                    leaves(b, out);
                }
                _ => out.push(x),
            }
        }
        let mut all = vec![];
        exprs.iter().for_each(|x| leaves(x, &mut all));
        let addr_of: Vec<(String, S)> =
            all.iter().filter_map(|x| key(x)).map(|k| (k.clone(), slot(k, &mut memory, &mut slots))).collect();
        let find = |k: String| addr_of.iter().find(|(a, _)| *a == k).unwrap().1;
        let value = |k: String| match find(k) {
            S::Mem(a) => memory[&a],
            S::Const(c) => c,
        };
        let base = 0x80 + 32 * slots.len();
        for function in [false, true] {
            let mut e = if function { Emitter::in_function(base) } else { Emitter::new(base) };
            let leaf = |x: &Expression<Fr>| key(x).map(&find);
            let mut memo = Memo::new();
            let outs: Vec<S> = exprs.iter().map(|x| eval_with(&mut e, x, &leaf, &mut memo)).collect();
            assert_eq!(e.code.contains(", R)"), !function, "the modulus is spelled as the context needs");
            let mut mem = memory.clone();
            test_circuit::run(&e.code, &mut mem);
            for (x, out) in exprs.iter().zip(outs) {
                let want = x.evaluate(
                    &|c| c,
                    &|_| unreachable!("no selectors"),
                    &|q| value(format!("f{}@{}", q.column_index(), q.rotation().0)),
                    &|q| value(format!("a{}@{}", q.column_index(), q.rotation().0)),
                    &|q| value(format!("i{}@{}", q.column_index(), q.rotation().0)),
                    &|_| unreachable!("no challenges"),
                    &|a| -a,
                    &|a, b| a + b,
                    &|a, b| a * b,
                    &|a, c| a * c,
                );
                let got = match out {
                    S::Mem(a) => mem[&a],
                    S::Const(c) => c,
                };
                assert_eq!(got, want, "{x:?}");
            }
        }
    }

    #[test]
    fn gates_differing_only_in_advice_columns_share_a_shape() {
        let mut cs = ConstraintSystem::<Fr>::default();
        Tiny::configure(&mut cs);
        let shapes: Vec<_> = cs.gates().iter().map(|g| gate_shape(g.polynomials())).collect();
        assert_eq!(shapes[0].0, shapes[1].0);
        assert_ne!(shapes[0].1, shapes[1].1, "the two mul gates read other columns");
        assert_ne!(shapes[0].0, shapes[2].0);
    }
}
