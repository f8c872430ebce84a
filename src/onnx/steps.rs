//! One tract node may become a short chain of IR nodes ("steps"): a comparison becomes a
//! difference and a sign, a softmax a running maximum, a table lookup, a sum and a product.
//! `Chain` builds such chains with the few shapes of affine map they need.

use crate::graph::{Op, ScalarFn};
use tract_onnx::prelude::*;

pub(super) struct Step {
    pub op: Op,
    pub inputs: Vec<Src>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Src {
    /// The tract node's i-th variable input.
    Var(usize),
    /// An earlier step of the chain.
    Step(usize),
    /// An IR node already imported.
    Node(usize),
}

#[derive(Default)]
pub(super) struct Chain {
    pub steps: Vec<Step>,
}

impl Chain {
    pub fn push(&mut self, op: Op, inputs: Vec<Src>) -> Src {
        self.steps.push(Step { op, inputs });
        Src::Step(self.steps.len() - 1)
    }

    /// `y_j = bias_j + Σ c·part_j`, elementwise over n positions.
    pub fn ew(&mut self, n: usize, parts: &[(Src, f32)], bias: Vec<f32>) -> Src {
        let terms = (0..n).map(|j| parts.iter().enumerate().map(|(slot, &(_, c))| (slot, j, c)).collect()).collect();
        self.push(Op::Affine { terms, bias }, parts.iter().map(|p| p.0).collect())
    }

    /// `y_j = src[index_j]`: pure wiring, no rows.
    pub fn gather(&mut self, src: Src, index: &[usize]) -> Src {
        let terms = index.iter().map(|&i| vec![(0, i, 1.0)]).collect();
        self.push(Op::Affine { terms, bias: vec![0.0; index.len()] }, vec![src])
    }

    /// `y_j = Σ_{i ∈ window_j} coeff·src[i] + bias`.
    pub fn window_sum(&mut self, src: Src, windows: &[Vec<usize>], coeff: f32, bias: f32) -> Src {
        let terms = windows.iter().map(|w| w.iter().map(|&i| (0, i, coeff)).collect()).collect();
        self.push(Op::Affine { terms, bias: vec![bias; windows.len()] }, vec![src])
    }

    pub fn map(&mut self, name: &str, f: fn(f32) -> f32, src: Src) -> Src {
        let f = ScalarFn::new(name, move |xs| xs.iter().map(|&x| f(x)).collect());
        self.push(Op::Map { f }, vec![src])
    }

    pub fn mul(&mut self, a: Src, b: Src) -> Src {
        self.push(Op::Mul, vec![a, b])
    }

    /// Max (or min) of `x` over each window as a running maximum, m ← m + relu(x − m), one relu
    /// per element after the first; a minimum is the maximum of −x, negated. Shorter windows
    /// repeat their first element (its relu is then zero), so every output takes the same steps.
    pub fn running_extremum(&mut self, x: Src, windows: &[Vec<usize>], is_min: bool) -> Src {
        let sigma = if is_min { -1.0 } else { 1.0 };
        let n = windows.len();
        let at = |w: &Vec<usize>, t: usize| *w.get(t).unwrap_or(&w[0]);
        let first = windows.iter().map(|w| vec![(0, w[0], sigma)]).collect();
        let mut m = self.push(Op::Affine { terms: first, bias: vec![0.0; n] }, vec![x]);
        for t in 1..windows.iter().map(|w| w.len()).max().unwrap_or(1) {
            let d = windows.iter().enumerate().map(|(j, w)| vec![(0, at(w, t), sigma), (1, j, -1.0)]).collect();
            let d = self.push(Op::Affine { terms: d, bias: vec![0.0; n] }, vec![x, m]);
            let r = self.push(Op::Relu, vec![d]);
            m = self.ew(n, &[(m, 1.0), (r, 1.0)], vec![0.0; n]);
        }
        if is_min {
            self.ew(n, &[(m, -1.0)], vec![0.0; n])
        } else {
            m
        }
    }
}

/// A node input as a chain sees it: a variable (a source) or a constant's values.
pub(super) enum Operand {
    Var(Src),
    Const(Vec<f32>),
}

impl Operand {
    /// Input `i` of `node`. With `broadcast`, a variable must already have that many elements
    /// and a constant is broadcast to that shape.
    pub fn of(
        model: &TypedModel,
        node: &TypedNode,
        i: usize,
        vars: &[OutletId],
        broadcast: Option<&[usize]>,
    ) -> Option<Operand> {
        let o = *node.inputs.get(i)?;
        if let Some(slot) = vars.iter().position(|&v| v == o) {
            let fits = broadcast
                .is_none_or(|s| super::shape_of(model, o).iter().product::<usize>() == s.iter().product::<usize>());
            return fits.then_some(Operand::Var(Src::Var(slot)));
        }
        let Some(shape) = broadcast else { return super::const_of(model, o).map(Operand::Const) };
        let k = model.outlet_fact(o).ok()?.konst.clone()?;
        let k = k.cast_to::<f32>().ok()?.into_owned();
        let view = k.to_plain_array_view::<f32>().ok()?;
        Some(Operand::Const(view.broadcast(shape.to_vec())?.iter().copied().collect()))
    }
}

/// An affine step built term by term: each source is registered once, constants fold into the
/// bias.
pub(super) struct AffineBuilder {
    srcs: Vec<Src>,
    terms: Vec<Vec<(usize, usize, f32)>>,
    bias: Vec<f32>,
}

impl AffineBuilder {
    pub fn new(n: usize) -> Self {
        AffineBuilder { srcs: vec![], terms: vec![vec![]; n], bias: vec![0.0; n] }
    }

