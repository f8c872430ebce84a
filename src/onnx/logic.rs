//! Comparisons, boolean ops and `Where` between activations (or against per-element constants),
//! made exact from the range check's sign: `a ≥ b` is `nonneg(a − b)`, `a < b` is
//! `1 − nonneg(a − b)`, equality is both signs at once. Booleans are 0/1 values, so `and` is a
//! product and `where(c, a, b)` is `b + c·(a − b)`. (A comparison of one activation with a
//! scalar is a pointwise function and goes to a lookup table instead.)

use super::steps::{AffineBuilder, Chain, Operand, Src, Step};
use crate::graph::Op;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::logic::Iff;

/// Input i of the node, constants broadcast to the output's shape.
fn operand(model: &TypedModel, node: &TypedNode, i: usize, vars: &[OutletId], shape: &[usize]) -> Option<Operand> {
    Operand::of(model, node, i, vars, Some(shape))
}

/// `Σ c·operand + Σ c·src + bias` elementwise, as a step.
fn combine(chain: &mut Chain, n: usize, parts: &[(&Operand, f32)], extra: &[(Src, f32)], bias: f32) -> Src {
    let mut b = AffineBuilder::new(n);
    for j in 0..n {
        extra.iter().for_each(|&(s, c)| b.src(j, s, j, c));
        parts.iter().for_each(|&(o, c)| b.add(j, o, j, c));
        b.constant(j, bias);
    }
    b.finish(chain)
}

/// Flat indices of a tensor of `shape` broadcast (numpy rules) to `out`.
fn broadcast_index(shape: &[usize], out: &[usize]) -> Option<Vec<usize>> {
    let n: usize = shape.iter().product();
    let a = tract_ndarray::ArrayD::from_shape_vec(shape.to_vec(), (0..n).collect::<Vec<usize>>()).ok()?;
    Some(a.broadcast(out.to_vec())?.iter().copied().collect())
}

/// `a·b`, `a + b`, `a − b` for two activations of different (broadcast) shapes: each is spread to
/// the output's shape (wiring), then combined elementwise.
pub(super) fn broadcast_binary(
    model: &TypedModel,
    node: &TypedNode,
    vars: &[OutletId],
    shape: &[usize],
) -> Option<Vec<Step>> {
    let bin = node.op_as::<TypedBinOp>()?;
    if node.inputs.len() != 2
        || vars.len() != 2
        || !model.outlet_fact(OutletId::new(node.id, 0)).ok()?.datum_type.is_float()
    {
        return None;
    }
    let n: usize = shape.iter().product();
    let mut chain = Chain::default();
    let mut spread = |i: usize| -> Option<Src> {
        let o = node.inputs[i];
        let slot = vars.iter().position(|&v| v == o)?;
        let idx = broadcast_index(&super::shape_of(model, o), shape)?;
        Some(chain.gather(Src::Var(slot), &idx))
    };
    let (a, b) = (spread(0)?, spread(1)?);
    match bin.0.name() {
        "Mul" => chain.mul(a, b),
        "Add" => chain.ew(n, &[(a, 1.0), (b, 1.0)], vec![0.0; n]),
        "Sub" => chain.ew(n, &[(a, 1.0), (b, -1.0)], vec![0.0; n]),
        _ => return None,
    };
    Some(chain.steps)
}

/// `x + c`, `x − c`, `c − x`, `x·c`, `x / c` for a float activation x of the output's shape and a
/// constant c broadcast to it: one coefficient and one offset per element.
pub(super) fn scaled(model: &TypedModel, node: &TypedNode, vars: &[OutletId], shape: &[usize]) -> Option<Op> {
    let bin = node.op_as::<TypedBinOp>()?;
    if node.inputs.len() != 2 || !model.outlet_fact(OutletId::new(node.id, 0)).ok()?.datum_type.is_float() {
        return None;
    }
    let (a, b) = (operand(model, node, 0, vars, shape)?, operand(model, node, 1, vars, shape)?);
    let (var_first, c) = match (a, b) {
        (Operand::Var(_), Operand::Const(c)) => (true, c),
        (Operand::Const(c), Operand::Var(_)) => (false, c),
        _ => return None,
    };
    let (coeff, bias): (Vec<f32>, Vec<f32>) = match (bin.0.name(), var_first) {
        ("Add", _) => (vec![1.0; c.len()], c),
        ("Sub", true) => (vec![1.0; c.len()], c.iter().map(|v| -v).collect()),
        ("Sub", false) => (vec![-1.0; c.len()], c),
        ("Mul", _) => (c.clone(), vec![0.0; c.len()]),
        ("Div", true) => (c.iter().map(|v| 1.0 / v).collect(), vec![0.0; c.len()]),
        _ => return None,
    };
    if coeff.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(Op::Affine { terms: coeff.iter().enumerate().map(|(j, &k)| vec![(0, j, k)]).collect(), bias })
}

