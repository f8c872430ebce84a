//! The project's own graph IR: the handful of ops the circuit knows, with flat row-major tensors.
//!
//! tract has already parsed, shape-inferred, constant-folded and decluttered the ONNX graph; this IR
//! keeps only what changes values (affine maps, adds, relu) and turns every pure data movement
//! (reshape, flatten, identity casts) into wiring, so no rows are spent on it.

pub mod conv;
pub mod matmul;

use std::sync::Arc;

/// Index of a node in `Graph::nodes`; nodes only take inputs of smaller ids, so index order is evaluation order.
pub type NodeId = usize;

/// A node's operation; tensors are flat and row-major, their shapes live on the `Node`.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Model input number `index`.
    Input {
        /// Position in the model's input list (and in the input JSON), not a node id.
        index: usize,
    },
    /// `y[m, n] = Σ_k x[m, k]·w[k, n] + b[n]` over the last axis (Gemm, MatMul with constant
    /// weights, and a following constant bias Add folded in).
    Dense {
        /// Length of the contracted (last) axis of the input.
        k: usize,
        /// Number of outputs per row of the input.
        n: usize,
        /// Row-major `[k, n]`: `weight[i * n + j]` multiplies input column `i` into output `j`.
        weight: Vec<f32>,
        /// One per output column (`n` values), zeros when the model has none.
        bias: Vec<f32>,
    },
    /// Elementwise sum of two tensors of equal size.
    Add,
    /// Adds a constant tensor (broadcast by repetition when shorter).
    AddConst {
        /// Repeated cyclically to the node's length when shorter (a per-channel or scalar constant).
        value: Vec<f32>,
    },
    /// `max(x, 0)` elementwise; the quantiser fuses it into a Dense it follows when it can.
    Relu,
    /// Elementwise product of two tensors of equal size (`inputs` may name one node twice: x²).
    Mul,
    /// Same values, new shape: costs no rows.
    Reshape,
    /// `y[j] = bias[j] + Σ coeff·x_slot[index]` over the node's inputs (`slot` indexes
    /// `Node::inputs`): every op that is affine in its variable inputs, read off by probing.
    Affine {
        /// Per output `j`, its terms `(slot, index, coefficient)`.
        terms: Vec<Vec<(usize, usize, f32)>>,
        /// One constant per output.
        bias: Vec<f32>,
    },
    /// An affine map whose coefficients and biases are the model's parameters, each named once:
    /// `terms[j]` lists (slot, index, parameter number), `bias[j]` the parameter added, if any.
    /// A convolution's kernel weight recurs at every position; private-weight modes commit it
    /// once and wire it to each use.
    Shared {
        /// Per output `j`, its terms `(slot, index, parameter number)`.
        terms: Vec<Vec<(usize, usize, u32)>>,
        /// Per output `j`, the parameter added to it, if any.
        bias: Vec<Option<u32>>,
        /// The parameter values; a parameter number indexes this.
        params: Vec<f32>,
    },
    /// `y = f(x)` elementwise, for a pointwise function with no gadget of its own (sigmoid,
    /// exp, erf, comparisons, rounding, and any composition of them): proven by a lookup table
    /// sampled over the calibrated range of `x`.
    Map {
        /// The function, sampled into the table at quantisation.
        f: ScalarFn,
    },
    /// `1` where `x ≥ 0`, else `0`: the exact sign the range check already computes; every
    /// comparison of two activations, and argmax, are built on it.
    NonNeg,
    /// `y = table[x]` for an integer index `x` (Gather from constant data with computed
    /// indices, such as a tree's leaf values or an embedding row): a keyed lookup.
    Select {
        /// Indexed by the integer value of the input; an index outside it is an error, not a clamp.
        table: Vec<f32>,
    },
    /// A convolution or transposed convolution read off its node (`conv::Conv`), then a bias per
    /// output channel.
    Conv {
        /// Its geometry.
        geometry: conv::Conv,
        /// `[c_out, c_in/groups, kernel…]`, flat.
        weight: Vec<f32>,
        /// One per output channel.
        bias: Vec<f32>,
    },
    /// A batched product of two activations (`matmul::MatMul`), operands in its order.
    MatMul(matmul::MatMul),
    /// `y_j = Σ_{(i, k) ∈ terms_j} a_i·b_k` for two activations a = `inputs[0]`, b = `inputs[1]`
    /// (a product of two computed matrices: attention scores, weighted sums of values).
    Bilinear {
        /// Per output `j`, the `(i, k)` pairs whose products `a_i·b_k` it sums.
        terms: Vec<Vec<(usize, usize)>>,
    },
}

