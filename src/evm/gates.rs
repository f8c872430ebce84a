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
pub fn eval_with(e: &mut Emitter, expr: &Expression<Fr>, leaf: &dyn Fn(&Expression<Fr>) -> Option<S>, memo: &mut Memo) -> S {
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