pub(super) fn lower(model: &TypedModel, node: &TypedNode, vars: &[OutletId], shape: &[usize]) -> Option<Vec<Step>> {
    let n: usize = shape.iter().product();
    let mut chain = Chain::default();
    if node.op_as::<Iff>().is_some() {
        let cond = operand(model, node, 0, vars, shape)?;
        let (a, b) = (operand(model, node, 1, vars, shape)?, operand(model, node, 2, vars, shape)?);
        // A constant condition (an attention mask) picks, per position, a variable or a constant.
        if let Operand::Const(cv) = &cond {
            let mut pick = AffineBuilder::new(n);
            for (j, &c) in cv.iter().enumerate().take(n) {
                pick.add(j, if c != 0.0 { &a } else { &b }, j, 1.0);
            }
            pick.finish(&mut chain);
            return Some(chain.steps);
        }
        let Operand::Var(c) = cond else { return None };
        match (&a, &b) {
            // Both branches constant: b + c·(a − b) is affine in c.
            (Operand::Const(av), Operand::Const(bv)) => {
                let terms = (0..n).map(|j| vec![(0, j, av[j] - bv[j])]).collect();
                chain.push(Op::Affine { terms, bias: bv.clone() }, vec![c]);
            }
            _ => {
                let diff = combine(&mut chain, n, &[(&a, 1.0), (&b, -1.0)], &[], 0.0);
                let m = chain.mul(c, diff);
                combine(&mut chain, n, &[(&b, 1.0)], &[(m, 1.0)], 0.0);
            }
        }
        return Some(chain.steps);
    }
    let bin = node.op_as::<TypedBinOp>()?;
    if node.inputs.len() != 2 {
        return None;
    }
    let (a, b) = (operand(model, node, 0, vars, shape)?, operand(model, node, 1, vars, shape)?);
    if matches!((&a, &b), (Operand::Const(_), Operand::Const(_))) {
        return None;
    }
    let name = bin.0.name();
    // nonneg(x − y) as a step: 1 where x ≥ y.
    let ge = |chain: &mut Chain, x: &Operand, y: &Operand| {
        let d = combine(chain, n, &[(x, 1.0), (y, -1.0)], &[], 0.0);
        chain.push(Op::NonNeg, vec![d])
    };
    let not = |chain: &mut Chain, s: Src| chain.ew(n, &[(s, -1.0)], vec![1.0; n]);
    match name {
        "GTE" => {
            ge(&mut chain, &a, &b);
        }
        "LTE" => {
            ge(&mut chain, &b, &a);
        }
        "LT" => {
            let g = ge(&mut chain, &a, &b);
            not(&mut chain, g);
        }
        "GT" => {
            let g = ge(&mut chain, &b, &a);
            not(&mut chain, g);
        }
        "Eq" | "NE" => {
            let (g1, g2) = (ge(&mut chain, &a, &b), ge(&mut chain, &b, &a));
            let eq = chain.mul(g1, g2);
            if name == "NE" {
                not(&mut chain, eq);
            }
        }
        // On 0/1 values: and = ab, or = a + b − ab, xor = a + b − 2ab. Against a constant c the
        // product is c·a, so the whole op is affine.
        "And" | "Or" | "Xor" => {
            let k = match name {
                "And" => [0.0, 1.0],
                "Or" => [1.0, -1.0],
                _ => [1.0, -2.0],
            };
            match (&a, &b) {
                (Operand::Var(x), Operand::Var(y)) => {
                    let (x, y) = (*x, *y);
                    let p = chain.mul(x, y);
                    chain.ew(n, &[(x, k[0]), (y, k[0]), (p, k[1])], vec![0.0; n]);
                }
                (Operand::Var(x), Operand::Const(c)) | (Operand::Const(c), Operand::Var(x)) => {
                    let terms = (0..n).map(|j| vec![(0, j, k[0] + k[1] * c[j])]).collect();
                    chain.push(Op::Affine { terms, bias: c.iter().map(|v| k[0] * v).collect() }, vec![*x]);
                }
                _ => return None,
            }
        }
        _ => return None,
    }
    Some(chain.steps)
}
