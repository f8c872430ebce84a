//! The layout planner: turns a quantised model into cell placements, fixed values and wires,
//! independent of any witness. Keygen and proving both start from the same `Layout`, so the
//! fixed columns (which hold the weights) and copy constraints cannot drift apart.
//!
//! A *wire* is one integer value of the computation. Each wire is defined by how to compute it
//! from earlier wires (`WireDef`); its first placement is its home cell and every later placement
//! is copy-constrained to it.

use super::builder::Builder;
use super::privacy::{CommitKind, Commitment, Privacy, Public, Visibility, WeightsMode};
use super::to_field;
use super::{linear, ops, pack, packed, poseidon, requant};
use crate::error::{Error, Result};
use crate::quant::{QOp, QuantModel};
use halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

pub use super::builder::{Col, Table, WireDef, WireId};
pub use super::gadget::FixedCol;

/// The planner's choices of gadget: what a layout trades columns for rows with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// One-input outputs share pointwise rows (two more fixed columns).
    pub pointwise: bool,
    /// Requant blocks take one row (two more looked-up columns) instead of three.
    pub wide: bool,
    /// Range cells per s-bit limb, d (0 and 1 alike: one). The range table is [0, 2^(s/d)), so
    /// the scale no longer sets k's floor: a requant block takes 3d rows instead of 3, and s must
    /// be a multiple of d so that every limb bounds exactly its bits (no slack above 2^s or 2^(2s)).
    pub split: usize,
}

impl From<bool> for Shape {
    /// Pointwise packing on or off, requant in its three-row form.
    fn from(pointwise: bool) -> Self {
        Shape { pointwise, wide: false, split: 1 }
    }
}

/// Rows halo2 keeps for blinding at the end of every column (an upper bound for our circuits).
const HALO2_RESERVED: usize = 16;

/// A planned circuit: every cell placement, fixed value and wire definition, and what is public,
/// independent of any witness. Keygen and proving both build their circuit from it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Layout {
    /// Input lanes per linear row: the circuit has `lanes + 1` general advice columns.
    pub lanes: usize,
    /// s: activations are integers at scale 2^s, products and biases at 2^(2s).
    pub scale_bits: u32,
    /// r: the range table is [0, 2^r); s is a multiple of r (`Shape::split`).
    pub range_bits: u32,
    /// d = s − t when the model has lookup tables: the bits a lookup input is rescaled by.
    pub table_shift: Option<u32>,
    /// The lookup tables; table i has tag i + 1.
    pub tables: Vec<Table>,
    /// Rows the model, commitment and packing regions need (the longest), without halo2's reserved rows.
    pub rows: usize,
    /// Every wire's definition, indexed by `WireId`, each naming only earlier wires.
    pub wires: Vec<WireDef>,
    /// Placements `(column, row, wire)`: a wire's first is its home cell, later ones are copies of it.
    pub advice: Vec<(Col, usize, WireId)>,
    /// Nonzero fixed cells `(column, row, value)` (zero cells are omitted): part of the verifying key.
    pub fixed: Vec<(FixedCol, usize, i128)>,
    /// What the proof reveals, as planned (checked by `Privacy::check`).
    pub privacy: Privacy,
    /// The private parameters, in the order the weights commitment absorbs them.
    pub weights: Vec<WireId>,
    /// The Poseidon commitments computed in the circuit, referred to by index from `Public::Commitment`.
    pub commitments: Vec<Commitment>,
    /// The constant-zero wire that commitment padding is pinned to (present when anything is hashed).
    #[serde(default)]
    pub zero: Option<WireId>,
    /// Public values in order: the inputs part (each input element, its commitment, or
    /// nothing), the outputs part, then the weights commitment when weights are hashed.
    pub public: Vec<Public>,
    /// Length of the inputs part of `public`: every input element, 1 when hashed, 0 when private.
    pub num_public_inputs: usize,
    /// The packed parts of the public values (inputs, outputs), referred to by `Public::Packed`.
    #[serde(default)]
    pub packings: Vec<packed::Packing>,
    /// Length of the outputs part of `public`: every output element, or 1 when hashed.
    pub num_outputs: usize,
    /// The wires of each model node's value.
    pub node_wires: Vec<Vec<WireId>>,
    /// Rows each model node's layout took (where a circuit's rows go).
    #[serde(default)]
    pub node_rows: Vec<usize>,
    /// The products proven by the randomised check (`WireDef::Claimed` indexes them).
    #[serde(default)]
    pub products: Vec<super::freivalds::Product>,
    /// The second-phase cells of those checks.
    #[serde(default)]
    pub late: super::freivalds::Late,
}

