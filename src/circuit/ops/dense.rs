//! Dense (matmul with a constant matrix, plus bias): one chained linear-gadget sum per output,
//! then a requant block. With private weights each product is a dot-gadget pair instead, the
//! weight a private wire.

use super::super::builder::{Builder, WireId};
use super::super::{dot, linear, requant};
use super::Node;

#[allow(clippy::too_many_arguments)]
pub(super) fn layout(
    b: &mut Builder,
    n: &Node,
    k: usize,
    cols: usize,
    weight: &[i64],
    bias: &[i128],
    relu: bool,
) -> Vec<WireId> {
    let x = n.inputs[0];
    let rows = x.len() / k;
    let mut ws = Vec::with_capacity(rows * cols);
    if n.private {
        let w: Vec<WireId> = weight.iter().map(|&v| b.weight(v as i128)).collect();
        let bw: Vec<WireId> = bias.iter().map(|&v| b.weight(v)).collect();
        let one = linear::constant(b, 1);
        for m in 0..rows {
            for j in 0..cols {
                let mut pairs: Vec<(WireId, WireId)> = (0..k).map(|i| (x[m * k + i], w[i * cols + j])).collect();
                pairs.push((bw[j], one));
                let acc = dot::layout(b, &pairs);
                ws.push(requant::layout(b, Some(acc), None, relu, n.id));
            }
        }
    } else {
        for m in 0..rows {
            for j in 0..cols {
                let terms: Vec<(WireId, i128)> = (0..k).map(|i| (x[m * k + i], weight[i * cols + j] as i128)).collect();
                let acc = linear::layout(b, &terms, bias[j]);
                ws.push(requant::layout(b, Some(acc), None, relu, n.id));
            }
        }
    }
    ws
}
