//! Elementwise arithmetic: sums (one linear row each), constant offsets (packed pointwise rows,
//! or with private weights a linear row adding a parameter wire), products of two activations (product gadget, then a rescale), and
//! bilinear sums (dot gadget, then one rescale per output).

use super::super::builder::{Builder, WireId};
use super::super::freivalds::{self, Product, Weights};
use super::super::{dot, linear, pointwise, product, requant};
use super::Node;
use crate::graph::matmul::MatMul;

pub(super) fn add(b: &mut Builder, n: &Node) -> Vec<WireId> {
    let (x, y) = (n.inputs[0], n.inputs[1]);
    x.iter().zip(y).map(|(&a, &c)| linear::layout(b, &[(a, 1), (c, 1)], 0)).collect()
}

/// `x + value` with `value` broadcast cyclically over `x`.
pub(super) fn add_const(b: &mut Builder, n: &Node, value: &[i64]) -> Vec<WireId> {
    let x = n.inputs[0];
    if n.private {
        let c: Vec<WireId> = value.iter().map(|&v| b.weight(v as i128)).collect();
        x.iter().enumerate().map(|(i, &a)| linear::layout(b, &[(a, 1), (c[i % c.len()], 1)], 0)).collect()
    } else {
        let items: Vec<_> = x.iter().enumerate().map(|(i, &a)| (a, 1, value[i % value.len()] as i128)).collect();
        pointwise::layout(b, &items)
    }
}

pub(super) fn mul(b: &mut Builder, n: &Node) -> Vec<WireId> {
    let (x, y) = (n.inputs[0], n.inputs[1]);
    x.iter()
        .zip(y)
        .map(|(&a, &c)| {
            let acc = product::layout(b, a, c);
            requant::layout(b, Some(acc), None, false, n.id)
        })
        .collect()
}

/// `y_j = Σ a_i·c_k` over the pairs of `terms[j]`, rescaled once.
pub(super) fn bilinear(b: &mut Builder, n: &Node, terms: &[Vec<(usize, usize)>]) -> Vec<WireId> {
    let (a, c) = (n.inputs[0], n.inputs[1]);
    terms
        .iter()
        .map(|t| {
            let pairs: Vec<(WireId, WireId)> = t.iter().map(|&(i, k)| (a[i], c[k])).collect();
            let acc = dot::layout(b, &pairs);
            requant::layout(b, Some(acc), None, false, n.id)
        })
        .collect()
}

/// Each batch of a product of two activations: one randomised check (A's rows as the
/// "weights", B as the positions) when that takes fewer rows than a dot chain per output.
pub(super) fn matmul(b: &mut Builder, n: &Node, mm: &MatMul) -> Vec<WireId> {
    let (x, y) = (n.inputs[0], n.inputs[1]);
    let (m, k, cols) = (mm.m, mm.k, mm.n);
    let direct = m * cols * k.div_ceil(dot::pairs_per_row(b.lanes));
    let mut out = Vec::with_capacity(mm.batch * m * cols);
    for bt in 0..mm.batch {
        let a = &x[bt * m * k..(bt + 1) * m * k];
        let bm = &y[bt * k * cols..(bt + 1) * k * cols];
        let accs: Vec<WireId> = if freivalds::rows(m, k, cols, b.lanes, false) < direct {
            let product = Product { c: m, k, p: cols, weights: Weights::Wires(a.to_vec()), x: bm.to_vec() };
            freivalds::layout(b, product)
        } else {
            (0..m * cols)
                .map(|j| {
                    let pairs: Vec<(WireId, WireId)> =
                        (0..k).map(|t| (a[(j / cols) * k + t], bm[t * cols + j % cols])).collect();
                    dot::layout(b, &pairs)
                })
                .collect()
        };
        out.extend(accs.into_iter().map(|acc| requant::layout(b, Some(acc), None, false, n.id)));
    }
    out
}
