//! Elementwise arithmetic: sums (one linear row each), constant offsets (packed pointwise rows,
//! or with private weights a linear row adding a parameter wire), products of two activations (product gadget, then a rescale), and
//! bilinear sums (dot gadget, then one rescale per output).

use super::super::builder::{Builder, WireId};
use super::super::{dot, linear, pointwise, product, requant};
use super::Node;

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
