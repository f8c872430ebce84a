//! Table ops: a pointwise function on the model's table grid (`Lut`), and constant data keyed by
//! a computed integer index (`Select`). Both go through the lookup gadget; equal tables share a
//! tag.

use super::super::builder::{Builder, Table, WireId};
use super::super::lut;
use super::Node;
use crate::error::{Error, Result};

pub(super) fn lut(b: &mut Builder, n: &Node, lo: i64, values: &[i64], shift: u32) -> Vec<WireId> {
    let tag = b.table_tag(Table { lo, step: 1, values: values.to_vec() });
    n.inputs[0].iter().map(|&w| lut::layout(b, w, n.id, tag, shift)).collect()
}

/// Keyed by the index itself (integers at scale 2^s): no rescale.
pub(super) fn select(b: &mut Builder, n: &Node, values: &[i64]) -> Result<Vec<WireId>> {
    let model = n.model;
    // Its entries become activations without a range check of their own.
    if let Some(v) = values.iter().find(|&&v| (v as i128) < -model.range_bound() || v as i128 >= model.range_bound()) {
        return Err(Error::Layout(format!(
            "node `{}` looks up a constant of {} outside the activation range ±{}: use a smaller --scale-bits",
            n.node.name,
            *v as f64 / model.scale(),
            model.range_bound() as f64 / model.scale()
        )));
    }
    let tag = b.table_tag(Table { lo: 0, step: 1 << model.scale_bits, values: values.to_vec() });
    Ok(n.inputs[0].iter().map(|&w| lut::layout(b, w, n.id, tag, 0)).collect())
}
