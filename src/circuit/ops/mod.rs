//! The op tier: one file per quantised op (or family of ops), each laying its op out from the
//! gadgets. `Layout::plan` calls `layout` once per model node, in order; an op sees its inputs'
//! wires and returns its output wires, one per element.
//!
//! An op file never declares columns or gates: a new gate is a new gadget (its own file and a
//! line of `gadget::registry!`), which ops then call.

mod affine;
mod arith;
mod conv;
mod dense;
mod input;
mod table;

use super::builder::{Builder, WireId};
use crate::error::Result;
use crate::quant::{QNode, QOp, QuantModel};

/// One model node as its op's layout sees it.
pub(super) struct Node<'a> {
    pub model: &'a QuantModel,
    /// The node's index: range checks name it when a value leaves its calibrated range.
    pub id: usize,
    pub node: &'a QNode,
    /// The wires of each input, in the node's input order.
    pub inputs: Vec<&'a [WireId]>,
    /// Whether parameters are private advice (the private and hashed weight modes).
    pub private: bool,
}

/// Lays out one node; returns its output wires.
pub(super) fn layout(b: &mut Builder, n: &Node) -> Result<Vec<WireId>> {
    Ok(match &n.node.op {
        QOp::Input { index } => input::layout(b, n, *index),
        QOp::Dense { k, n: cols, weight, bias, relu } => dense::layout(b, n, *k, *cols, weight, bias, *relu),
        QOp::Conv { geometry, weight, bias, relu } => conv::layout(b, n, geometry, weight, bias, *relu),
        QOp::Add => arith::add(b, n),
        QOp::AddConst { value } => arith::add_const(b, n, value),
        QOp::Mul => arith::mul(b, n),
        QOp::Bilinear { terms } => arith::bilinear(b, n, terms),
        QOp::MatMul(mm) => arith::matmul(b, n, mm),
        QOp::Relu => input::relu(b, n),
        QOp::NonNeg => input::non_neg(b, n),
        QOp::Reshape => n.inputs[0].to_vec(),
        QOp::Affine { terms, bias, rescale, relu, params } => match params {
            Some(ids) if n.private => affine::private(b, n, terms, bias, ids, *rescale, *relu),
            _ => affine::fixed(b, n, terms, bias, *rescale, *relu),
        },
        QOp::Lut { lo, values, shift } => table::lut(b, n, *lo, values, *shift),
        QOp::Select { values } => table::select(b, n, values)?,
    })
}
