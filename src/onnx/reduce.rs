//! Reductions that are not affine: argmax/argmin, softmax, RMS normalisation and mean of squares,
//! lowered onto gadgets the circuit has (relu, sign, product, lookup table).

use super::steps::{reduce_windows, window_of, Chain, Src, Step};
use crate::graph::{Op, ScalarFn};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::array::Topk;
use tract_onnx::tract_core::ops::nn::{Reduce, Reducer, RmsNorm, Softmax, SoftmaxKind};

/// Longest axis a sorting network is built for (n rounds of n/2 comparators).
const MAX_SORT: usize = 64;

pub(super) fn lower(model: &TypedModel, node: &TypedNode, vars: &[OutletId]) -> Option<Vec<Step>> {
    if vars.len() != 1 || node.inputs[0] != vars[0] {
        return None;
    }
    let shape = super::shape_of(model, vars[0]);
    let n: usize = shape.iter().product();
    let x = Src::Var(0);
    let mut chain = Chain::default();
    if let Some(r) = node.op_as::<Reduce>() {
        let windows = reduce_windows(&shape, &r.axes);
        match r.reducer {
            Reducer::ArgMax(last) => {
                argmax(&mut chain, x, &windows, false, last);
            }
            Reducer::ArgMin(last) => {
                argmax(&mut chain, x, &windows, true, last);
            }
            Reducer::MeanOfSquares => {
                let sq = chain.mul(x, x);
                chain.window_sum(sq, &windows, 1.0 / windows[0].len() as f32, 0.0);
            }
            _ => return None,
        }
    } else if let Some(s) = node.op_as::<Softmax>() {
        let windows = reduce_windows(&shape, &s.axes);
        let of = window_of(&windows, n);
        // Shift by the window's maximum so every exponent is ≤ 0 and the sum lies in [1, len].
        let max = chain.running_extremum(x, &windows, false);
        let max_b = chain.gather(max, &of);
        let d = chain.ew(n, &[(x, 1.0), (max_b, -1.0)], vec![0.0; n]);
        let e = chain.map("exp", f32::exp, d);
        let sum = chain.window_sum(e, &windows, 1.0, 0.0);
        match s.kind {
            SoftmaxKind::Softmax => {
                let r = chain.map("recip", f32::recip, sum);
                let r_b = chain.gather(r, &of);
                chain.mul(e, r_b);
            }
            SoftmaxKind::LogSoftmax => {
                let l = chain.map("ln", f32::ln, sum);
                let l_b = chain.gather(l, &of);
                chain.ew(n, &[(d, 1.0), (l_b, -1.0)], vec![0.0; n]);
            }
        }
    } else if let Some(r) = node.op_as::<RmsNorm>() {
        let eps = r.eps.cast_to_scalar::<f32>().ok()?;
        let windows = reduce_windows(&shape, &[r.axis]);
        rms_norm(&mut chain, x, &windows, eps);
    } else if let Some(t) = node.op_as::<Topk>() {
        // Values only: the indices output must be unused.
        let indices = OutletId::new(node.id, 1);
        if !model.outlet_successors(indices).is_empty() || model.output_outlets().ok()?.contains(&indices) {
            return None;
        }
        let out_shape = super::shape_of(model, OutletId::new(node.id, 0));
        let windows = reduce_windows(&shape, &[t.axis]);
        if windows[0].len() > MAX_SORT {
            return None;
        }
        top_k(&mut chain, x, &windows, &reduce_windows(&out_shape, &[t.axis]), t.largest);
    } else {
        return None;
    }
    Some(chain.steps)
}

/// `x / sqrt(mean(x²) + ε)` over each window. ε is inside the table (`1/sqrt(v + ε)`), not added
/// to the mean: it is usually far below the grid step, and a row whose mean square rounds to 0
/// (a constant row, centred) must read 1/sqrt(ε), not a pole.
fn rms_norm(chain: &mut Chain, x: Src, windows: &[Vec<usize>], eps: f32) -> Src {
    let n: usize = windows.iter().map(|w| w.len()).sum();
    let sq = chain.mul(x, x);
    let ms = chain.window_sum(sq, windows, 1.0 / windows[0].len() as f32, 0.0);
    let f = ScalarFn::new(format!("rsqrt(x+{eps:e})"), move |vs| vs.iter().map(|v| 1.0 / (v + eps).sqrt()).collect());
    let inv = chain.push(Op::Map { f }, vec![ms]);
    let inv_b = chain.gather(inv, &window_of(windows, n));
    chain.mul(x, inv_b)
}

/// tract's layer norm: `RmsNorm(x − Mul(ReduceSum(x), 1/n))` over one axis. Returns x.
pub(super) fn centred_source(model: &TypedModel, node: &TypedNode) -> Option<OutletId> {
    let axis = node.op_as::<RmsNorm>()?.axis;
    let sub = model.node(node.inputs[0].node);
    if sub.op.name() != "Sub" || sub.inputs.len() != 2 {
        return None;
    }
    let (x, mean) = (sub.inputs[0], model.node(sub.inputs[1].node));
    let n = *super::shape_of(model, x).get(axis)? as f32;
    if mean.op.name() != "Mul" || mean.inputs.len() != 2 {
        return None;
    }
    let recip = mean.inputs.iter().find_map(|&o| super::const_of(model, o))?;
    let sum = mean.inputs.iter().map(|o| model.node(o.node)).find(|m| m.inputs == [x])?;
    let is_sum = sum.op_as::<Reduce>().is_some_and(|r| r.reducer == Reducer::Sum && r.axes[..] == [axis]);
    (is_sum && recip.len() == 1 && (recip[0] * n - 1.0).abs() < 1e-6).then_some(x)
}