    /// Output j += c·src[i].
    pub fn src(&mut self, j: usize, s: Src, i: usize, c: f32) {
        let slot = self.srcs.iter().position(|x| *x == s).unwrap_or_else(|| {
            self.srcs.push(s);
            self.srcs.len() - 1
        });
        self.terms[j].push((slot, i, c));
    }

    /// Output j += c·t[i].
    pub fn add(&mut self, j: usize, t: &Operand, i: usize, c: f32) {
        match t {
            Operand::Var(s) => self.src(j, *s, i, c),
            Operand::Const(v) => self.bias[j] += c * v[i],
        }
    }

    pub fn constant(&mut self, j: usize, c: f32) {
        self.bias[j] += c;
    }

    pub fn finish(self, chain: &mut Chain) -> Src {
        chain.push(Op::Affine { terms: self.terms, bias: self.bias }, self.srcs)
    }
}

/// For each output position of a reduction over `axes` of a tensor of `shape` (row-major, the
/// reduced axes kept as size 1), the flat input indices it reduces, in order.
pub(super) fn reduce_windows(shape: &[usize], axes: &[usize]) -> Vec<Vec<usize>> {
    let strides: Vec<usize> = (0..shape.len()).map(|i| shape[i + 1..].iter().product()).collect();
    let out_shape: Vec<usize> = shape.iter().enumerate().map(|(a, &d)| if axes.contains(&a) { 1 } else { d }).collect();
    let red_shape: Vec<usize> = shape.iter().enumerate().map(|(a, &d)| if axes.contains(&a) { d } else { 1 }).collect();
    let unflat = |mut i: usize, dims: &[usize]| -> Vec<usize> {
        let mut idx = vec![0; dims.len()];
        for a in (0..dims.len()).rev() {
            idx[a] = i % dims[a];
            i /= dims[a];
        }
        idx
    };
    let n_out: usize = out_shape.iter().product();
    let n_red: usize = red_shape.iter().product();
    (0..n_out)
        .map(|o| {
            let base = unflat(o, &out_shape);
            (0..n_red)
                .map(|r| {
                    let off = unflat(r, &red_shape);
                    base.iter().zip(&off).zip(&strides).map(|((b, o), s)| (b + o) * s).sum()
                })
                .collect()
        })
        .collect()
}

/// For each input position, the output position of the reduction window it belongs to.
pub(super) fn window_of(windows: &[Vec<usize>], n: usize) -> Vec<usize> {
    let mut of = vec![0; n];
    for (j, w) in windows.iter().enumerate() {
        for &i in w {
            of[i] = j;
        }
    }
    of
}

#[cfg(test)]
mod tests {
    use super::reduce_windows;

    #[test]
    fn windows_of_a_reduction() {
        assert_eq!(reduce_windows(&[2, 3], &[1]), vec![vec![0, 1, 2], vec![3, 4, 5]]);
        assert_eq!(reduce_windows(&[2, 3], &[0]), vec![vec![0, 3], vec![1, 4], vec![2, 5]]);
        assert_eq!(reduce_windows(&[2, 2, 2], &[0, 2]), vec![vec![0, 1, 4, 5], vec![2, 3, 6, 7]]);
    }
}
