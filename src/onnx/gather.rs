//! Gathers whose indices are computed: from constant data each output is a keyed lookup of its
//! index (`Select`: leaf values of a tree, rows of an embedding); from variable data it is a
//! one-hot sum `Σ_r [idx = r]·data_r`, the indicators again keyed lookups. Gathers with constant
//! indices are affine and never reach this module.

use super::steps::{Chain, Src, Step};
use crate::graph::Op;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::array::{Gather, GatherElements, OneHot};

pub(super) fn lower(model: &TypedModel, node: &TypedNode, vars: &[OutletId]) -> Option<Vec<Step>> {
    if let Some(g) = node.op_as::<Gather>() {
        let indices_only = vars.len() == 1 && node.inputs[1] == vars[0] && node.inputs[0] != vars[0];
        if indices_only {
            return constant_data(model, node, g.axis);
        }
        return None;
    }
    if let Some(o) = node.op_as::<OneHot>() {
        return (vars.len() == 1).then(|| one_hot(model, node, o)).flatten();
    }
    if let Some(g) = node.op_as::<GatherElements>() {
        if vars.len() == 2 && node.inputs[0] == vars[0] && node.inputs[1] == vars[1] {
            return elements(model, node, g.axis);
        }
    }
    None
}

/// `out[p, i, q] = data[p, idx_i, q]`: one keyed table per (p, q) over the gathered axis.
fn constant_data(model: &TypedModel, node: &TypedNode, axis: usize) -> Option<Vec<Step>> {
    let data = super::const_of(model, node.inputs[0])?;
    let ds = super::shape_of(model, node.inputs[0]);
    let ni: usize = super::shape_of(model, node.inputs[1]).iter().product();
    let (pre, n, post): (usize, usize, usize) = (ds[..axis].iter().product(), ds[axis], ds[axis + 1..].iter().product());
    let mut chain = Chain::default();
    let mut sels = vec![];
    for p in 0..pre {
        for q in 0..post {
            let table = (0..n).map(|r| data[(p * n + r) * post + q]).collect();
            sels.push(chain.push(Op::Select { table }, vec![Src::Var(0)]));
        }
    }
    let mut terms = vec![vec![]; pre * ni * post];
    for p in 0..pre {
        for i in 0..ni {
            for q in 0..post {
                terms[(p * ni + i) * post + q] = vec![(p * post + q, i, 1.0)];
            }
        }
    }
    let len = terms.len();
    chain.push(Op::Affine { terms, bias: vec![0.0; len] }, sels);
    Some(chain.steps)
}

/// `out[p, k, q] = (idx[p, q] == k ? on : off)` for k < dim: one keyed table per k.
fn one_hot(model: &TypedModel, node: &TypedNode, o: &OneHot) -> Option<Vec<Step>> {
    let is = super::shape_of(model, node.inputs[0]);
    let (on, off) = (o.on.cast_to_scalar::<f32>().ok()?, o.off.cast_to_scalar::<f32>().ok()?);
    let (pre, post): (usize, usize) = (is[..o.axis].iter().product(), is[o.axis..].iter().product());
    let mut chain = Chain::default();
    let ks: Vec<Src> = (0..o.dim)
        .map(|k| {
            let table = (0..o.dim).map(|r| if r == k { on } else { off }).collect();
            chain.push(Op::Select { table }, vec![Src::Var(0)])
        })
        .collect();
    let mut terms = vec![];
    for p in 0..pre {
        for k in 0..o.dim {
            for q in 0..post {
                terms.push(vec![(k, p * post + q, 1.0)]);
            }
        }
    }
    let len = terms.len();
    chain.push(Op::Affine { terms, bias: vec![0.0; len] }, ks);
    Some(chain.steps)
}

/// ONNX GatherElements: `out[.., j, ..] = data[.., idx[.., j, ..], ..]` along `axis`, data and
/// indices both computed. Each output is `Σ_r onehot_r(idx)·data[.., r, ..]`.
fn elements(model: &TypedModel, node: &TypedNode, axis: usize) -> Option<Vec<Step>> {
    let ds = super::shape_of(model, node.inputs[0]);
    let is = super::shape_of(model, node.inputs[1]);
    if ds.len() != is.len() {
        return None;
    }
    let n = ds[axis];
    let strides = |s: &[usize]| -> Vec<usize> { (0..s.len()).map(|i| s[i + 1..].iter().product()).collect() };
    let (dst, ist) = (strides(&ds), strides(&is));
    let m: usize = is.iter().product();
    let mut chain = Chain::default();
    let (data, idx) = (Src::Var(0), Src::Var(1));
    // For each r: which data element each output would take if its index were r.
    let mut picked = vec![];
    for r in 0..n {
        let onehot = chain.push(Op::Select { table: (0..n).map(|k| (k == r) as u8 as f32).collect() }, vec![idx]);
        let at: Vec<usize> = (0..m)
            .map(|j| {
                let coords: Vec<usize> = ist.iter().zip(&is).map(|(st, d)| j / st % d).collect();
                coords.iter().enumerate().map(|(a, &c)| (if a == axis { r } else { c }) * dst[a]).sum()
            })
            .collect();
        let d = chain.gather(data, &at);
        picked.push(chain.mul(onehot, d));
    }
    let terms = (0..m).map(|j| (0..n).map(|r| (r, j, 1.0)).collect()).collect();
    chain.push(Op::Affine { terms, bias: vec![0.0; m] }, picked);
    Some(chain.steps)
}