/// A private parameter is the prover's to choose: unless bounded it is any field element (1/3
/// mod p makes outputs no fixed-point weights can). Both private modes range-check every
/// parameter in the packing gadget's looked-up limbs, so each must fit them.
fn check_private_weights(b: &Builder, s: u32) -> Result<()> {
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
    Ok(())
}

/// Forgets the parameters no gate reads. A convolution tap that meets only padding at every
/// position is never placed: it cannot change an output, so it has no cell for the packing
/// gadget or the weights commitment to copy from. Committing to the weights that compute the
/// model (and no others) keeps MODEL_COMMITMENT a function of what the circuit proves.
fn drop_dead_weights(b: &mut Builder) {
    let placed: std::collections::HashSet<WireId> = b.advice.iter().map(|&(_, _, w)| w).collect();
    b.weights.retain(|w| placed.contains(w));
}

/// Sponges side by side for the weights commitment: as many as save proving work (columns ×
/// rows, rows rounded up to a power of two), up to `poseidon::MAX_GROUPS`. Each group adds six
/// advice columns and ~3.5 KB to the verifier, which must stay under EIP-170.
fn weight_groups(b: &Builder, commitments: &[Commitment], scale_bits: u32) -> usize {
    let others: usize = commitments.iter().map(|c| poseidon::rows_wide(c.messages(), c.groups)).sum();
    let used = (b.row + requant::rows(b.split)).max(b.tables.iter().map(|t| t.values.len() + 1).sum());
    // Packed several to a message (two range-checked limbs each, in columns of their
    // own): 2 rows per weight instead of 19 in the sponge, and every weight an integer.
    let packed = Some(scale_bits);
    let n =
        Commitment { kind: CommitKind::Weights, wires: b.weights.clone(), salted: false, groups: 1, packed }.messages();
    let work = |g: usize| {
        let rows = used.max(others + poseidon::rows_wide(n, g)) + HALO2_RESERVED;
        let height = rows.next_power_of_two().max(1 << (scale_bits + 1));
        (b.lanes + 30 + 6 * g) * height
    };
    (1..=poseidon::MAX_GROUPS).min_by_key(|&g| (work(g), g)).unwrap_or(1)
}

/// The range table's width for `split` range cells per s-bit limb, or why that split cannot be
/// laid out: each limb must bound exactly its bits, the one-row requant and the weight packing
/// hold one limb per cell, and a lookup's lifted remainder (`lut.rs`) must fit the table.
fn range_bits(model: &QuantModel, split: usize, wide: bool, private: bool) -> Result<u32> {
    let s = model.scale_bits;
    if split == 1 {
        return Ok(s);
    }
    let refuse =
        |why: &str| Err(Error::Layout(format!("cannot split the range check {split} ways at scale 2^-{s}: {why}")));
    if !s.is_multiple_of(split as u32) {
        return refuse("the scale's bits are not a multiple of it");
    }
    if wide || private {
        return refuse("the one-row requant and private or hashed weights hold one s-bit limb per cell");
    }
    let r = s / split as u32;
    match model.table_shift {
        Some(shift) if shift > r => refuse(&format!("a lookup rescales by {shift} bits, more than the table's {r}")),
        _ => Ok(r),
    }
}