/// A pointwise function of one variable. The importer builds it from the model's own ops, so the
/// table is sampled from exactly the function the model computes.
#[derive(Clone)]
pub struct ScalarFn {
    /// Names the function in messages and tells functions apart in `PartialEq` (with the closure's identity).
    pub name: String,
    f: Arc<VectorFn>,
}

type VectorFn = dyn Fn(&[f32]) -> Vec<f32> + Send + Sync;

impl ScalarFn {
    /// Wraps a closure that evaluates the function on a batch of values (one output per input).
    pub fn new(name: impl Into<String>, f: impl Fn(&[f32]) -> Vec<f32> + Send + Sync + 'static) -> Self {
        ScalarFn { name: name.into(), f: Arc::new(f) }
    }
    /// Evaluates on a batch; the output has one value per input.
    pub fn eval(&self, xs: &[f32]) -> Vec<f32> {
        (self.f)(xs)
    }
}

impl std::fmt::Debug for ScalarFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScalarFn({})", self.name)
    }
}

impl PartialEq for ScalarFn {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.f, &other.f)
    }
}

/// One tensor-valued operation of the graph and the shape of its output.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The ONNX name of the node (or output) it comes from, so messages name what the user's model calls it.
    pub name: String,
    /// What it computes from its inputs.
    pub op: Op,
    /// Its operands, in the order the op reads them (`slot` in `Op::Affine` indexes this).
    pub inputs: Vec<NodeId>,
    /// The output's shape; the value itself is flat, row-major.
    pub shape: Vec<usize>,
}

/// Per output, its terms `(input slot, position, coefficient)`.
pub type Terms = Vec<Vec<(usize, usize, f32)>>;

impl Op {
    /// The coefficients and biases of an affine op, parameters resolved to their values.
    pub fn as_affine(&self) -> Option<(Terms, Vec<f32>)> {
        match self {
            Op::Affine { terms, bias } => Some((terms.clone(), bias.clone())),
            Op::Shared { terms, bias, params } => Some((
                terms.iter().map(|t| t.iter().map(|&(s, i, p)| (s, i, params[p as usize])).collect()).collect(),
                bias.iter().map(|b| b.map_or(0.0, |p| params[p as usize])).collect(),
            )),
            _ => None,
        }
    }
}

impl Node {
    /// The first constant of the node that is NaN or infinite: no fixed point holds one, and a
    /// model exported with one computes nothing meaningful where it is used.
    pub fn non_finite_constant(&self) -> Option<f32> {
        let consts: Vec<&[f32]> = match &self.op {
            Op::Dense { weight, bias, .. } | Op::Conv { weight, bias, .. } => vec![weight, bias],
            Op::AddConst { value } => vec![value],
            Op::Shared { params, .. } => vec![params],
            Op::Select { table } => vec![table],
            Op::Affine { terms, bias } => {
                let bad = terms.iter().flatten().map(|t| t.2).chain(bias.iter().copied()).find(|v| !v.is_finite());
                return bad;
            }
            _ => vec![],
        };
        consts.into_iter().flatten().copied().find(|v| !v.is_finite())
    }

    /// The op's kind, for messages.
    pub fn op_name(&self) -> &'static str {
        match self.op {
            Op::Input { .. } => "Input",
            Op::Dense { .. } => "Dense",
            Op::Add => "Add",
            Op::AddConst { .. } => "AddConst",
            Op::Relu => "Relu",
            Op::Mul => "Mul",
            Op::Reshape => "Reshape",
            Op::Affine { .. } => "Affine",
            Op::Shared { .. } => "Shared",
            Op::Map { .. } => "Map",
            Op::NonNeg => "NonNeg",
            Op::Select { .. } => "Select",
            Op::Bilinear { .. } => "Bilinear",
            Op::Conv { .. } => "Conv",
            Op::MatMul(_) => "MatMul",
        }
    }

    /// Number of output elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the output has no elements (a zero-sized dimension).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The imported model: nodes in topological order, and which of them are the model's inputs and outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    /// Every node; a node's inputs always have smaller ids.
    pub nodes: Vec<Node>,
    /// The input nodes, in the model's input order.
    pub inputs: Vec<NodeId>,
    /// The output nodes, in the model's output order.
    pub outputs: Vec<NodeId>,
}

