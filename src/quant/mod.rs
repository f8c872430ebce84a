//! Fixed-point semantics: every float becomes an integer at scale 2^s, and this module is the one
//! place that says how each op rounds. The integer evaluator here is the witness oracle: the
//! circuit must reproduce it exactly, and the tests check that it does.
//!
//! Scheme: activations and weights at scale 2^s, biases at 2^(2s) (they join a product sum), one
//! rescale by 2^s after every product sum, rounding half up. Range-checked activations must lie in
//! [-2^(2s), 2^(2s)), i.e. |x| < 2^s in real terms; `s` is chosen so calibration values fit with
//! headroom.

mod eval;
pub mod table;

use crate::error::{Error, Result};
use crate::graph::{Graph, NodeId, Op};
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

/// The quantised form of an op: integer constants, and Relu fused into the Dense before it (the
/// rescale gadget already computes the sign it needs).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum QOp {
    /// Model input number `index`.
    Input {
        /// Position in the model's input list, not a node id.
        index: usize,
    },
    /// `y = x·w + b` as `graph::Op::Dense`, rescaled once and range-checked, with a following Relu fused in.
    Dense {
        /// Length of the contracted (last) axis of the input.
        k: usize,
        /// Number of outputs per input row.
        n: usize,
        /// Row-major `[k, n]` at scale 2^s.
        weight: Vec<i64>,
        /// One per output column, at scale 2^(2s) (it joins the product sum before the rescale).
        bias: Vec<i128>,
        /// Whether a Relu was fused in: the output is `max(y, 0)`.
        relu: bool,
    },
    /// A convolution (`graph::conv::Conv`), rescaled once and range-checked, a following Relu fused in.
    Conv {
        /// Its geometry.
        geometry: crate::graph::conv::Conv,
        /// `[c_out, k]` at scale 2^s.
        weight: Vec<i64>,
        /// One per output channel, at scale 2^(2s).
        bias: Vec<i128>,
        /// Whether a Relu was fused in.
        relu: bool,
    },
    /// A batched product of two activations (`graph::matmul::MatMul`), rescaled once and range-checked.
    MatMul(crate::graph::matmul::MatMul),
    /// Elementwise sum of two tensors; exact, no rescale.
    Add,
    /// Adds a constant tensor, repeated cyclically when shorter.
    AddConst {
        /// At scale 2^s.
        value: Vec<i64>,
    },
    /// `max(x, 0)`, a Relu that could not be fused into the Dense before it.
    Relu,
    /// Elementwise product, rescaled and range-checked.
    Mul,
    /// Same values, new shape (also a fused Relu's leftover): wiring only, no rows.
    Reshape,
    /// `y = Σ coeff·x + bias`. `rescale`: coefficients at 2^s and bias at 2^(2s), then one
    /// rescale (and range check); otherwise integer coefficients and bias at 2^s, exact.
    /// `params`: which model parameter each coefficient and bias is (see `graph::Op::Shared`).
    Affine {
        /// Per output, its terms `(input slot, index, coefficient)`.
        terms: Vec<Vec<(usize, usize, i64)>>,
        /// One per output, at 2^(2s) when `rescale`, else at 2^s.
        bias: Vec<i128>,
        /// Whether coefficients are at 2^s and the sum needs a rescale; false when all are small integers (exact).
        rescale: bool,
        /// Whether a Relu was fused in: the output is `max(y, 0)`.
        relu: bool,
        /// Set for a `graph::Op::Shared` node, so private-weight modes commit each parameter once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<std::sync::Arc<ParamIds>>,
    },
    /// `y = values[q − lo]` where `q` is the input on the table's grid (rescaled by `shift`
    /// bits); `q` outside the table is an error, not a clamp.
    Lut {
        /// Grid index of the table's first entry.
        lo: i64,
        /// The function's value at each grid point, at scale 2^s.
        values: Vec<i64>,
        /// Bits the input is rescaled by onto this table's grid of 2^(shift − s).
        shift: u32,
    },
    /// `y = values[x]` for an integer index x (a Gather from constant data).
    Select {
        /// At scale 2^s, indexed by the input's integer value.
        values: Vec<i64>,
    },
    /// `y_j = Σ a_i·b_k`, rescaled once and range-checked.
    Bilinear {
        /// Per output, the `(i, k)` pairs whose products `a_i·b_k` it sums.
        terms: Vec<Vec<(usize, usize)>>,
    },
    /// `2^s` (one) where the range-checked input is ≥ 0, else 0.
    NonNeg,
}

