//! EinSum read off its formula: with two activations (`Q·Kᵀ`, attention weights times values,
//! any batched matmul of computed tensors) every output is a sum of products, proven by the
//! dot-product gadget; with one constant operand (projections contracting several axes at once)
//! it is an affine map. The index space is enumerated once, at import.

use super::steps::{Src, Step};
use crate::graph::matmul::MatMul;
use crate::graph::Op;
use std::collections::HashMap;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::einsum::EinSum;

type Sizes = HashMap<char, usize>;

/// The flat index, in an operand laid out by `from`, of each element of the same tensor laid
/// out by `to` (the same letters, reordered): a transposition, which the circuit wires for free.
fn transposition(from: &[char], to: &[char], size: &Sizes) -> Vec<usize> {
    let total: usize = to.iter().map(|c| size[c]).product();
    let mut at: HashMap<char, usize> = to.iter().map(|&c| (c, 0)).collect();
    let mut out = Vec::with_capacity(total);
    for _ in 0..total {
        out.push(from.iter().fold(0, |acc, c| acc * size[c] + at[c]));
        for c in to.iter().rev() {
            let v = at.get_mut(c).expect("every letter has an index");
            *v += 1;
            if *v < size[c] {
                break;
            }
            *v = 0;
        }
    }
    out
}

/// The einsum as a matrix product, when every letter has one of the roles a product knows:
/// batch (both operands and the output), rows (first operand and output), columns (second
/// operand and output), contracted (both operands only). Operands are transposed into
/// `[batch, rows, k]` and `[batch, k, columns]` (wiring steps, omitted when already so), then a
/// `MatMul` of two activations or, with a constant operand and no batch, a `Dense`; the result is
/// transposed into the output's order. `None` for anything else (an axis summed within one
/// operand, a batched constant): the caller enumerates the products instead.
fn as_product(
    parts: &[Vec<char>],
    out: &[char],
    size: &Sizes,
    konst: &[Option<Vec<f32>>; 2],
    src: [Option<Src>; 2],
) -> Option<Vec<Step>> {
    // Unit axes move nothing: drop them.
    let wide = |p: &[char]| -> Vec<char> { p.iter().copied().filter(|c| size[c] > 1).collect() };
    let (a, b, out) = (&wide(&parts[0]), &wide(&parts[1]), &wide(out));
    let parts = [a.clone(), b.clone()];
    let in_out = |c: &char| out.contains(c);
    let repeats = |p: &[char]| p.iter().enumerate().any(|(i, c)| p[..i].contains(c));
    if repeats(a) || repeats(b) || repeats(out) {
        return None;
    }
    if a.iter().chain(b.iter()).any(|c| !(in_out(c) || a.contains(c) && b.contains(c))) {
        return None;
    }
    let role =
        |f: &dyn Fn(&char) -> bool, from: &[char]| -> Vec<char> { from.iter().copied().filter(|c| f(c)).collect() };
    let batch = role(&|c| a.contains(c) && b.contains(c), out);
    let rows = role(&|c| a.contains(c) && !b.contains(c), out);
    let cols = role(&|c| b.contains(c) && !a.contains(c), out);
    let k = role(&|c| b.contains(c) && !in_out(c), a);
    let extent = |letters: &[char]| letters.iter().map(|c| size[c]).product::<usize>();
    let cat = |parts: &[&[char]]| parts.concat();
    let mut steps: Vec<Step> = vec![];
    let wire = |steps: &mut Vec<Step>, input: Src, from: &[char], to: &[char]| -> Src {
        let map = transposition(from, to, size);
        if map.iter().enumerate().all(|(i, &j)| i == j) {
            return input;
        }
        let terms = map.into_iter().map(|j| vec![(0, j, 1.0)]).collect::<Vec<_>>();
        let bias = vec![0.0; terms.len()];
        steps.push(Step { op: Op::Affine { terms, bias }, inputs: vec![input] });
        Src::Step(steps.len() - 1)
    };
    let done = cat(&[&batch, &rows, &cols]);
    match konst {
        [None, None] => {
            let x = wire(&mut steps, src[0]?, a, &cat(&[&batch, &rows, &k]));
            let y = wire(&mut steps, src[1]?, b, &cat(&[&batch, &k, &cols]));
            let mm = MatMul { batch: extent(&batch), m: extent(&rows), k: extent(&k), n: extent(&cols) };
            steps.push(Step { op: Op::MatMul(mm), inputs: vec![x, y] });
        }
        [Some(_), Some(_)] => return None,
        _ if !batch.is_empty() => return None,
        _ => {
            // The variable operand's own letters are its rows; the constant's are the columns.
            let (xv, wv) = if konst[0].is_none() { (0, 1) } else { (1, 0) };
            let w = konst[wv].as_ref()?;
            let (own, other) = if xv == 0 { (&rows, &cols) } else { (&cols, &rows) };
            let x = wire(&mut steps, src[xv]?, &parts[xv], &cat(&[own, &k]));
            let weight: Vec<f32> =
                transposition(&parts[wv], &cat(&[&k, other]), size).into_iter().map(|i| w[i]).collect();
            let (kk, n) = (extent(&k), extent(other));
            steps.push(Step { op: Op::Dense { k: kk, n, weight, bias: vec![0.0; n] }, inputs: vec![x] });
            let result = Src::Step(steps.len() - 1);
            let order = cat(&[own, other]);
            let target: Vec<char> = out.iter().copied().filter(|c| order.contains(c)).collect();
            wire(&mut steps, result, &order, &target);
            return Some(steps);
        }
    }
    let result = Src::Step(steps.len() - 1);
    let target: Vec<char> = out.iter().copied().filter(|c| done.contains(c)).collect();
    wire(&mut steps, result, &done, &target);
    Some(steps)
}