impl Layout {
    /// Plans `model` over `lanes` lanes (at least `requant::MIN_LANES`) with the gadget choices
    /// of `shape` (a bool: pointwise packing, three-row requant). Errors
    /// say what cannot be laid out: contradictory privacy, private weights with a constant-data
    /// table, a value no range check holds.
    pub fn plan(model: &QuantModel, lanes: usize, privacy: Privacy, shape: impl Into<Shape>) -> Result<Layout> {
        let Shape { pointwise, wide, split } = shape.into();
        if lanes < requant::MIN_LANES {
            return Err(Error::Layout(format!("at least {} lanes are needed", requant::MIN_LANES)));
        }
        privacy.check()?;
        let private = privacy.private_weights();
        let split = split.max(1);
        let range_bits = range_bits(model, split, wide, private)?;
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
            pointwise,
            wide,
            split,
            range_bits,
            row: 0,
            wires: vec![],
            advice: vec![],
            fixed: vec![],
            constants: Default::default(),
            tables: vec![],
            weights: vec![],
            products: vec![],
            late: Default::default(),
        };
        // model.json is read back from disk (`Compiled::load`): a damaged one must be an error
        // here, not an index out of bounds below (found by fuzzing, fuzz/regressions/build_dir).
        for (id, node) in model.nodes.iter().enumerate() {
            if let Some(i) = node.inputs.iter().find(|&&i| i >= id) {
                return Err(Error::Layout(format!(
                    "node {id} ({}) reads node {i}, which does not come before it",
                    node.name
                )));
            }
        }
        if let Some(i) = model.inputs.iter().chain(&model.outputs).find(|&&i| i >= model.nodes.len()) {
            return Err(Error::Layout(format!("the model's inputs or outputs name node {i}, past its last node")));
        }
        let mut node_wires: Vec<Vec<WireId>> = Vec::with_capacity(model.nodes.len());
        let mut node_rows = Vec::with_capacity(model.nodes.len());
        for (id, node) in model.nodes.iter().enumerate() {
            let inputs = node.inputs.iter().map(|&i| node_wires[i].as_slice()).collect();
            let n = ops::Node { model, id, node, inputs, private };
            let before = b.row;
            let ws = ops::layout(&mut b, &n)?;
            node_wires.push(ws);
            node_rows.push(b.row - before);
        }
        // Commitment padding is copied from this wire (see `ModelCircuit::assign_commitments`).
        let hashed =
            [privacy.input, privacy.output].contains(&Visibility::Hashed) || privacy.weights == WeightsMode::Hashed;
        let zero = hashed.then(|| linear::constant(&mut b, 0));
        let flat = |ids: &[usize]| -> Vec<WireId> { ids.iter().flat_map(|&i| node_wires[i].iter().copied()).collect() };
        let mut public: Vec<Public> = vec![];
        let mut commitments: Vec<Commitment> = vec![];
        let mut packings: Vec<packed::Packing> = vec![];
        let mut expose =
            |b: &mut Builder, vis: Visibility, kind: CommitKind, ids: &[usize], public: &mut Vec<Public>| {
                let wires = flat(ids);
                match vis {
                    Visibility::Public => public.extend(wires.into_iter().map(Public::Wire)),
                    // `auto` is resolved by the compile (`plan::packing`); a layout asked for it packs.
                    Visibility::Packed | Visibility::Auto => {
                        // Each value must be in [−2^(2s), 2^(2s)) for its word to be unique: an output
                        // not range-checked where it was made gets a range block here.
                        let nodes = ids.iter().flat_map(|&i| std::iter::repeat_n(i, node_wires[i].len()));
                        let checked: Vec<WireId> = wires
                            .into_iter()
                            .zip(nodes)
                            .map(|(w, node)| {
                                if packed::range_checked(b, w) {
                                    w
                                } else {
                                    requant::layout(b, None, Some(w), false, node)
                                }
                            })
                            .collect();
                        let p = packed::layout(b, checked, model.scale_bits);
                        let packing = packings.len();
                        public.extend((0..p.starts.len()).map(|word| Public::Packed { packing, word }));
                        packings.push(p);
                    }
                    Visibility::Hashed => {
                        commitments.push(Commitment { kind, wires, salted: privacy.salted, groups: 1, packed: None });
                        public.push(Public::Commitment(commitments.len() - 1));
                    }
                    Visibility::Private => {}
                }
            };
        expose(&mut b, privacy.input, CommitKind::Input, &model.inputs, &mut public);
        let num_public_inputs = public.len();
        expose(&mut b, privacy.output, CommitKind::Output, &model.outputs, &mut public);
        let num_outputs = public.len() - num_public_inputs;
        if private {
            drop_dead_weights(&mut b);
            check_private_weights(&b, model.scale_bits)?;
        }
        if privacy.weights == WeightsMode::Hashed {
            let packed = Some(model.scale_bits);
            let groups = weight_groups(&b, &commitments, model.scale_bits);
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
        // Gates look up to 3d − 1 rows ahead (the requant block), so keep the tail inside the plan.
        let rows = (b.row + requant::rows(split)).max(hash_rows).max(pack_rows);
        Ok(Layout {
            lanes,
            scale_bits: model.scale_bits,
            range_bits,
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
            packings,
            num_outputs,
            node_wires,
            node_rows,
            products: b.products,
            late: b.late,
        })
    }

