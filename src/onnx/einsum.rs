//! EinSum read off its formula: with two activations (`Q·Kᵀ`, attention weights times values,
//! any batched matmul of computed tensors) every output is a sum of products, proven by the
//! dot-product gadget; with one constant operand (projections contracting several axes at once)
//! it is an affine map. The index space is enumerated once, at import.

use super::steps::{Src, Step};
use crate::graph::Op;
use std::collections::HashMap;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::einsum::EinSum;

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
    let slot = |o: OutletId| Src::Var(vars.iter().position(|&v| v == o).expect("checked above"));
    if var[0] && var[1] {
        return Some(vec![Step {
            op: Op::Bilinear { terms },
            inputs: vec![slot(node.inputs[0]), slot(node.inputs[1])],
        }]);
    }
    // One side constant: Σ x_i·w_k with the same x_i summed into one coefficient.
    let (x, w) = if var[0] { (0, weights[1].as_ref()?) } else { (1, weights[0].as_ref()?) };
    let affine = terms
        .iter()
        .map(|t| {
            let mut coeff: Vec<(usize, f32)> = vec![];
            for &(ia, ib) in t {
                let (i, c) = if x == 0 { (ia, w[ib]) } else { (ib, w[ia]) };
                match coeff.iter_mut().find(|e| e.0 == i) {
                    Some(e) => e.1 += c,
                    None => coeff.push((i, c)),
                }
            }
            coeff.into_iter().filter(|e| e.1 != 0.0).map(|(i, c)| (0, i, c)).collect()
        })
        .collect();
    Some(vec![Step { op: Op::Affine { terms: affine, bias: vec![0.0; n_out] }, inputs: vec![slot(node.inputs[x])] }])
}