/// Coefficients this large are not "small integers" and go through the rescaling path.
const EXACT_COEFF_LIMIT: f32 = 65536.0;

/// One node of the integer model, aligned with the graph node of the same id.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct QNode {
    /// The ONNX name of the node, for messages.
    pub name: String,
    /// What it computes, in integers.
    pub op: QOp,
    /// Its operands, in the order the op reads them.
    pub inputs: Vec<NodeId>,
    /// The output's shape; values are flat, row-major.
    pub shape: Vec<usize>,
}

impl QNode {
    /// Number of output elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the output has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The model in fixed point: the witness oracle the circuit reproduces exactly, saved as `BUILD/model.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct QuantModel {
    /// Values are integers at scale 2^`scale_bits` (see the module doc for the scheme).
    pub scale_bits: u32,
    /// The largest of the tables' shifts (`QOp::Lut::shift`); None when the model looks nothing up,
    /// so the lookup gadget (and its rescale gate, when this is above 0) is configured only when used.
    #[serde(default)]
    pub table_shift: Option<u32>,
    /// The nodes in the graph's order, so node ids carry over.
    pub nodes: Vec<QNode>,
    /// The input nodes, in the model's input order.
    pub inputs: Vec<NodeId>,
    /// The output nodes, in the model's output order.
    pub outputs: Vec<NodeId>,
}

/// Parameter numbers of an affine node's coefficients (per output, aligned with its terms) and
/// biases, numbered per node.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ParamIds {
    /// Per output, the parameter number of each term.
    pub terms: Vec<Vec<u32>>,
    /// Per output, the parameter number of its bias, if any.
    pub bias: Vec<Option<u32>>,
}

/// An affine map needs a rescale unless every coefficient is a small integer (wiring, sums,
/// differences, padding: then it is exact at scale s).
fn affine_rescales(op: &Op) -> bool {
    let exact = |c: f32| c.fract() == 0.0 && c.abs() <= EXACT_COEFF_LIMIT;
    match op {
        Op::Affine { terms, .. } => terms.iter().flatten().any(|&(_, _, c)| !exact(c)),
        Op::Shared { terms, params, .. } => terms.iter().flatten().any(|&(_, _, p)| !exact(params[p as usize])),
        _ => false,
    }
}

/// Rounds `acc / 2^s` half up (floor of `acc + 2^(s-1)`), for either sign.
pub fn rescale(acc: i128, s: u32) -> i128 {
    (acc + (1i128 << (s - 1))).div_euclid(1i128 << s)
}

/// `x` at scale `scale` (a power of two), rounded to nearest, ties away from zero.
pub fn quantize(x: f32, scale: f64) -> i64 {
    (x as f64 * scale).round() as i64
}

/// How far calibration values may grow on unseen inputs before a range check fails.
pub const HEADROOM: f64 = 4.0;
/// The coarsest scale compile uses, also when `--scale-bits` asks for less: weights are rounded to 2^-s.
pub const MIN_SCALE_BITS: u32 = 8;
/// The finest scale, and so the widest range (|x| < 2^18 in real units); the range table alone takes 2^s rows.
pub const MAX_SCALE_BITS: u32 = 18;