    /// The public values of a witness; `salts[i]` blinds commitment i when it is salted.
    pub fn public_values(&self, witness: &[i128], salts: &[Fr]) -> Vec<Fr> {
        let words: Vec<Vec<Fr>> = self.packings.iter().map(|p| p.values(witness, self.lanes)).collect();
        self.public
            .iter()
            .map(|p| match *p {
                Public::Wire(w) => to_field(witness[w]),
                Public::Packed { packing, word } => words[packing][word],
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

    /// Whether `outputs` (integers at the model's scale, flattened in output order) with the
    /// salts of the salted commitments (in commitment order, as an opening file lists them) are
    /// what the outputs commitment among `public` stands for. `None` when the outputs are not hashed.
    pub fn opens_outputs(&self, public: &[Fr], outputs: &[i128], salts: &[Fr]) -> Option<bool> {
        let i = self.commitments.iter().position(|c| c.kind == CommitKind::Output)?;
        let at = self.public.iter().position(|p| matches!(p, Public::Commitment(j) if *j == i))?;
        let c = &self.commitments[i];
        if outputs.len() != c.wires.len() {
            return Some(false);
        }
        let mut witness = vec![0i128; self.wires.len()];
        for (&w, &v) in c.wires.iter().zip(outputs) {
            witness[w] = v;
        }
        // Salts by commitment index: the opening lists only the salted ones.
        let mut listed = salts.iter();
        let by_index: Vec<Fr> = self
            .commitments
            .iter()
            .map(|c| if c.salted { listed.next().copied().unwrap_or(Fr::zero()) } else { Fr::zero() })
            .collect();
        let expected = poseidon::commit_wide(&self.messages(i, &witness, &by_index), c.groups);
        Some(public.get(at) == Some(&expected))
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
                WireDef::Limb { y, sign, index, bits } => {
                    let rest = v[*y] + (1i128 << (2 * s)) - v[*sign] * (1i128 << (2 * s));
                    (rest >> (bits * index)) & ((1i128 << bits) - 1)
                }
                WireDef::Chunk { w, index, bits } => (v[*w] >> (bits * index)) & ((1i128 << bits) - 1),
                WireDef::Relu { y, sign } => v[*y] * v[*sign],
                WireDef::Product { a, b } => v[*a] * v[*b],
                WireDef::Dot { pairs, prev } => {
                    pairs.iter().map(|(a, c)| v[*a] * v[*c]).sum::<i128>() + prev.map_or(0, |p| v[p])
                }
                WireDef::TableIndex { x, shift } => QuantModel::table_index(v[*x], *shift),
                WireDef::TableRem { x, q, shift } => v[*x] + (1i128 << shift >> 1) - (v[*q] << shift),
                WireDef::Scaled { w, bits } => v[*w] << bits,
                WireDef::Lookup { q, node } => model.lookup(*node, v[*q])?,
                WireDef::Claimed { check, c, p } => self.products[*check].entry(&v, *c, *p),
            };
            v.push(value);
        }
        Ok(v)
    }
}
