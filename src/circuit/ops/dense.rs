//! Dense (matmul with a constant matrix, plus bias), then a requant block per output. Over one
//! input row each output is a chained sum (linear-gadget rows with the weights fixed, or with
//! private weights dot-gadget pairs of weight wires); over many rows (a sequence, a batch) the
//! whole product is one randomised check (`freivalds`) when that takes fewer rows.

use super::super::builder::{Builder, WireId};
use super::super::freivalds::{self, Product, Weights};
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
    let direct = rows * cols * (k + n.private as usize).div_ceil(if n.private { b.lanes / 2 } else { b.lanes });
    if freivalds::rows(cols, k + 1, rows, b.lanes, !n.private) < direct {
        return checked(b, n, k, cols, weight, bias, relu);
    }
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

/// The whole product as one check: W is the transposed weight matrix with the bias as its last
/// column, X the input rows transposed with a row of ones.
#[allow(clippy::too_many_arguments)]
fn checked(b: &mut Builder, n: &Node, k: usize, cols: usize, weight: &[i64], bias: &[i128], relu: bool) -> Vec<WireId> {
    let x = n.inputs[0];
    let rows = x.len() / k;
    let one = linear::constant(b, 1);
    let mut gathered = Vec::with_capacity((k + 1) * rows);
    for i in 0..k {
        gathered.extend((0..rows).map(|m| x[m * k + i]));
    }
    gathered.extend(std::iter::repeat_n(one, rows));
    let at = |j: usize, i: usize| if i < k { weight[i * cols + j] as i128 } else { bias[j] };
    let weights = if n.private {
        let w: Vec<WireId> = weight.iter().map(|&v| b.weight(v as i128)).collect();
        let bw: Vec<WireId> = bias.iter().map(|&v| b.weight(v)).collect();
        Weights::Wires(
            (0..cols)
                .flat_map(|j| (0..=k).map(|i| if i < k { w[i * cols + j] } else { bw[j] }).collect::<Vec<_>>())
                .collect(),
        )
    } else {
        Weights::Fixed((0..cols).flat_map(|j| (0..=k).map(move |i| at(j, i))).collect())
    };
    let y = freivalds::layout(b, Product { c: cols, k: k + 1, p: rows, weights, x: gathered });
    // Outputs row-major [rows, cols]: y holds Y[j][m] at j·rows + m.
    let mut ws = Vec::with_capacity(rows * cols);
    for m in 0..rows {
        for j in 0..cols {
            ws.push(requant::layout(b, Some(y[j * rows + m]), None, relu, n.id));
        }
    }
    ws
}
