//! Convolution geometry read off a model's Conv and ConvTranspose nodes (kernel, strides,
//! paddings, dilations, groups), never probed: a product of weights and gathered input patches
//! per group, `Y[c][p] = bias[c] + Σ_i W[c][i]·X[i][p]`, which the circuit proves as one
//! randomised product check however many multiplies it has (`circuit::freivalds`).
//!
//! Indexing, per group g: i runs over (input channel of the group, kernel position), row-major
//! over the kernel; p over (batch, output position), row-major; c over the group's output
//! channels. Tensors are NCHW (any number of spatial axes), weights `[c_out, c_in/groups, kernel…]`.

use serde::{Deserialize, Serialize};

/// One convolution's shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conv {
    /// Batch size N.
    pub batch: usize,
    /// Channel groups (1: dense over channels; `c_in`: depthwise).
    pub groups: usize,
    /// Input channels, all groups.
    pub c_in: usize,
    /// Output channels, all groups.
    pub c_out: usize,
    /// Spatial input extent per axis.
    pub input: Vec<usize>,
    /// Spatial output extent per axis.
    pub output: Vec<usize>,
    /// Kernel extent per axis.
    pub kernel: Vec<usize>,
    /// Stride per axis.
    pub strides: Vec<usize>,
    /// Dilation per axis.
    pub dilations: Vec<usize>,
    /// Padding before each axis (after-padding only shortens or lengthens `output`).
    pub pads: Vec<usize>,
    /// A transposed convolution: input position q feeds output `q·stride + k·dilation − pad`.
    pub transpose: bool,
}

fn volume(dims: &[usize]) -> usize {
    dims.iter().product()
}

impl Conv {
    /// Output channels per group: the rows of W.
    pub fn c(&self) -> usize {
        self.c_out / self.groups
    }

    /// The contracted length per group: input channels of the group × kernel volume.
    pub fn k(&self) -> usize {
        self.c_in / self.groups * volume(&self.kernel)
    }

    /// Positions: batch × output volume.
    pub fn p(&self) -> usize {
        self.batch * volume(&self.output)
    }

    /// Weights in the model's tensor: `c_out × k`.
    pub fn weights(&self) -> usize {
        self.c_out * self.k()
    }

    /// The checks a lowering relies on: positive extents that agree, and an output the
    /// geometry yields.
    pub fn valid(&self) -> bool {
        let rank = self.input.len();
        let lens = [&self.output, &self.kernel, &self.strides, &self.dilations, &self.pads];
        rank > 0
            && lens.iter().all(|v| v.len() == rank)
            && self.groups > 0
            && self.c_in.is_multiple_of(self.groups)
            && self.c_out.is_multiple_of(self.groups)
            && [self.batch, self.c_in, self.c_out].iter().chain(&self.kernel).chain(&self.strides).all(|&d| d > 0)
            && self.dilations.iter().all(|&d| d > 0)
    }

    /// Flat index of the input element that entry (i, p) of group g's patch matrix reads, or
    /// `None` where it reads padding (or, transposed, no input position lands there).
    pub fn source(&self, g: usize, i: usize, p: usize) -> Option<usize> {
        let (kvol, ovol, ivol) = (volume(&self.kernel), volume(&self.output), volume(&self.input));
        let (ci, mut kpos) = (g * (self.c_in / self.groups) + i / kvol, i % kvol);
        let (n, mut opos) = (p / ovol, p % ovol);
        let mut offset = 0;
        let mut stride = 1;
        for d in (0..self.input.len()).rev() {
            let (kd, od) = (kpos % self.kernel[d], opos % self.output[d]);
            kpos /= self.kernel[d];
            opos /= self.output[d];
            let reach = (kd * self.dilations[d]) as isize;
            let at = if self.transpose {
                let t = od as isize + self.pads[d] as isize - reach;
                if t < 0 || t % self.strides[d] as isize != 0 {
                    return None;
                }
                t / self.strides[d] as isize
            } else {
                (od * self.strides[d]) as isize + reach - self.pads[d] as isize
            };
            if at < 0 || at as usize >= self.input[d] {
                return None;
            }
            offset += at as usize * stride;
            stride *= self.input[d];
        }
        Some((n * self.c_in + ci) * ivol + offset)
    }

    /// Group g's patch matrix: `source(g, i, p)` for every (i, p), row by row, computed once for
    /// all of the group's output channels (the float and integer readings and the circuit's
    /// layout all walk it).
    pub fn patches(&self, g: usize) -> Vec<Vec<Option<usize>>> {
        (0..self.k()).map(|i| (0..self.p()).map(|p| self.source(g, i, p)).collect()).collect()
    }

    /// Flat index in the output of row c of group g at position p.
    pub fn target(&self, g: usize, c: usize, p: usize) -> usize {
        let ovol = volume(&self.output);
        ((p / ovol) * self.c_out + g * self.c() + c) * ovol + p % ovol
    }

    /// Every output's accumulator `bias[channel] + Σ W·x` in output order, over any number type
    /// (the float reading and the integer oracle share it). `weight(j)` reads entry j of the
    /// `c_out × k` weight tensor.
    pub fn accumulate<T>(&self, x: &[T], weight: impl Fn(usize) -> T, bias: impl Fn(usize) -> T) -> Vec<T>
    where
        T: Copy + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
    {
        let (c_n, k_n, p_n) = (self.c(), self.k(), self.p());
        let mut out: Vec<Option<T>> = vec![None; self.c_out * p_n];
        for g in 0..self.groups {
            let sources = self.patches(g);
            for c in 0..c_n {
                let row = (g * c_n + c) * k_n;
                for p in 0..p_n {
                    let mut acc = bias(g * c_n + c);
                    for (i, src) in sources.iter().enumerate() {
                        if let Some(s) = src[p] {
                            acc = acc + weight(row + i) * x[s];
                        }
                    }
                    out[self.target(g, c, p)] = Some(acc);
                }
            }
        }
        out.into_iter().map(|v| v.expect("every output is some group's")).collect()
    }
}