/// Index-space size beyond which the products are not enumerated.
const MAX_PRODUCTS: usize = 20_000_000;

pub(super) fn lower(model: &TypedModel, node: &TypedNode, vars: &[OutletId]) -> Option<Vec<Step>> {
    let einsum = node.op_as::<EinSum>()?;
    if node.inputs.len() != 2 {
        return None;
    }
    let var = [vars.contains(&node.inputs[0]), vars.contains(&node.inputs[1])];
    let konst = |i: usize| if var[i] { None } else { super::const_of(model, node.inputs[i]) };
    let weights = [konst(0), konst(1)];
    if (!var[0] && weights[0].is_none()) || (!var[1] && weights[1].is_none()) || (!var[0] && !var[1]) {
        return None;
    }
    let expr = einsum.axes.to_string();
    let (ins, out) = expr.split_once("->")?;
    let parts: Vec<Vec<char>> = ins.split(',').map(|p| p.chars().collect()).collect();
    let out: Vec<char> = out.chars().collect();
    if parts.len() != 2 {
        return None;
    }
    let shapes = [super::shape_of(model, node.inputs[0]), super::shape_of(model, node.inputs[1])];
    let mut size: HashMap<char, usize> = HashMap::new();
    let mut letters: Vec<char> = vec![];
    for (p, s) in parts.iter().zip(&shapes) {
        if p.len() != s.len() {
            return None;
        }
        for (&c, &d) in p.iter().zip(s) {
            if *size.entry(c).or_insert(d) != d {
                return None;
            }
            if !letters.contains(&c) {
                letters.push(c);
            }
        }
    }
    // Output-only axes (tract adds unit axes this way) take the output's size, which must be 1.
    let out_shape = super::shape_of(model, OutletId::new(node.id, 0));
    if out_shape.len() != out.len() {
        return None;
    }
    for (&c, &d) in out.iter().zip(&out_shape) {
        if *size.entry(c).or_insert(d) != d || (!letters.contains(&c) && d != 1) {
            return None;
        }
        if !letters.contains(&c) {
            letters.push(c);
        }
    }
    let slot = |o: OutletId| Src::Var(vars.iter().position(|&v| v == o).expect("checked above"));
    let src = [0, 1].map(|i| var[i].then(|| slot(node.inputs[i])));
    if let Some(steps) = as_product(&parts, &out, &size, &weights, src) {
        return Some(steps);
    }
    if !(var[0] && var[1]) {
        // One side constant and not a product: affine, probed by the single-op lowerer, which
        // keeps which parameter each coefficient is.
        return None;
    }
    let total: usize = letters.iter().map(|c| size[c]).product();
    if total > MAX_PRODUCTS {
        return None;
    }
    let flat = |axes: &[char], at: &HashMap<char, usize>| axes.iter().fold(0, |acc, c| acc * size[c] + at[c]);
    let n_out: usize = out.iter().map(|c| size[c]).product();
    let mut terms: Vec<Vec<(usize, usize)>> = vec![vec![]; n_out];
    let mut at: HashMap<char, usize> = letters.iter().map(|&c| (c, 0)).collect();
    for _ in 0..total {
        terms[flat(&out, &at)].push((flat(&parts[0], &at), flat(&parts[1], &at)));
        // Next index, odometer style.
        for c in letters.iter().rev() {
            let v = at.get_mut(c).expect("every letter has an index");
            *v += 1;
            if *v < size[c] {
                break;
            }
            *v = 0;
        }
    }
    Some(vec![Step { op: Op::Bilinear { terms }, inputs: vec![slot(node.inputs[0]), slot(node.inputs[1])] }])
}