impl Graph {
    /// Folds a constant Add that follows a Dense into the Dense's bias (Gemm and MatMul+Add both end
    /// up as one affine map, one row per output).
    pub fn fold_bias(mut self) -> Graph {
        let g = &mut self;
        let mut consumers = vec![0usize; g.nodes.len()];
        for n in &g.nodes {
            for &i in &n.inputs {
                consumers[i] += 1;
            }
        }
        for id in 0..g.nodes.len() {
            let (src, value) = match &g.nodes[id].op {
                Op::AddConst { value } => (g.nodes[id].inputs[0], value.clone()),
                _ => continue,
            };
            if consumers[src] != 1 || g.outputs.contains(&src) {
                continue;
            }
            if let Op::Dense { n, bias, .. } = &mut g.nodes[src].op {
                if value.len() == 1 || value.len() == *n {
                    for (j, b) in bias.iter_mut().enumerate() {
                        *b += value[j % value.len()];
                    }
                    g.nodes[id].op = Op::Reshape;
                }
            }
        }
        self
    }

    /// Shapes of the model inputs, in order: what an input JSON must provide.
    pub fn input_shapes(&self) -> Vec<Vec<usize>> {
        self.inputs.iter().map(|&i| self.nodes[i].shape.clone()).collect()
    }

    /// Shapes of the model outputs, in order.
    pub fn output_shapes(&self) -> Vec<Vec<usize>> {
        self.outputs.iter().map(|&i| self.nodes[i].shape.clone()).collect()
    }

    /// Float evaluation of the IR, used to check the import against tract and to calibrate.
    pub fn eval_f32(&self, inputs: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let mut vals: Vec<Vec<f32>> = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let arg = |i: usize| &vals[node.inputs[i]];
            let v = match &node.op {
                Op::Input { index } => inputs[*index].clone(),
                Op::Dense { k, n, weight, bias } => {
                    let x = arg(0);
                    let rows = x.len() / k;
                    let mut y = vec![0f32; rows * n];
                    for m in 0..rows {
                        for j in 0..*n {
                            let mut acc = bias[j];
                            for i in 0..*k {
                                acc += x[m * k + i] * weight[i * n + j];
                            }
                            y[m * n + j] = acc;
                        }
                    }
                    y
                }
                Op::Add => arg(0).iter().zip(arg(1)).map(|(a, b)| a + b).collect(),
                Op::AddConst { value } => arg(0).iter().enumerate().map(|(i, a)| a + value[i % value.len()]).collect(),
                Op::Relu => arg(0).iter().map(|a| a.max(0.0)).collect(),
                Op::Mul => arg(0).iter().zip(arg(1)).map(|(a, b)| a * b).collect(),
                Op::Reshape => arg(0).clone(),
                Op::Affine { terms, bias } => terms
                    .iter()
                    .zip(bias)
                    .map(|(t, b)| b + t.iter().map(|&(s, i, c)| c * vals[node.inputs[s]][i]).sum::<f32>())
                    .collect(),
                Op::Shared { .. } => {
                    let Some((terms, bias)) = node.op.as_affine() else { unreachable!() };
                    terms
                        .iter()
                        .zip(bias)
                        .map(|(t, b)| b + t.iter().map(|&(s, i, c)| c * vals[node.inputs[s]][i]).sum::<f32>())
                        .collect()
                }
                Op::Map { f } => f.eval(arg(0)),
                Op::Select { table } => arg(0)
                    .iter()
                    .map(|&x| *table.get(x.round() as usize).filter(|_| x >= 0.0).unwrap_or(&f32::NAN))
                    .collect(),
                Op::Bilinear { terms } => {
                    terms.iter().map(|t| t.iter().map(|&(i, k)| arg(0)[i] * arg(1)[k]).sum()).collect()
                }
                Op::NonNeg => arg(0).iter().map(|&x| (x >= 0.0) as u8 as f32).collect(),
                Op::Conv { geometry, weight, bias } => geometry.accumulate(arg(0), |j| weight[j], |c| bias[c]),
                Op::MatMul(mm) => mm.product(arg(0), arg(1), 0.0),
            };
            vals.push(v);
        }
        self.outputs.iter().map(|&o| vals[o].clone()).collect()
    }

    /// Every node's float value, in node order (calibration needs the intermediates).
    pub fn eval_all_f32(&self, inputs: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let mut g = self.clone();
        g.outputs = (0..self.nodes.len()).collect();
        g.eval_f32(inputs)
    }
}
