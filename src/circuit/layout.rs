//! The layout planner: turns a quantised model into cell placements, fixed values and wires,
//! independent of any witness. Keygen and proving both start from the same `Layout`, so the
//! fixed columns (which hold the weights) and copy constraints cannot drift apart.
//!
//! A *wire* is one integer value of the computation. Each wire is defined by how to compute it
//! from earlier wires (`WireDef`); its first placement is its home cell and every later placement
//! is copy-constrained to it.

use super::{dot, linear, lut, product, requant};
use crate::error::{Error, Result};
use crate::quant::{QOp, QuantModel};
use serde::{Deserialize, Serialize};

pub type WireId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Col {
    Advice(usize),
    /// The lookup-checked column: every cell in it lies in [0, 2^s).
    Range,
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
    Input { input: usize, index: usize },
    /// `bias + Σ coeff·wire (+ prev)`: one row of a linear combination.
    Linear { terms: Vec<(WireId, i128)>, bias: i128, prev: Option<WireId> },
    Quotient { acc: WireId },
    Remainder { acc: WireId },
    Sign { y: WireId, node: usize },
    Limb { y: WireId, sign: WireId, index: u32 },
    Relu { y: WireId, sign: WireId },
    Product { a: WireId, b: WireId },
    /// `Σ a·b (+ prev)`: one row of a dot product.
    Dot { pairs: Vec<(WireId, WireId)>, prev: Option<WireId> },
    /// A lookup input on the table grid, its rescale remainder, and a wire times 2^bits.
    TableIndex { x: WireId },
    TableRem { x: WireId, q: WireId },
    Scaled { w: WireId, bits: u32 },
    /// The table value of model node `node` at index `q`.
    Lookup { q: WireId, node: usize },
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
    /// Public values in order: every model input, then every model output (flat).
    pub instance: Vec<WireId>,
    pub num_public_inputs: usize,
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
    pub fn plan(model: &QuantModel, lanes: usize) -> Result<Layout> {
        if lanes < requant::MIN_LANES {
            return Err(Error::Layout(format!("at least {} lanes are needed", requant::MIN_LANES)));
        }
        let mut b = Builder {
            lanes,
            row: 0,
            wires: vec![],
            advice: vec![],
            fixed: vec![],
            constants: Default::default(),
            tables: vec![],
        };
        let mut node_wires: Vec<Vec<WireId>> = Vec::with_capacity(model.nodes.len());
        let width = lanes + 1;
        for (id, node) in model.nodes.iter().enumerate() {
            let ws = match &node.op {
                QOp::Input { index } => {
                    // Load rows: inputs in every advice column, no gate active; their cells are
                    // the home cells that the instance column is copied to.
                    let ws: Vec<WireId> = (0..node.len())
                        .map(|i| b.wire(WireDef::Input { input: *index, index: i }))
                        .collect();
                    for (i, &w) in ws.iter().enumerate() {
                        b.place(Col::Advice(i % width), b.row + i / width, w);
                    }
                    b.row += node.len().div_ceil(width);
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
                QOp::Affine { terms, bias, rescale, relu } => {
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
                    let tag = b.table_tag(Table { lo: 0, step: 1 << model.scale_bits, values: values.clone() });
                    let x = node_wires[node.inputs[0]].clone();
                    x.iter().map(|&w| lut::layout(&mut b, w, id, tag, 0, model.scale_bits)).collect()
                }
            };
            node_wires.push(ws);
        }
        let mut instance: Vec<WireId> = vec![];
        for &i in &model.inputs {
            instance.extend(&node_wires[i]);
        }
        let num_public_inputs = instance.len();
        for &o in &model.outputs {
            instance.extend(&node_wires[o]);
        }
        // Gates look up to two rows ahead (the requant block), so keep the tail inside the plan.
        let rows = b.row + requant::ROWS;
        Ok(Layout {
            lanes,
            scale_bits: model.scale_bits,
            table_shift: model.table_shift,
            tables: b.tables,
            rows,
            wires: b.wires,
            advice: b.advice,
            fixed: b.fixed,
            instance,
            num_public_inputs,
            node_wires,
        })
    }

    pub fn uses_dot(&self) -> bool {
        self.fixed.iter().any(|(c, _, _)| *c == FixedCol::DotQ)
    }

    /// Rows the lookup tables fill, with the all-zero row.
    pub fn table_rows(&self) -> usize {
        if self.tables.is_empty() { 0 } else { 1 + self.tables.iter().map(|t| t.values.len()).sum::<usize>() }
    }

    /// Computes every wire from the model inputs, following the definitions. Range failures name
    /// the model node whose value left the calibrated range.
    pub fn witness(&self, model: &QuantModel, inputs: &[Vec<i128>]) -> Result<Vec<i128>> {
        let s = self.scale_bits;
        let mut v: Vec<i128> = Vec::with_capacity(self.wires.len());
        for def in &self.wires {
            let value = match def {
                WireDef::Input { input, index } => inputs[*input][*index],
                WireDef::Linear { terms, bias, prev } => {
                    terms.iter().map(|(w, c)| v[*w] * c).sum::<i128>()
                        + bias
                        + prev.map_or(0, |p| v[p])
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
