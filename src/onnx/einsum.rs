//! EinSum of two activations (`Q·Kᵀ`, attention weights times values, any batched matmul of
//! computed tensors): every output is a sum of products, enumerated from the formula once at
//! import and proven by the dot-product gadget.

use super::steps::{Src, Step};
use crate::graph::Op;
use std::collections::HashMap;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::einsum::EinSum;

/// Index-space size beyond which the products are not enumerated.
const MAX_PRODUCTS: usize = 20_000_000;

pub(super) fn lower(model: &TypedModel, node: &TypedNode, vars: &[OutletId]) -> Option<Vec<Step>> {
    let einsum = node.op_as::<EinSum>()?;
    if node.inputs.len() != 2 || !node.inputs.iter().all(|i| vars.contains(i)) {
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
    if out.iter().any(|c| !size.contains_key(c)) {
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
    let slot = |o: OutletId| Src::Var(vars.iter().position(|&v| v == o).expect("checked above"));
    Some(vec![Step { op: Op::Bilinear { terms }, inputs: vec![slot(node.inputs[0]), slot(node.inputs[1])] }])
}
