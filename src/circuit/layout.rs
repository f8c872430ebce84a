//! The layout planner: turns a quantised model into cell placements, fixed values and wires,
//! independent of any witness. Keygen and proving both start from the same `Layout`, so the
//! fixed columns (which hold the weights) and copy constraints cannot drift apart.
//!
//! A *wire* is one integer value of the computation. Each wire is defined by how to compute it
//! from earlier wires (`WireDef`); its first placement is its home cell and every later placement
//! is copy-constrained to it.

use super::privacy::{CommitKind, Commitment, Privacy, Public, Visibility, WeightsMode};
use super::to_field;
use super::{dot, linear, lut, pack, poseidon, product, requant};
use crate::error::{Error, Result};
use crate::quant::{QOp, QuantModel};
use halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

pub type WireId = usize;

/// Rows halo2 keeps for blinding at the end of every column (an upper bound for our circuits).
const HALO2_RESERVED: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Col {
    Advice(usize),
    /// The lookup-checked column: every cell in it lies in [0, 2^s).
    Range,
    /// Column i of the Poseidon gadget (0–2 state, 3–5 auxiliary, then the next group's); only
    /// tests name these cells.
    Hash(usize),
    /// Column i of the packing gadget (0 weight, 1 limb, 2 accumulator); tests only.
    Pack(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FixedCol {
    LinQ,
    LinChain,
    LinBias,
    LinW(usize),
    Rescale,
    RangeQ,
    Relu,
    Mul,
    LutRescale,
    LutTag,
    DotQ,
    DotChain,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum WireDef {
    Input {
        input: usize,
        index: usize,
    },
    /// A model parameter held as private advice (the private and hashed weight modes).
    Weight {
        value: i128,
    },
    /// `bias + Σ coeff·wire (+ prev)`: one row of a linear combination.
    Linear {
        terms: Vec<(WireId, i128)>,
        bias: i128,
        prev: Option<WireId>,
    },
    Quotient {
        acc: WireId,
    },
    Remainder {
        acc: WireId,
    },
    Sign {
        y: WireId,
        node: usize,
    },
    Limb {
        y: WireId,
        sign: WireId,
        index: u32,
    },
    Relu {
        y: WireId,
        sign: WireId,
    },
    Product {
        a: WireId,
        b: WireId,
    },
    /// `Σ a·b (+ prev)`: one row of a dot product.
    Dot {
        pairs: Vec<(WireId, WireId)>,
        prev: Option<WireId>,
    },
    /// A lookup input on the table grid, its rescale remainder, and a wire times 2^bits.
    TableIndex {
        x: WireId,
    },
    TableRem {
        x: WireId,
        q: WireId,
    },
    Scaled {
        w: WireId,
        bits: u32,
    },
    /// The table value of model node `node` at index `q`.
    Lookup {
        q: WireId,
        node: usize,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Layout {
    pub lanes: usize,
    pub scale_bits: u32,
    pub table_shift: Option<u32>,
    /// The lookup tables; table i has tag i + 1.
    pub tables: Vec<Table>,
    pub rows: usize,
    pub wires: Vec<WireDef>,
    pub advice: Vec<(Col, usize, WireId)>,
    pub fixed: Vec<(FixedCol, usize, i128)>,
    pub privacy: Privacy,
    /// The private parameters, in the order the weights commitment absorbs them.
    pub weights: Vec<WireId>,
    pub commitments: Vec<Commitment>,
    /// The constant-zero wire that commitment padding is pinned to (present when anything is hashed).
    #[serde(default)]
    pub zero: Option<WireId>,
    /// Public values in order: the inputs part (each input element, its commitment, or
    /// nothing), the outputs part, then the weights commitment when weights are hashed.
    pub public: Vec<Public>,
    pub num_public_inputs: usize,
    pub num_outputs: usize,
    /// The wires of each model node's value.
    pub node_wires: Vec<Vec<WireId>>,
}

pub(super) struct Builder {
    pub lanes: usize,
    pub row: usize,
    pub wires: Vec<WireDef>,
    pub advice: Vec<(Col, usize, WireId)>,
    pub fixed: Vec<(FixedCol, usize, i128)>,
    pub constants: std::collections::HashMap<i128, WireId>,
    pub tables: Vec<Table>,
    pub weights: Vec<WireId>,
}

/// A lookup table: `values[i]` at key `lo + i·step`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub lo: i64,
    pub step: i64,
    pub values: Vec<i64>,
}

impl Builder {
    pub fn wire(&mut self, def: WireDef) -> WireId {
        self.wires.push(def);
        self.wires.len() - 1
    }
    /// A wire holding a constant, one row per distinct value (padding zeros share one).
    pub fn constant(&mut self, value: i128) -> WireId {
        if let Some(&w) = self.constants.get(&value) {
            return w;
        }
        let w = linear::layout(self, &[], value);
        self.constants.insert(value, w);
        w
    }
    /// A model parameter: a fixed coefficient normally, a private advice wire when weights are
    /// private (its first placement is its home; every other use is copy-constrained to it).
    pub fn weight(&mut self, value: i128) -> WireId {
        let w = self.wire(WireDef::Weight { value });
        self.weights.push(w);
        w
    }
    pub fn place(&mut self, col: Col, row: usize, wire: WireId) {
        self.advice.push((col, row, wire));
    }
    /// The tag of a table, registering it on first use (equal tables share one).
    pub fn table_tag(&mut self, table: Table) -> usize {
        if let Some(i) = self.tables.iter().position(|t| *t == table) {
            return i + 1;
        }
        self.tables.push(table);
        self.tables.len()
    }
    pub fn fix(&mut self, col: FixedCol, row: usize, value: i128) {
        if value != 0 {
            self.fixed.push((col, row, value));
        }
    }
}

impl Layout {
    pub fn plan(model: &QuantModel, lanes: usize, privacy: Privacy) -> Result<Layout> {
        if lanes < requant::MIN_LANES {
            return Err(Error::Layout(format!("at least {} lanes are needed", requant::MIN_LANES)));
        }
        privacy.check()?;
        let private = privacy.private_weights();
        if private {
            if let Some(n) = model.nodes.iter().find(|n| matches!(n.op, QOp::Select { .. })) {
                return Err(Error::Layout(format!(
                    "node `{}` looks up constant data by a computed index; its table is part of the verifying key, \
                     so --weights private/hashed cannot hide it (compile with --weights fixed)",
                    n.name
                )));
            }
        }
        let mut b = Builder {
            lanes,
            row: 0,
            wires: vec![],
            advice: vec![],
            fixed: vec![],
            constants: Default::default(),
            tables: vec![],
            weights: vec![],
        };
        let mut node_wires: Vec<Vec<WireId>> = Vec::with_capacity(model.nodes.len());
        for (id, node) in model.nodes.iter().enumerate() {
            let ws = match &node.op {
                // Every input is range-checked where it first lands, in the offset-binary form
                // the activations use: unchecked, an input is any field element (½ mod p makes
                // outputs no fixed-point input can), and a public one reads as a huge integer.
                QOp::Input { index } => (0..node.len())
                    .map(|i| {
                        let w = b.wire(WireDef::Input { input: *index, index: i });
                        requant::layout(&mut b, None, Some(w), false, id)
                    })
                    .collect(),
                QOp::Dense { k, n, weight, bias, relu } if private => {
                    let x = node_wires[node.inputs[0]].clone();
                    let w: Vec<WireId> = weight.iter().map(|&v| b.weight(v as i128)).collect();
                    let bw: Vec<WireId> = bias.iter().map(|&v| b.weight(v)).collect();
                    let one = b.constant(1);
                    let mut ws = Vec::with_capacity(x.len() / k * n);
                    for m in 0..x.len() / k {
                        for j in 0..*n {
                            let mut pairs: Vec<(WireId, WireId)> =
                                (0..*k).map(|i| (x[m * k + i], w[i * n + j])).collect();
                            pairs.push((bw[j], one));
                            let acc = dot::layout(&mut b, &pairs);
                            ws.push(requant::layout(&mut b, Some(acc), None, *relu, id));
                        }
                    }
                    ws
                }
                QOp::Dense { k, n, weight, bias, relu } => {
                    let x = &node_wires[node.inputs[0]];
                    let rows = x.len() / k;
                    let mut ws = Vec::with_capacity(rows * n);
                    for m in 0..rows {
                        for j in 0..*n {
                            let terms: Vec<(WireId, i128)> =
                                (0..*k).map(|i| (x[m * k + i], weight[i * n + j] as i128)).collect();
                            let acc = linear::layout(&mut b, &terms, bias[j]);
                            ws.push(requant::layout(&mut b, Some(acc), None, *relu, id));
                        }
                    }
                    ws
                }
                QOp::Add => {
                    let (x, y) = (&node_wires[node.inputs[0]], &node_wires[node.inputs[1]]);
                    let pairs: Vec<_> = x.iter().zip(y).map(|(&a, &c)| (a, c)).collect();
                    pairs.into_iter().map(|(a, c)| linear::layout(&mut b, &[(a, 1), (c, 1)], 0)).collect()
                }
                QOp::AddConst { value } if private => {
                    let x = node_wires[node.inputs[0]].clone();
                    let c: Vec<WireId> = value.iter().map(|&v| b.weight(v as i128)).collect();
                    x.iter()
                        .enumerate()
                        .map(|(i, &a)| linear::layout(&mut b, &[(a, 1), (c[i % c.len()], 1)], 0))
                        .collect()
                }
                QOp::AddConst { value } => {
                    let x = node_wires[node.inputs[0]].clone();
                    x.iter()
                        .enumerate()
                        .map(|(i, &a)| linear::layout(&mut b, &[(a, 1)], value[i % value.len()] as i128))
                        .collect()
                }
                QOp::Relu => {
                    let x = node_wires[node.inputs[0]].clone();
                    x.iter().map(|&a| requant::layout(&mut b, None, Some(a), true, id)).collect()
                }
                QOp::Reshape => node_wires[node.inputs[0]].clone(),
                QOp::Mul => {
                    let (x, y) = (node_wires[node.inputs[0]].clone(), node_wires[node.inputs[1]].clone());
                    x.iter()
                        .zip(&y)
                        .map(|(&a, &c)| {
                            let acc = product::layout(&mut b, a, c);
                            requant::layout(&mut b, Some(acc), None, false, id)
                        })
                        .collect()
                }
                // Parameters as private wires, one per parameter however often it recurs.
                QOp::Affine { terms, bias, rescale, relu, params: Some(ids) } if private => {
                    let mut wire_of: std::collections::HashMap<(u32, bool), WireId> = Default::default();
                    let one = b.constant(1);
                    let mut ws = Vec::with_capacity(terms.len());
                    for (j, t) in terms.iter().enumerate() {
                        let mut pairs = Vec::with_capacity(t.len() + 1);
                        for (&(sl, i, c), &p) in t.iter().zip(&ids.terms[j]) {
                            let w = *wire_of.entry((p, false)).or_insert_with(|| b.weight(c as i128));
                            pairs.push((node_wires[node.inputs[sl]][i], w));
                        }
                        if let Some(p) = ids.bias[j] {
                            let w = *wire_of.entry((p, true)).or_insert_with(|| b.weight(bias[j]));
                            pairs.push((w, one));
                        }
                        let acc = dot::layout(&mut b, &pairs);
                        ws.push(if *rescale { requant::layout(&mut b, Some(acc), None, *relu, id) } else { acc });
                    }
                    ws
                }
                QOp::Affine { terms, bias, rescale, relu, .. } => {
                    let mut ws = Vec::with_capacity(terms.len());
                    for (t, &c) in terms.iter().zip(bias) {
                        let t: Vec<(WireId, i128)> =
                            t.iter().map(|&(sl, i, coeff)| (node_wires[node.inputs[sl]][i], coeff as i128)).collect();
                        let w = match (t.as_slice(), *rescale) {
                            // Pure wiring (slice, pad, transpose, concat…) costs no rows.
                            ([(w, 1)], false) if c == 0 => *w,
                            ([], false) => b.constant(c),
                            (_, false) => linear::layout(&mut b, &t, c),
                            (_, true) => {
                                let acc = linear::layout(&mut b, &t, c);
                                requant::layout(&mut b, Some(acc), None, *relu, id)
                            }
                        };
                        ws.push(w);
                    }
                    ws
                }
                QOp::Bilinear { terms } => {
                    let (a, c) = (node_wires[node.inputs[0]].clone(), node_wires[node.inputs[1]].clone());
                    terms
                        .iter()
                        .map(|t| {
                            let pairs: Vec<(WireId, WireId)> = t.iter().map(|&(i, k)| (a[i], c[k])).collect();
                            let acc = dot::layout(&mut b, &pairs);
                            requant::layout(&mut b, Some(acc), None, false, id)
                        })
                        .collect()
                }
                QOp::NonNeg => {
                    let x = node_wires[node.inputs[0]].clone();
                    let one = 1i128 << model.scale_bits;
                    x.iter()
                        .map(|&a| {
                            let (_, sign) = requant::layout_with_sign(&mut b, None, Some(a), false, id);
                            linear::layout(&mut b, &[(sign, one)], 0)
                        })
                        .collect()
                }
                QOp::Lut { lo, values } => {
                    let shift = model.table_shift.expect("a model with tables has a table shift");
                    let tag = b.table_tag(Table { lo: *lo, step: 1, values: values.clone() });
                    let x = node_wires[node.inputs[0]].clone();
                    x.iter().map(|&w| lut::layout(&mut b, w, id, tag, shift, model.scale_bits)).collect()
                }
                // Keyed by the index itself (integers at scale 2^s): no rescale.
                QOp::Select { values } => {
                    // Its entries become activations without a range check of their own.
                    if let Some(v) =
                        values.iter().find(|&&v| (v as i128) < -model.range_bound() || v as i128 >= model.range_bound())
                    {
                        return Err(Error::Layout(format!(
                            "node `{}` looks up a constant of {} outside the activation range ±{}: use a smaller --scale-bits",
                            node.name,
                            *v as f64 / model.scale(),
                            model.range_bound() as f64 / model.scale()
                        )));
                    }
                    let tag = b.table_tag(Table { lo: 0, step: 1 << model.scale_bits, values: values.clone() });
                    let x = node_wires[node.inputs[0]].clone();
                    x.iter().map(|&w| lut::layout(&mut b, w, id, tag, 0, model.scale_bits)).collect()
                }
            };
            node_wires.push(ws);
        }
        // Commitment padding is copied from this wire (see `ModelCircuit::assign_commitments`).
        let hashed =
            [privacy.input, privacy.output].contains(&Visibility::Hashed) || privacy.weights == WeightsMode::Hashed;
        let zero = hashed.then(|| b.constant(0));
        let flat = |ids: &[usize]| -> Vec<WireId> { ids.iter().flat_map(|&i| node_wires[i].iter().copied()).collect() };
        let mut public: Vec<Public> = vec![];
        let mut commitments: Vec<Commitment> = vec![];
        let mut expose = |vis: Visibility, kind: CommitKind, wires: Vec<WireId>, public: &mut Vec<Public>| match vis {
            Visibility::Public => public.extend(wires.into_iter().map(Public::Wire)),
            Visibility::Hashed => {
                commitments.push(Commitment { kind, wires, salted: privacy.salted, groups: 1, packed: None });
                public.push(Public::Commitment(commitments.len() - 1));
            }
            Visibility::Private => {}
        };
        expose(privacy.input, CommitKind::Input, flat(&model.inputs), &mut public);
        let num_public_inputs = public.len();
        expose(privacy.output, CommitKind::Output, flat(&model.outputs), &mut public);
        let num_outputs = public.len() - num_public_inputs;
        if private {
            // A private parameter is the prover's to choose: unless bounded it is any field element
            // (1/3 mod p makes outputs no fixed-point weights can). Both private modes range-check
            // every parameter in the packing gadget's looked-up limbs.
            let s = model.scale_bits;
            if let Some(value) = b.weights.iter().find_map(|&w| match b.wires[w] {
                WireDef::Weight { value } if !pack::fits(value, s) => Some(value),
                _ => None,
            }) {
                return Err(Error::Layout(format!(
                    "a model parameter of {value} at scale 2^-{s} (a weight of {}, or a bias of {}) is outside what \
                     private and hashed weights range-check, ±2^{} (weights up to {}, biases up to {}): \
                     compile with --weights fixed, or a larger --scale-bits",
                    value as f64 / (1u64 << s) as f64,
                    value as f64 / (1u64 << (2 * s)) as f64,
                    pack::LIMBS * s - 1,
                    1u64 << (2 * s - 1),
                    1u64 << (s - 1)
                )));
            }
        }
        if privacy.weights == WeightsMode::Hashed {
            // Spread the weights over sponges side by side when that saves proving work (columns
            // × rows, rows rounded up to a power of two), up to `poseidon::MAX_GROUPS`: each group
            // adds six advice columns and ~3.5 KB to the verifier, which must stay under EIP-170.
            let others: usize = commitments.iter().map(|c| poseidon::rows_wide(c.messages(), c.groups)).sum();
            let used = (b.row + requant::ROWS).max(b.tables.iter().map(|t| t.values.len() + 1).sum());
            // Packed several to a message (two range-checked limbs each, in columns of their
            // own): 2 rows per weight instead of 19 in the sponge, and every weight an integer.
            let packed = Some(model.scale_bits);
            let n =
                Commitment { kind: CommitKind::Weights, wires: b.weights.clone(), salted: false, groups: 1, packed }
                    .messages();
            let work = |g: usize| {
                let rows = used.max(others + poseidon::rows_wide(n, g)) + HALO2_RESERVED;
                let height = rows.next_power_of_two().max(1 << (model.scale_bits + 1));
                (lanes + 30 + 6 * g) * height
            };
            let groups = (1..=poseidon::MAX_GROUPS).min_by_key(|&g| (work(g), g)).unwrap_or(1);
            commitments.push(Commitment {
                kind: CommitKind::Weights,
                wires: b.weights.clone(),
                salted: false,
                groups,
                packed,
            });
            public.push(Public::Commitment(commitments.len() - 1));
        }
        let hash_rows: usize = commitments.iter().map(|c| poseidon::rows_wide(c.messages(), c.groups)).sum();
        let pack_rows = if private { pack::rows_for(b.weights.len()) } else { 0 };
        // Gates look up to two rows ahead (the requant block), so keep the tail inside the plan.
        let rows = (b.row + requant::ROWS).max(hash_rows).max(pack_rows);
        Ok(Layout {
            lanes,
            scale_bits: model.scale_bits,
            table_shift: model.table_shift,
            tables: b.tables,
            rows,
            wires: b.wires,
            advice: b.advice,
            fixed: b.fixed,
            privacy,
            weights: b.weights,
            commitments,
            zero,
            public,
            num_public_inputs,
            num_outputs,
            node_wires,
        })
    }

    /// The public values of a witness; `salts[i]` blinds commitment i when it is salted.
    pub fn public_values(&self, witness: &[i128], salts: &[Fr]) -> Vec<Fr> {
        self.public
            .iter()
            .map(|p| match *p {
                Public::Wire(w) => to_field(witness[w]),
                Public::Commitment(i) => {
                    poseidon::commit_wide(&self.messages(i, witness, salts), self.commitments[i].groups)
                }
            })
            .collect()
    }

    /// What commitment i absorbs: its salt (if salted), then its wires' values.
    pub fn messages(&self, i: usize, witness: &[i128], salts: &[Fr]) -> Vec<Fr> {
        let c = &self.commitments[i];
        let salt = c.salted.then(|| salts.get(i).copied().unwrap_or(Fr::zero()));
        let values: Vec<i128> = c.wires.iter().map(|&w| witness[w]).collect();
        let body = match c.packed {
            Some(s) => pack::pack(&values, s),
            None => values.into_iter().map(to_field).collect(),
        };
        salt.into_iter().chain(body).collect()
    }

    /// The weights commitment of this layout's model (the contract's `MODEL_COMMITMENT`).
    pub fn weights_commitment(&self) -> Option<Fr> {
        let i = self.commitments.iter().position(|c| c.kind == CommitKind::Weights)?;
        let values: Vec<i128> = self
            .wires
            .iter()
            .map(|d| match d {
                WireDef::Weight { value } => *value,
                _ => 0,
            })
            .collect();
        Some(poseidon::commit_wide(&self.messages(i, &values, &[]), self.commitments[i].groups))
    }

    pub fn uses_dot(&self) -> bool {
        self.fixed.iter().any(|(c, _, _)| *c == FixedCol::DotQ)
    }

    /// Rows the lookup tables fill, with the all-zero row.
    pub fn table_rows(&self) -> usize {
        if self.tables.is_empty() {
            0
        } else {
            1 + self.tables.iter().map(|t| t.values.len()).sum::<usize>()
        }
    }

    /// Computes every wire from the model inputs, following the definitions. Range failures name
    /// the model node whose value left the calibrated range.
    pub fn witness(&self, model: &QuantModel, inputs: &[Vec<i128>]) -> Result<Vec<i128>> {
        self.witness_forced(model, inputs, &[])
    }

    /// As `witness`, with some wires forced to other values and everything after them computed
    /// from those: what a cheating prover does after moving one value (the forgery tests).
    pub fn witness_forced(
        &self,
        model: &QuantModel,
        inputs: &[Vec<i128>],
        forced: &[(WireId, i128)],
    ) -> Result<Vec<i128>> {
        let s = self.scale_bits;
        let mut v: Vec<i128> = Vec::with_capacity(self.wires.len());
        for (id, def) in self.wires.iter().enumerate() {
            if let Some(&(_, value)) = forced.iter().find(|(w, _)| *w == id) {
                v.push(value);
                continue;
            }
            let value = match def {
                WireDef::Input { input, index } => inputs[*input][*index],
                WireDef::Weight { value } => *value,
                WireDef::Linear { terms, bias, prev } => {
                    terms.iter().map(|(w, c)| v[*w] * c).sum::<i128>() + bias + prev.map_or(0, |p| v[p])
                }
                WireDef::Quotient { acc } => crate::quant::rescale(v[*acc], s),
                WireDef::Remainder { acc } => {
                    v[*acc] + (1i128 << (s - 1)) - crate::quant::rescale(v[*acc], s) * (1i128 << s)
                }
                WireDef::Sign { y, node } => (model.check_range(*node, v[*y])? >= 0) as i128,
                WireDef::Limb { y, sign, index } => {
                    let rest = v[*y] + (1i128 << (2 * s)) - v[*sign] * (1i128 << (2 * s));
                    (rest >> (s * index)) & ((1i128 << s) - 1)
                }
                WireDef::Relu { y, sign } => v[*y] * v[*sign],
                WireDef::Product { a, b } => v[*a] * v[*b],
                WireDef::Dot { pairs, prev } => {
                    pairs.iter().map(|(a, c)| v[*a] * v[*c]).sum::<i128>() + prev.map_or(0, |p| v[p])
                }
                WireDef::TableIndex { x } => model.table_index(v[*x]),
                WireDef::TableRem { x, q } => {
                    let d = self.table_shift.unwrap_or(0);
                    v[*x] + (1i128 << d >> 1) - (v[*q] << d)
                }
                WireDef::Scaled { w, bits } => v[*w] << bits,
                WireDef::Lookup { q, node } => model.lookup(*node, v[*q])?,
            };
            v.push(value);
        }
        Ok(v)
    }
}
