//! Model inputs and the ops that only range-check and rectify (Relu, NonNeg): each element is one
//! requant block without a rescale.

use super::super::builder::{Builder, WireDef, WireId};
use super::super::{pointwise, requant};
use super::Node;

/// Every input is range-checked where it first lands, in the offset-binary form the activations
/// use: unchecked, an input is any field element (½ mod p makes outputs no fixed-point input
/// can), and a public one reads as a huge integer.
pub(super) fn layout(b: &mut Builder, n: &Node, index: usize) -> Vec<WireId> {
    (0..n.node.len())
        .map(|i| {
            let w = b.wire(WireDef::Input { input: index, index: i });
            requant::layout(b, None, Some(w), false, n.id)
        })
        .collect()
}

pub(super) fn relu(b: &mut Builder, n: &Node) -> Vec<WireId> {
    n.inputs[0].iter().map(|&a| requant::layout(b, None, Some(a), true, n.id)).collect()
}

/// One (2^s) where the input is ≥ 0, else 0: the range check's sign, scaled in pointwise rows.
pub(super) fn non_neg(b: &mut Builder, n: &Node) -> Vec<WireId> {
    let one = 1i128 << n.model.scale_bits;
    let signs: Vec<_> =
        n.inputs[0].iter().map(|&a| (requant::layout_with_sign(b, None, Some(a), false, n.id).1, one, 0)).collect();
    pointwise::layout(b, &signs)
}
