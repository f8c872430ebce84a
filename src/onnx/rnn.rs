//! Recurrent cells. tract unrolls ONNX LSTM/GRU/RNN over the sequence into matmuls and one fused
//! "epilogue" per step holding the gate non-linearities; the epilogue becomes sigmoid and tanh
//! tables, products and sums. An LSTM epilogue has two outputs (hidden and cell state).

use super::steps::{AffineBuilder, Chain, Operand, Src, Step};

use crate::graph::Op;
use tract_onnx::prelude::*;

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn input(model: &TypedModel, node: &TypedNode, vars: &[OutletId], i: usize) -> Option<Operand> {
    Operand::of(model, node, i, vars, None)
}

/// `a + c·b` elementwise over n positions of two inputs, each taken at `ia[j]`/`ib[j]`.
fn combine(chain: &mut Chain, n: usize, a: (&Operand, &[usize]), b: (&Operand, &[usize], f32)) -> Src {
    let mut sum = AffineBuilder::new(n);
    for j in 0..n {
        sum.add(j, a.0, a.1[j], 1.0);
        sum.add(j, b.0, b.1[j], b.2);
    }
    sum.finish(chain)
}

/// `y = x·c` for a variable x and an input c (a product when c varies, a scaling when constant).
fn times(chain: &mut Chain, n: usize, x: Src, c: &Operand, idx: &[usize]) -> Src {
    match c {
        Operand::Var(s) => {
            let g = chain.gather(*s, idx);
            chain.mul(x, g)
        }
        Operand::Const(v) => {
            let terms = (0..n).map(|j| vec![(0, j, v[idx[j]])]).collect();
            chain.push(Op::Affine { terms, bias: vec![0.0; n] }, vec![x])
        }
    }
}

/// Steps, and for outputs beyond the first, the step computing each.
pub(super) fn lower(model: &TypedModel, node: &TypedNode, vars: &[OutletId]) -> Option<(Vec<Step>, Vec<usize>)> {
    let name = node.op.name();
    let mut chain = Chain::default();
    let last = |chain: &Chain| chain.steps.len() - 1;
    match name.as_ref() {
        // pre = [i, o, f, c̃] per row; C = σf·C_prev + σi·tanh c̃; H = σo·tanh C.
        "LstmEpilogue" => {
            let c_prev = input(model, node, vars, 1)?;
            let hs = super::shape_of(model, node.inputs[1]);
            let h = *hs.last()?;
            let n: usize = hs.iter().product();
            let pre = input(model, node, vars, 0)?;
            let Operand::Var(pre) = pre else { return None };
            let gate = |g: usize| -> Vec<usize> { (0..n).map(|j| (j / h) * 4 * h + g * h + j % h).collect() };
            let i_g = chain.gather(pre, &gate(0));
            let o_g = chain.gather(pre, &gate(1));
            let f_g = chain.gather(pre, &gate(2));
            let c_g = chain.gather(pre, &gate(3));
            let (i, o, f) = (
                chain.map("sigmoid", sigmoid, i_g),
                chain.map("sigmoid", sigmoid, o_g),
                chain.map("sigmoid", sigmoid, f_g),
            );
            let cc = chain.map("tanh", f32::tanh, c_g);
            let ic = chain.mul(i, cc);
            let c = match &c_prev {
                // A zero cell state (the first step of a sequence): nothing to forget.
                Operand::Const(v) if v.iter().all(|&x| x == 0.0) => ic,
                _ => {
                    let all: Vec<usize> = (0..n).collect();
                    let fc = times(&mut chain, n, f, &c_prev, &all);
                    chain.ew(n, &[(fc, 1.0), (ic, 1.0)], vec![0.0; n])
                }
            };
            let c_step = last(&chain);
            let tc = chain.map("tanh", f32::tanh, c);
            chain.mul(o, tc);
            // The hidden state must be the last step (output 0); the cell state is output 1.
            Some((chain.steps, vec![c_step]))
        }
        // z, r = σ(xh + rh) on the first 2h; c̃ = tanh(xh_c + r·rh_c); H = c̃ + z·(H_prev − c̃).
        "GruEpilogue" => {
            let (xh, rh, hp) =
                (input(model, node, vars, 0)?, input(model, node, vars, 1)?, input(model, node, vars, 2)?);
            let hs = super::shape_of(model, node.inputs[2]);
            let h = *hs.last()?;
            let n: usize = hs.iter().product();
            let gate = |g: usize| -> Vec<usize> { (0..n).map(|j| (j / h) * 3 * h + g * h + j % h).collect() };
            let zs = combine(&mut chain, n, (&xh, &gate(0)), (&rh, &gate(0), 1.0));
            let rs = combine(&mut chain, n, (&xh, &gate(1)), (&rh, &gate(1), 1.0));
            let (z, r) = (chain.map("sigmoid", sigmoid, zs), chain.map("sigmoid", sigmoid, rs));
            let r_rh = times(&mut chain, n, r, &rh, &gate(2));
            let xc = match &xh {
                Operand::Var(s) => chain.gather(*s, &gate(2)),
                Operand::Const(v) => {
                    let g = gate(2);
                    chain.push(Op::Affine { terms: vec![vec![]; n], bias: g.iter().map(|&k| v[k]).collect() }, vec![])
                }
            };
            let pre_c = chain.ew(n, &[(xc, 1.0), (r_rh, 1.0)], vec![0.0; n]);
            let cand = chain.map("tanh", f32::tanh, pre_c);
            let all: Vec<usize> = (0..n).collect();
            // H_prev − c̃, then z·(…), then c̃ + that.
            let diff = match &hp {
                Operand::Var(s) => chain.ew(n, &[(*s, 1.0), (cand, -1.0)], vec![0.0; n]),
                Operand::Const(v) => chain.ew(n, &[(cand, -1.0)], all.iter().map(|&j| v[j]).collect()),
            };
            let zd = chain.mul(z, diff);
            chain.ew(n, &[(cand, 1.0), (zd, 1.0)], vec![0.0; n]);
            Some((chain.steps, vec![]))
        }
        _ => None,
    }
}
