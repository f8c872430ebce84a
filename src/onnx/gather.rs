//! Gathers whose indices are computed: from constant data each output is a keyed lookup of its
//! index (`Select`: leaf values of a tree, rows of an embedding); from variable data it is a
//! one-hot sum `Σ_r [idx = r]·data_r`, the indicators again keyed lookups. Gathers with constant
//! indices are affine and never reach this module.

use super::steps::{AffineBuilder, Chain, Operand, Src, Step};
use crate::graph::Op;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::array::{
    Gather, GatherElements, GatherNd, OneHot, ScatterElements, ScatterNd, ScatterReduction,
};

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
    if node.op_as::<ScatterNd>().is_some_and(|s| s.reduction == ScatterReduction::None) {
        return scatter(model, node, vars, None);
    }
    if let Some(s) = node.op_as::<ScatterElements>().filter(|s| s.reduction == ScatterReduction::None) {
        return scatter(model, node, vars, Some(s.axis));
    }
    if node.op_as::<GatherNd>().is_some_and(|g| g.batch_dims == 0) && vars.len() == 2 && node.inputs[0] == vars[0] {
        return gather_nd(model, node);
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
    let (pre, n, post): (usize, usize, usize) =
        (ds[..axis].iter().product(), ds[axis], ds[axis + 1..].iter().product());
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

/// For an update position and a candidate index, the data position it would write.
type Target = dyn Fn(usize, usize) -> usize;

/// ScatterND with indices into the first axis (`axis` None) or ScatterElements along `axis`:
/// `out[p] = data[p] + Σ_q [idx_q = r(p)]·(upd_q − data[p])` over the updates q aimed at p's
/// slot. Indices are computed and data and updates may be too.
fn scatter(model: &TypedModel, node: &TypedNode, vars: &[OutletId], axis: Option<usize>) -> Option<Vec<Step>> {
    if node.inputs.len() != 3 || !vars.contains(&node.inputs[1]) {
        return None;
    }
    let ds = super::shape_of(model, node.inputs[0]);
    let is = super::shape_of(model, node.inputs[1]);
    let us = super::shape_of(model, node.inputs[2]);
    let strides = |s: &[usize]| -> Vec<usize> { (0..s.len()).map(|i| s[i + 1..].iter().product()).collect() };
    let dst = strides(&ds);
    let n_data: usize = ds.iter().product();
    // For each update position q and candidate index r: the data position it would write.
    let (axis_len, n_upd, target): (usize, usize, Box<Target>) = match axis {
        None => {
            // indices [..., 1] into axis 0; updates = indices[..-1] ++ data[1..].
            if is.last() != Some(&1) {
                return None;
            }
            let rest: usize = ds[1..].iter().product();
            let n_idx: usize = is.iter().product();
            if us.iter().product::<usize>() != n_idx * rest {
                return None;
            }
            (ds[0], n_idx * rest, Box::new(move |q, r| r * rest + q % rest))
        }
        Some(a) => {
            if is != us || is.len() != ds.len() {
                return None;
            }
            let ist = strides(&is);
            let is2 = is.clone();
            let dst2 = dst.clone();
            let f = move |q: usize, r: usize| -> usize {
                (0..is2.len()).map(|d| (if d == a { r } else { q / ist[d] % is2[d] }) * dst2[d]).sum()
            };
            (ds[a], us.iter().product(), Box::new(f))
        }
    };
    let rest = if axis.is_none() { ds[1..].iter().product::<usize>() } else { 1 };
    let idx_of = |q: usize| if axis.is_none() { q / rest } else { q };
    let (data, upd) = (Operand::of(model, node, 0, vars, None)?, Operand::of(model, node, 2, vars, None)?);
    let idx = Src::Var(vars.iter().position(|&v| v == node.inputs[1])?);
    let mut chain = Chain::default();
    let mut out = AffineBuilder::new(n_data);
    // How many updates land on each data position: ONNX leaves duplicate indices undefined
    // (tract keeps the last write, a sum would add them), so a count above one is refused below.
    let mut count = AffineBuilder::new(n_data);
    for r in 0..axis_len {
        let onehot =
            chain.push(Op::Select { table: (0..axis_len).map(|k| (k == r) as u8 as f32).collect() }, vec![idx]);
        let oh = chain.gather(onehot, &(0..n_upd).map(idx_of).collect::<Vec<_>>());
        for q in 0..n_upd {
            count.src(target(q, r), oh, q, 1.0);
        }
        // diff_q = upd_q − data[target(q, r)]
        let mut diff = AffineBuilder::new(n_upd);
        for q in 0..n_upd {
            diff.add(q, &upd, q, 1.0);
            diff.add(q, &data, target(q, r), -1.0);
        }
        let diff = diff.finish(&mut chain);
        let prod = chain.mul(oh, diff);
        for q in 0..n_upd {
            out.src(target(q, r), prod, q, 1.0);
        }
    }
    // A keyed lookup of the count in [0, 0]: a count of 0 or 1 reads 0, any other has no entry,
    // so no proof exists for an input with duplicate indices; adding the 0 keeps it live.
    let count = count.finish(&mut chain);
    let unique = chain.push(Op::Select { table: vec![0.0, 0.0] }, vec![count]);
    for p in 0..n_data {
        out.add(p, &data, p, 1.0);
        out.src(p, unique, p, 1.0);
    }
    out.finish(&mut chain);
    Some(chain.steps)
}

/// GatherND (batch_dims 0) of computed data by computed indices: each index tuple becomes one flat
/// key `Σ idx_l·stride_l` (exact integer arithmetic), then a one-hot sum over the keyed slices.
fn gather_nd(model: &TypedModel, node: &TypedNode) -> Option<Vec<Step>> {
    let ds = super::shape_of(model, node.inputs[0]);
    let is = super::shape_of(model, node.inputs[1]);
    let l = *is.last()?;
    if l == 0 || l > ds.len() {
        return None;
    }
    let q_len: usize = is[..is.len() - 1].iter().product();
    let keys: usize = ds[..l].iter().product();
    let r_len: usize = ds[l..].iter().product();
    let kst: Vec<f32> = (0..l).map(|i| ds[i + 1..l].iter().product::<usize>() as f32).collect();
    let mut chain = Chain::default();
    let (data, idx) = (Src::Var(0), Src::Var(1));
    let key_terms = (0..q_len).map(|q| (0..l).map(|i| (0, q * l + i, kst[i])).collect()).collect();
    let key = chain.push(Op::Affine { terms: key_terms, bias: vec![0.0; q_len] }, vec![idx]);
    let spread: Vec<usize> = (0..q_len * r_len).map(|i| i / r_len).collect();
    let mut picked = vec![];
    for r in 0..keys {
        let onehot = chain.push(Op::Select { table: (0..keys).map(|k| (k == r) as u8 as f32).collect() }, vec![key]);
        let oh = chain.gather(onehot, &spread);
        let slice = chain.gather(data, &(0..q_len * r_len).map(|i| r * r_len + i % r_len).collect::<Vec<_>>());
        picked.push(chain.mul(oh, slice));
    }
    let n = q_len * r_len;
    let terms = (0..n).map(|j| (0..keys).map(|r| (r, j, 1.0)).collect()).collect();
    chain.push(Op::Affine { terms, bias: vec![0.0; n] }, picked);
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