/// The smallest scale whose range (|x| < 2^s) holds every calibrated activation with headroom.
pub fn min_scale_bits(graph: &Graph, calibration: &[Vec<Vec<f32>>]) -> Result<u32> {
    // Only range-checked values bound the scale: inputs, rescaled outputs, relu inputs, and
    // table values (bounded at compile time, since a lookup's output is not checked again).
    // Exact sums and wiring may grow past the range; they are never decomposed.
    let mut checked = vec![false; graph.nodes.len()];
    for (id, n) in graph.nodes.iter().enumerate() {
        match &n.op {
            Op::Input { .. } | Op::Map { .. } | Op::Select { .. } => checked[id] = true,
            Op::Dense { .. } | Op::Conv { .. } | Op::MatMul(_) | Op::Mul | Op::Bilinear { .. } => checked[id] = true,
            op @ (Op::Affine { .. } | Op::Shared { .. }) => checked[id] |= affine_rescales(op),
            Op::Relu | Op::NonNeg => checked[n.inputs[0]] = true,
            _ => {}
        }
    }
    let mut max_abs = 0f64;
    for inputs in calibration {
        for (id, vals) in graph.eval_all_f32(inputs).iter().enumerate() {
            if checked[id] {
                for v in vals {
                    max_abs = max_abs.max(v.abs() as f64);
                }
            }
        }
    }
    let need = (max_abs * HEADROOM).max(1.0).log2().ceil() as u32 + 1;
    if need > MAX_SCALE_BITS {
        return Err(Error::Quantise {
            node: None,
            reason: format!(
                "activations reach {max_abs:.3e}; fixed point with at most 2^{MAX_SCALE_BITS} range cannot hold \
                 them: normalise the model's inputs or calibrate on inputs of the magnitude it will be proven on"
            ),
        });
    }
    Ok(need.max(MIN_SCALE_BITS))
}

/// How far the integer model may stray from the float one on calibration data, relative to
/// max(1, max|output|), before a finer scale is chosen (a fifth of the conformance tolerance).
pub const CALIBRATION_ERROR: f64 = 0.01;

/// Whether the model quantised at scale 2^`scale_bits` reproduces the float outputs of every
/// calibration input within `CALIBRATION_ERROR`.
pub fn accurate(
    graph: &Graph,
    scale_bits: u32,
    table_bits: u32,
    calibration: &[Vec<Vec<f32>>],
    ranges: &[(f32, f32)],
) -> bool {
    let Ok(q) = QuantModel::quantize(graph, scale_bits, table_bits, ranges) else { return false };
    calibration.iter().all(|inputs| {
        let Ok(vals) = q.quantize_inputs(inputs).and_then(|x| q.eval(&x)) else { return false };
        let float = graph.eval_f32(inputs);
        q.outputs.iter().zip(&float).all(|(&o, f)| {
            let scale = f.iter().fold(1f64, |m, v| m.max(v.abs() as f64));
            vals[o].iter().zip(f).all(|(&v, &r)| (q.dequantize(v) - r as f64).abs() <= CALIBRATION_ERROR * scale)
        })
    })
}

/// The least rows given to lookup tables (2^12): a coarser grid costs precision — most of all
/// for discontinuous functions (floor, round, comparisons) near their steps — and saves little
/// proving time.
pub const MIN_TABLE_BITS: u32 = 12;

/// What `QuantModel::model_hash` covers besides the quantised model: the privacy modes (as the
/// verifier's `WEIGHTS_MODE`, `INPUT_VISIBILITY`, `OUTPUT_VISIBILITY` number them), the salt, the
/// lane width and the verifying key's transcript representation (32 bytes, big-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelIdentity {
    /// The weights mode as the verifier numbers it: 0 fixed, 1 hashed, 2 private, 3 registered.
    pub weights_mode: u8,
    /// Input visibility as the verifier numbers it: 0 public, 1 hashed, 2 private.
    pub input_visibility: u8,
    /// Output visibility as the verifier numbers it: 0 public, 1 hashed, 2 private.
    pub output_visibility: u8,
    /// Whether hashed inputs/outputs absorb a random salt.
    pub salted: bool,
    /// The lane width, which changes the circuit and so the proof.
    pub lanes: usize,
    /// The verifying key's transcript representation, 32 bytes big-endian: it ties the hash to the keys.
    pub vk_transcript_repr: [u8; 32],
}