/// The layer norm from x itself, so a constant row normalises to exactly 0. tract's mean goes
/// through a rounded 1/n, and x − round(mean) on a constant row is an ulp, which the norm then
/// multiplies by 1/sqrt(ε) (316 for ε = 1e-5). Here d = n·x − Σx is exact (integer
/// coefficients), and e = d/n is its only rounding, 0 wherever d is.
pub(super) fn centred_norm(model: &TypedModel, node: &TypedNode, x: OutletId) -> Option<Vec<Step>> {
    let r = node.op_as::<RmsNorm>()?;
    let eps = r.eps.cast_to_scalar::<f32>().ok()?;
    let shape = super::shape_of(model, x);
    let windows = reduce_windows(&shape, &[r.axis]);
    let (n, len) = (shape.iter().product::<usize>(), windows[0].len());
    let of = window_of(&windows, n);
    let mut chain = Chain::default();
    let sum = chain.window_sum(Src::Var(0), &windows, 1.0, 0.0);
    let terms = (0..n).map(|i| vec![(0, i, len as f32), (1, of[i], -1.0)]).collect();
    let d = chain.push(Op::Affine { terms, bias: vec![0.0; n] }, vec![Src::Var(0), sum]);
    let e = chain.ew(n, &[(d, 1.0 / len as f32)], vec![0.0; n]);
    rms_norm(&mut chain, e, &windows, eps);
    Some(chain.steps)
}

/// Sorts each window with an odd-even transposition network (compare-exchange: r = relu(a − b),
/// max = b + r, min = a − r) and keeps the first k: the k largest (or smallest) in order.
fn top_k(chain: &mut Chain, x: Src, windows: &[Vec<usize>], out_windows: &[Vec<usize>], largest: bool) -> Src {
    let len = windows[0].len();
    let flat: Vec<usize> = windows.iter().flatten().copied().collect();
    let total = flat.len();
    let mut cur = chain.gather(x, &flat);
    for round in 0..len {
        let pairs: Vec<(usize, usize)> = (0..windows.len())
            .flat_map(|w| (round % 2..len.saturating_sub(1)).step_by(2).map(move |i| (w * len + i, w * len + i + 1)))
            .collect();
        if pairs.is_empty() {
            continue;
        }
        // The first of each pair ends up with the larger value (descending) or the smaller.
        let sigma = if largest { 1.0 } else { -1.0 };
        let d_terms = pairs.iter().map(|&(a, b)| vec![(0, b, sigma), (0, a, -sigma)]).collect();
        let d = chain.push(Op::Affine { terms: d_terms, bias: vec![0.0; pairs.len()] }, vec![cur]);
        let r = chain.push(Op::Relu, vec![d]);
        // a' = a + σ·r, b' = b − σ·r: swaps when b beats a.
        let mut terms: Vec<Vec<(usize, usize, f32)>> = (0..total).map(|i| vec![(0, i, 1.0)]).collect();
        for (p, &(a, b)) in pairs.iter().enumerate() {
            terms[a].push((1, p, sigma));
            terms[b].push((1, p, -sigma));
        }
        cur = chain.push(Op::Affine { terms, bias: vec![0.0; total] }, vec![cur, r]);
    }
    let n_out: usize = out_windows.iter().map(|w| w.len()).sum();
    let mut terms = vec![vec![]; n_out];
    for (w, ow) in out_windows.iter().enumerate() {
        for (t, &o) in ow.iter().enumerate() {
            terms[o] = vec![(0, w * len + t, 1.0)];
        }
    }
    chain.push(Op::Affine { terms, bias: vec![0.0; n_out] }, vec![cur])
}

/// Index of the maximum (of −x for argmin) in each window, the first one on ties unless `last`.
/// Scanning with "take x_t when x_t ≥ best" keeps the last index scanned among equals, so the
/// scan runs backwards for the first index. Per element: a relu for the running best, the sign
/// of x_t − best, and a product c·(t − idx) to move the index.
fn argmax(chain: &mut Chain, x: Src, windows: &[Vec<usize>], min: bool, last: bool) -> Src {
    let k = windows.len();
    let len = windows[0].len();
    let sigma = if min { -1.0 } else { 1.0 };
    let order: Vec<usize> = if last { (0..len).collect() } else { (0..len).rev().collect() };
    let at = |chain: &mut Chain, t: usize| {
        let g = chain.gather(x, &windows.iter().map(|w| w[t]).collect::<Vec<_>>());
        chain.ew(k, &[(g, sigma)], vec![0.0; k])
    };
    let mut best = at(chain, order[0]);
    let mut idx = chain.push(Op::Affine { terms: vec![vec![]; k], bias: vec![order[0] as f32; k] }, vec![]);
    for &t in &order[1..] {
        let xt = at(chain, t);
        let d = chain.ew(k, &[(xt, 1.0), (best, -1.0)], vec![0.0; k]);
        let take = chain.push(Op::NonNeg, vec![d]);
        let r = chain.push(Op::Relu, vec![d]);
        best = chain.ew(k, &[(best, 1.0), (r, 1.0)], vec![0.0; k]);
        let to_t = chain.ew(k, &[(idx, -1.0)], vec![t as f32; k]);
        let moved = chain.mul(take, to_t);
        idx = chain.ew(k, &[(idx, 1.0), (moved, 1.0)], vec![0.0; k]);
    }
    idx
}
