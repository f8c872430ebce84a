//! Affine maps read off the model (slices, pads, transposes, concats, convolutions, pooling, any
//! sum of inputs with constant coefficients), optionally rescaled and rectified.

use super::super::builder::{Builder, WireId};
use super::super::{dot, linear, pointwise, requant};
use super::Node;
use crate::quant::ParamIds;
use std::collections::HashMap;

/// Coefficients in the linear gadget's fixed columns.
pub(super) fn fixed(
    b: &mut Builder,
    n: &Node,
    terms: &[Vec<(usize, usize, i64)>],
    bias: &[i128],
    rescale: bool,
    relu: bool,
) -> Vec<WireId> {
    let mut ws: Vec<Option<WireId>> = Vec::with_capacity(terms.len());
    // Outputs of one term (a scaled or shifted copy), packed into pointwise rows at the end.
    let mut single = vec![];
    for (j, (t, &c)) in terms.iter().zip(bias).enumerate() {
        let t: Vec<(WireId, i128)> = t.iter().map(|&(sl, i, coeff)| (n.inputs[sl][i], coeff as i128)).collect();
        ws.push(match (t.as_slice(), rescale) {
            // Pure wiring (slice, pad, transpose, concat…) costs no rows.
            ([(w, 1)], false) if c == 0 => Some(*w),
            ([], false) => Some(linear::constant(b, c)),
            (&[(w, m)], false) if m != 0 => {
                single.push((j, (w, m, c)));
                None
            }
            (_, false) => Some(linear::layout(b, &t, c)),
            (_, true) => {
                let acc = linear::layout(b, &t, c);
                Some(requant::layout(b, Some(acc), None, relu, n.id))
            }
        });
    }
    let items: Vec<_> = single.iter().map(|&(_, item)| item).collect();
    for (&(j, _), y) in single.iter().zip(pointwise::layout(b, &items)) {
        ws[j] = Some(y);
    }
    ws.into_iter().map(|w| w.expect("every output is laid out")).collect()
}

/// Parameters as private wires, one per parameter however often it recurs (a convolution's
/// kernel is one set of wires, not one per position): dot-gadget pairs, the bias times one.
pub(super) fn private(
    b: &mut Builder,
    n: &Node,
    terms: &[Vec<(usize, usize, i64)>],
    bias: &[i128],
    ids: &ParamIds,
    rescale: bool,
    relu: bool,
) -> Vec<WireId> {
    let mut wire_of: HashMap<(u32, bool), WireId> = Default::default();
    let one = linear::constant(b, 1);
    let mut ws = Vec::with_capacity(terms.len());
    for (j, t) in terms.iter().enumerate() {
        let mut pairs = Vec::with_capacity(t.len() + 1);
        for (&(sl, i, c), &p) in t.iter().zip(&ids.terms[j]) {
            let w = *wire_of.entry((p, false)).or_insert_with(|| b.weight(c as i128));
            pairs.push((n.inputs[sl][i], w));
        }
        if let Some(p) = ids.bias[j] {
            let w = *wire_of.entry((p, true)).or_insert_with(|| b.weight(bias[j]));
            pairs.push((w, one));
        }
        let acc = dot::layout(b, &pairs);
        ws.push(if rescale { requant::layout(b, Some(acc), None, relu, n.id) } else { acc });
    }
    ws
}