impl ModelIdentity {
    /// The `MODEL_HASH` of an architecture verifier (`WEIGHTS_REGISTERED`): everything
    /// `QuantModel::model_hash` covers but the quantised model itself, whose weight values differ
    /// between the weight sets the verifier serves. With hashed weights the verifying key is the
    /// same for every weight set and fixes the circuit, so its transcript representation names
    /// the architecture.
    pub fn architecture_hash(&self) -> [u8; 32] {
        let mut h = Keccak256::new();
        h.update(b"zkinfer/ARCHITECTURE/v1");
        h.update([self.weights_mode, self.input_visibility, self.output_visibility, self.salted as u8]);
        h.update((self.lanes as u64).to_be_bytes());
        h.update(self.vk_transcript_repr);
        h.finalize().into()
    }
}

impl QuantModel {
    /// Quantises a graph without lookup tables (tests and hand-built graphs).
    pub fn from_graph(graph: &Graph, scale_bits: u32) -> QuantModel {
        Self::quantize(graph, scale_bits, MIN_TABLE_BITS, &[]).expect("a graph with Map nodes needs calibrated ranges")
    }

    /// Quantises at scale 2^`scale_bits`; `ranges` (the calibrated float range of every node)
    /// size the lookup tables, which together fill at most 2^`table_bits` rows.
    pub fn quantize(graph: &Graph, scale_bits: u32, table_bits: u32, ranges: &[(f32, f32)]) -> Result<QuantModel> {
        let tables = table::build(graph, scale_bits, table_bits, ranges)?;
        let s1 = (1u64 << scale_bits) as f64;
        let s2 = s1 * s1;
        let mut consumers = vec![0usize; graph.nodes.len()];
        for n in &graph.nodes {
            for &i in &n.inputs {
                consumers[i] += 1;
            }
        }
        // Relu whose input is a Dense used only by it becomes part of that Dense.
        let mut fused_into: Vec<Option<NodeId>> = vec![None; graph.nodes.len()];
        for (id, n) in graph.nodes.iter().enumerate() {
            if n.op == Op::Relu {
                let src = n.inputs[0];
                let src_node = &graph.nodes[src];
                if (matches!(src_node.op, Op::Dense { .. } | Op::Conv { .. }) || affine_rescales(&src_node.op))
                    && consumers[src] == 1
                    && !graph.outputs.contains(&src)
                {
                    fused_into[src] = Some(id);
                }
            }
        }
        let nodes = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(id, n)| {
                let op = match &n.op {
                    Op::Input { index } => QOp::Input { index: *index },
                    Op::Dense { k, n: nn, weight, bias } => QOp::Dense {
                        k: *k,
                        n: *nn,
                        weight: weight.iter().map(|&w| quantize(w, s1)).collect(),
                        bias: bias.iter().map(|&b| quantize(b, s2) as i128).collect(),
                        relu: fused_into[id].is_some(),
                    },
                    Op::Conv { geometry, weight, bias } => QOp::Conv {
                        geometry: geometry.clone(),
                        weight: weight.iter().map(|&w| quantize(w, s1)).collect(),
                        bias: bias.iter().map(|&b| quantize(b, s2) as i128).collect(),
                        relu: fused_into[id].is_some(),
                    },
                    Op::Add => QOp::Add,
                    Op::AddConst { value } => QOp::AddConst { value: value.iter().map(|&c| quantize(c, s1)).collect() },
                    // A fused Relu only forwards its Dense's (already rectified) value.
                    Op::Relu if fused_into[n.inputs[0]] == Some(id) => QOp::Reshape,
                    Op::Relu => QOp::Relu,
                    Op::Reshape => QOp::Reshape,
                    Op::Mul => QOp::Mul,
                    Op::Affine { .. } | Op::Shared { .. } => {
                        let rescale = affine_rescales(&n.op);
                        let (cs, bs) = if rescale { (s1, s2) } else { (1.0, s1) };
                        let (terms, bias) = n.op.as_affine().expect("an affine op");
                        let params = match &n.op {
                            Op::Shared { terms, bias, .. } => Some(std::sync::Arc::new(ParamIds {
                                terms: terms.iter().map(|t| t.iter().map(|&(_, _, p)| p).collect()).collect(),
                                bias: bias.clone(),
                            })),
                            _ => None,
                        };
                        QOp::Affine {
                            params,
                            terms: terms
                                .iter()
                                .map(|t| t.iter().map(|&(sl, i, c)| (sl, i, quantize(c, cs))).collect())
                                .collect(),
                            bias: bias.iter().map(|&b| quantize(b, bs) as i128).collect(),
                            rescale,
                            relu: fused_into[id].is_some(),
                        }
                    }
                    Op::NonNeg => QOp::NonNeg,
                    Op::Bilinear { terms } => QOp::Bilinear { terms: terms.clone() },
                    Op::MatMul(mm) => QOp::MatMul(*mm),
                    Op::Select { table } => QOp::Select { values: table.iter().map(|&v| quantize(v, s1)).collect() },
                    Op::Map { .. } => {
                        let (lo, values, shift) =
                            tables.as_ref().and_then(|t| t.tables[id].clone()).expect("every Map has a table");
                        QOp::Lut { lo, values, shift }
                    }
                };
                QNode { name: n.name.clone(), op, inputs: n.inputs.clone(), shape: n.shape.clone() }
            })
            .collect();
        Ok(QuantModel {
            scale_bits,
            // Keyed tables need the lookup gadget even when no function table sets a shift.
            table_shift: tables.map(|t| t.tables.iter().flatten().map(|t| t.2).max().unwrap_or(0)).or(graph
                .nodes
                .iter()
                .any(|n| matches!(n.op, Op::Select { .. }))
                .then_some(0)),
            nodes,
            inputs: graph.inputs.clone(),
            outputs: graph.outputs.clone(),
        })
    }

    /// The verifier's `MODEL_HASH`: keccak256 over everything that makes a verifier contract this
    /// model's: the canonical JSON of the quantised model (architecture, scale, every integer
    /// weight), the privacy modes (weights, input and output visibility, salt), the lane width,
    /// and the verifying key's transcript representation (halo2's `vk.transcript_repr()`, which
    /// digests the constraint system and every fixed and permutation commitment). A fixed- and a
    /// private-weights build of one model, or two lane widths, have different hashes; two weight
    /// sets of one architecture in the hashed mode share a verifying key but not a hash. The key
    /// exists only after `zkinfer setup`, which computes this and writes it to settings.json.
    pub fn model_hash(&self, id: &ModelIdentity) -> [u8; 32] {
        let model = serde_json::to_vec(self).expect("quantised model serialises");
        let mut h = Keccak256::new();
        h.update(b"zkinfer/MODEL_HASH/v2");
        h.update(Keccak256::digest(&model));
        h.update([id.weights_mode, id.input_visibility, id.output_visibility, id.salted as u8]);
        h.update((id.lanes as u64).to_be_bytes());
        h.update(id.vk_transcript_repr);
        h.finalize().into()
    }

    /// `2^scale_bits` as a float: divide by it to dequantise.
    pub fn scale(&self) -> f64 {
        (1u64 << self.scale_bits) as f64
    }

    /// Largest magnitude (exclusive) a range-checked activation may take.
    pub fn range_bound(&self) -> i128 {
        1i128 << (2 * self.scale_bits)
    }

    /// Quantises float inputs onto the model's grid; fails if the count does not match the model's inputs.
    pub fn quantize_inputs(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<i128>>> {
        if inputs.len() != self.inputs.len() {
            return Err(Error::Inputs(format!(
                "the model has {} inputs but {} were given",
                self.inputs.len(),
                inputs.len()
            )));
        }
        let scale = self.scale();
        let mut out = Vec::new();
        for (i, (x, &node)) in inputs.iter().zip(&self.inputs).enumerate() {
            let want = self.nodes[node].len();
            if x.len() != want {
                return Err(Error::Inputs(format!(
                    "input {i} has {} values but the model expects shape {:?} ({want} values)",
                    x.len(),
                    self.nodes[node].shape
                )));
            }
            // The circuit range-checks every input like an activation: refuse here, by position,
            // what it would refuse, and what is not a number at all.
            let bound = self.range_bound();
            let q: Vec<i128> = x.iter().map(|&v| quantize(v, scale) as i128).collect();
            if let Some(j) = (0..x.len()).find(|&j| !x[j].is_finite() || q[j] < -bound || q[j] >= bound) {
                return Err(Error::Inputs(format!(
                    "input {i} value {} (element {j}) is outside the circuit's input range ±{} at scale 2^-{}: \
                     rescale the input, or compile with a smaller --scale-bits",
                    x[j],
                    bound as f64 / scale,
                    self.scale_bits
                )));
            }
            out.push(q);
        }
        Ok(out)
    }

    /// The range check's error, named after the node: shared by the oracle and the layout's
    /// witness so both refuse the same values with the same message.
    pub(crate) fn check_range(&self, node: usize, v: i128) -> Result<i128> {
        let bound = self.range_bound();
        if v < -bound || v >= bound {
            return Err(Error::OutOfRange {
                node: self.nodes[node].name.clone(),
                value: v as f64 / self.scale(),
                bound: bound as f64 / self.scale(),
            });
        }
        Ok(v)
    }

    /// The table input of a lookup: `x` rescaled by `shift` bits onto its table's grid.
    pub fn table_index(x: i128, shift: u32) -> i128 {
        if shift > 0 {
            rescale(x, shift)
        } else {
            x
        }
    }

    /// A lookup's output, or an error naming the node when the input is outside its table.
    pub(crate) fn lookup(&self, node: usize, q: i128) -> Result<i128> {
        if let QOp::Select { values } = &self.nodes[node].op {
            let one = 1i128 << self.scale_bits;
            let i = q.div_euclid(one);
            if q.rem_euclid(one) != 0 || i < 0 || i >= values.len() as i128 {
                return Err(Error::OutsideTable {
                    node: self.nodes[node].name.clone(),
                    value: q as f64 / one as f64,
                    lo: 0.0,
                    hi: (values.len() - 1) as f64,
                });
            }
            return Ok(values[i as usize] as i128);
        }
        let QOp::Lut { lo, values, shift } = &self.nodes[node].op else { unreachable!("lookup on a non-table node") };
        let i = q - *lo as i128;
        if i < 0 || i >= values.len() as i128 {
            let step = ((self.scale_bits - shift) as f64).exp2();
            return Err(Error::OutsideTable {
                node: self.nodes[node].name.clone(),
                value: q as f64 / step,
                lo: *lo as f64 / step,
                hi: (*lo + values.len() as i64 - 1) as f64 / step,
            });
        }
        Ok(values[i as usize] as i128)
    }

    /// A quantised value in real units.
    pub fn dequantize(&self, v: i128) -> f64 {
        v as f64 / self.scale()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_rounds_half_up_for_both_signs() {
        assert_eq!(rescale(384, 8), 2); // 1.5 -> 2
        assert_eq!(rescale(383, 8), 1);
        assert_eq!(rescale(-384, 8), -1); // -1.5 -> -1 (half up)
        assert_eq!(rescale(-385, 8), -2);
        assert_eq!(rescale(0, 8), 0);
    }
}
