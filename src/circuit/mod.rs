//! The halo2 circuit of a quantised model: column configuration, and synthesis of a `Layout`.
//!
//! Three tiers, each depending only on the one below: `builder` (wires and cells), the gadgets
//! (`linear`, `requant`, `product`, `dot`, `lut`: one per file, each owning its fixed columns and
//! gates, registered in `gadget`), and `ops` (one file per quantised op, laying the op out from
//! gadgets). `layout::Layout::plan` dispatches each model node to its op.
//!
//! Columns: `lanes + 1` general advice columns (copy-enabled), one range advice column checked
//! against a `[0, 2^s)` table, one instance column (public inputs then outputs), and the fixed
//! columns of the gadgets. The commitment machinery (`poseidon`, `pack`) has columns and
//! regions of its own.

pub mod audit;
pub mod builder;
pub mod dot;
pub mod freivalds;
pub mod gadget;
pub mod layout;
pub mod linear;
pub mod lut;
pub(crate) mod ops;
pub mod pack;
pub mod packed;
pub mod pointwise;
pub mod poseidon;
pub mod privacy;
pub mod product;
pub mod requant;
pub mod requant_wide;
pub mod rows;

use gadget::{FixedCol, Gadget, Kind, Shared};
use halo2_proofs::circuit::{Cell, Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Error as PlonkError, Fixed, Instance, TableColumn,
};
use halo2_proofs::poly::Rotation;
use layout::{Col, Layout};
use poseidon::PoseidonConfig;
use privacy::{Public, WeightsMode};
use std::sync::Arc;

/// What configuring a circuit depends on (its verifying key's shape), read off a layout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CircuitParams {
    /// Inputs per linear row: the circuit has `lanes + 1` general advice columns.
    pub lanes: usize,
    /// Activations are integers at 2^-scale_bits.
    pub scale_bits: u32,
    /// The range table is `[0, 2^range_bits)`; `scale_bits` is a multiple of it.
    pub range_bits: u32,
    /// Set when the model has lookup tables: the bits their inputs are rescaled by.
    pub table_shift: Option<u32>,
    /// The gadgets whose fixed cells the layout sets: only these are configured.
    pub gadgets: std::collections::BTreeSet<Kind>,
    /// Column groups of the Poseidon gadget (0: nothing is committed).
    pub hash_lanes: usize,
    /// Whether weights are packed before hashing (the packing gadget's columns and lookup).
    pub pack: bool,
}

/// The columns of a model's circuit, by who owns them: shared, per gadget, commitments.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// The gadgets' shared general columns (lanes, then the accumulator), copy-enabled.
    pub advice: Vec<Column<Advice>>,
    /// Every cell looked up in `table`: what gadgets bound by placing a cell here.
    pub range: Column<Advice>,
    /// Public inputs, then outputs, then the commitments (`Layout::public`'s order).
    pub instance: Column<Instance>,
    /// The range table `[0, 2^r)`.
    pub table: TableColumn,
    /// The configured gadgets, indexed by `Kind as usize` (`None`: not in this circuit).
    pub gadgets: Arc<Vec<Option<Box<dyn Gadget>>>>,
    /// The sponge columns, when anything is committed (hashed inputs, outputs or weights).
    pub poseidon: Option<PoseidonConfig>,
    /// The weight-packing columns, when weights are private or hashed.
    pub pack: Option<pack::PackConfig>,
    /// As `CircuitParams::range_bits`: the range table's size.
    pub range_bits: u32,
}

impl ModelConfig {
    fn fixed(&self, col: FixedCol) -> Column<Fixed> {
        let gadget = self.gadgets[col.gadget as usize].as_ref();
        gadget.unwrap_or_else(|| panic!("{:?} gadget not configured", col.gadget)).fixed()[col.index]
    }
    fn advice(&self, col: Col) -> Column<Advice> {
        match col {
            Col::Advice(i) => self.advice[i],
            Col::Range => self.range,
            Col::Wide(i) => {
                let g = self.gadgets[Kind::RequantWide as usize].as_ref();
                g.expect("wide requant cells need its gadget").advice()[i]
            }
            Col::Hash(_) | Col::Pack(_) | Col::Late(_) => unreachable!("assigned by their gadgets"),
        }
    }
}

pub use crate::field::{from_i128 as to_field, from_u128 as fr_u128};

/// A model's circuit: its layout, and for proving the wire values that fill it.
#[derive(Clone, Debug)]
pub struct ModelCircuit {
    /// Shared by keygen and proving, so the fixed columns and copies cannot drift apart.
    pub layout: Arc<Layout>,
    /// One value per wire; `None` for keygen.
    pub witness: Option<Arc<Vec<i128>>>,
    /// Cells assigned a chosen value instead of the honest one (empty cells included): what a
    /// cheating prover controls, for the tests that show each constraint bites.
    #[cfg(any(test, feature = "forgery"))]
    pub tamper: Vec<(Col, usize, Fr)>,
    /// The salt of each salted commitment (indexed like `Layout::commitments`).
    pub salts: Vec<Fr>,
}

impl ModelCircuit {
    /// The honest circuit of a layout: `witness` holds one value per wire (`None` for keygen),
    /// `salts[i]` blinds commitment i when it is salted.
    pub fn new(layout: Arc<Layout>, witness: Option<Arc<Vec<i128>>>, salts: Vec<Fr>) -> Self {
        ModelCircuit {
            layout,
            witness,
            salts,
            #[cfg(any(test, feature = "forgery"))]
            tamper: vec![],
        }
    }

    /// The cells a forgery test overrides (none in a build without `forgery`).
    fn overrides(&self) -> &[(Col, usize, Fr)] {
        #[cfg(any(test, feature = "forgery"))]
        return &self.tamper;
        #[cfg(not(any(test, feature = "forgery")))]
        &[]
    }

    /// The configuration a layout needs: the verifying key's shape, without a witness.
    pub fn params_of(layout: &Layout) -> CircuitParams {
        CircuitParams {
            lanes: layout.lanes,
            scale_bits: layout.scale_bits,
            range_bits: layout.range_bits,
            table_shift: layout.table_shift,
            gadgets: layout.fixed.iter().map(|(c, _, _)| c.gadget).collect(),
            hash_lanes: layout.commitments.iter().map(|c| c.groups).max().unwrap_or(0),
            pack: layout.privacy.private_weights(),
        }
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitParams;

    fn without_witnesses(&self) -> Self {
        ModelCircuit::new(self.layout.clone(), None, vec![])
    }

    fn params(&self) -> CircuitParams {
        Self::params_of(&self.layout)
    }

    fn configure(_meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        unreachable!("zkinfer circuits are configured with their CircuitParams")
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, p: CircuitParams) -> ModelConfig {
        let advice: Vec<Column<Advice>> = (0..=p.lanes).map(|_| meta.advice_column()).collect();
        for a in &advice {
            meta.enable_equality(*a);
        }
        let range = meta.advice_column();
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let table = meta.lookup_table_column();
        meta.lookup("range", |m| vec![(m.query_advice(range, Rotation::cur()), table)]);
        let shared = Shared {
            advice,
            range,
            range_table: table,
            scale_bits: p.scale_bits,
            range_bits: p.range_bits,
            table_shift: p.table_shift,
        };
        let gadgets = Arc::new(gadget::configure_all(meta, &shared, &p));
        let Shared { advice, .. } = shared;
        let poseidon = (p.hash_lanes > 0).then(|| PoseidonConfig::configure(meta, p.hash_lanes));
        let pack = p.pack.then(|| pack::PackConfig::configure(meta, table, p.scale_bits));
        ModelConfig { advice, range, instance, table, gadgets, poseidon, pack, range_bits: p.range_bits }
    }

    fn synthesize(&self, config: ModelConfig, mut layouter: impl Layouter<Fr>) -> Result<(), PlonkError> {
        let r = config.range_bits;
        layouter.assign_table(
            || "range table",
            |mut table| {
                for i in 0..(1usize << r) {
                    table.assign_cell(|| "range", config.table, i, || Value::known(Fr::from(i as u64)))?;
                }
                Ok(())
            },
        )?;
        let layout = &self.layout;
        for gadget in config.gadgets.iter().flatten() {
            let columns = gadget.table_columns();
            if columns.is_empty() {
                continue;
            }
            layouter.assign_table(
                || "lookup tables",
                |mut table| {
                    let mut row = 0;
                    gadget.table_rows(layout, &mut |values: &[Fr]| {
                        for (col, &v) in columns.iter().zip(values) {
                            table.assign_cell(|| "lut", *col, row, || Value::known(v))?;
                        }
                        row += 1;
                        Ok(())
                    })
                },
            )?;
        }
        let cells = layouter.assign_region(
            || "model",
            |mut region| {
                for &(col, row, value) in &layout.fixed {
                    region.assign_fixed(config.fixed(col), row, to_field(value));
                }
                let mut home: Vec<Option<halo2_proofs::circuit::Cell>> = vec![None; layout.wires.len()];
                for &(col, row, wire) in &layout.advice {
                    let mut value = match &self.witness {
                        Some(w) => Value::known(to_field(w[wire])),
                        None => Value::unknown(),
                    };
                    if let Some(&(_, _, v)) = self.overrides().iter().find(|(c, r, _)| *c == col && *r == row) {
                        value = Value::known(v);
                    }
                    let cell = region.assign_advice(config.advice(col), row, value).cell();
                    match home[wire] {
                        Some(h) => region.constrain_equal(h, cell),
                        None => home[wire] = Some(cell),
                    }
                }
                let words = self.assign_packings(&config, &mut region)?;
                // A tampered cell the layout leaves empty is written too: what a cheating prover
                // does with the cells no gadget assigns (the forgery tests need it).
                let placed: std::collections::HashSet<(Col, usize)> = if self.overrides().is_empty() {
                    Default::default()
                } else {
                    layout.advice.iter().map(|&(c, r, _)| (c, r)).collect()
                };
                for &(col, row, v) in self.overrides() {
                    if matches!(col, Col::Advice(_) | Col::Range | Col::Wide(_)) && !placed.contains(&(col, row)) {
                        region.assign_advice(config.advice(col), row, Value::known(v));
                    }
                }
                Ok((home, words))
            },
        )?;
        let (cells, words) = cells;
        let commitments = match &config.poseidon {
            Some(hasher) => self.assign_commitments(hasher, config.pack.as_ref(), &cells, &mut layouter)?,
            None => vec![],
        };
        // Private weights are range-checked by the packing gadget alone (hashed ones are packed
        // inside the commitment): its messages go nowhere, its limb lookups bound every weight.
        if let (WeightsMode::Private, Some(packer)) = (layout.privacy.weights, &config.pack) {
            layouter.assign_region(
                || "weight ranges",
                |mut region| self.pack_weights(packer, &mut region, &cells).map(|_| ()),
            )?;
        }
        for (row, p) in layout.public.iter().enumerate() {
            let cell = match *p {
                Public::Wire(w) => cells[w].expect("every public wire has a home cell"),
                Public::Commitment(i) => commitments[i],
                Public::Packed { packing, word } => words[packing][word],
            };
            layouter.constrain_instance(cell, config.instance, row);
        }
        let checks = config.gadgets.get(Kind::Freivalds as usize).and_then(|g| g.as_ref()?.second_phase());
        if let Some(cfg) = checks {
            let witness = self.witness.as_ref().map(|w| w.as_slice());
            freivalds::assign(cfg, &layout.late, witness, self.overrides(), &mut layouter)?;
        }
        Ok(())
    }
}

impl ModelCircuit {
    /// Writes the packed public values' fixed coefficients and accumulators (`packed.rs`) on the
    /// linear rows the layout reserved; returns each word's cell, per packing.
    fn assign_packings(
        &self,
        config: &ModelConfig,
        region: &mut halo2_proofs::circuit::Region<'_, Fr>,
    ) -> Result<Vec<Vec<Cell>>, PlonkError> {
        let lanes = self.layout.lanes;
        let mut out = vec![];
        for p in &self.layout.packings {
            let mut words = vec![];
            for j in 0..p.starts.len() {
                let mut acc = self.witness.as_ref().map(|_| Fr::zero());
                let mut last = None;
                for row in p.rows(j, lanes) {
                    region.assign_fixed(config.fixed(linear::CHAIN), row.row, row.chain);
                    region.assign_fixed(config.fixed(linear::BIAS), row.row, row.bias);
                    for (i, c) in row.coeffs.iter().enumerate() {
                        region.assign_fixed(config.fixed(linear::weight(i)), row.row, *c);
                    }
                    acc = self.witness.as_ref().zip(acc).map(|(w, a)| packed::row_value(&row, a, |x| to_field(w[x])));
                    let value = acc.map_or(Value::unknown(), Value::known);
                    last = Some(region.assign_advice(config.advice[lanes], row.row, value).cell());
                }
                words.push(last.expect("a word has a row"));
            }
            out.push(words);
        }
        Ok(out)
    }

    /// Lays out every commitment in the Poseidon gadget's columns (their own region, so it runs
    /// beside the model's rows), copies each absorbed wire from its home cell, and returns each
    /// commitment's output cell.
    fn assign_commitments(
        &self,
        hasher: &PoseidonConfig,
        packer: Option<&pack::PackConfig>,
        home: &[Option<Cell>],
        layouter: &mut impl Layouter<Fr>,
    ) -> Result<Vec<Cell>, PlonkError> {
        let layout = &self.layout;
        layouter.assign_region(
            || "commitments",
            |mut region| {
                let mut start = 0;
                let mut outputs = vec![];
                for (i, c) in layout.commitments.iter().enumerate() {
                    let messages: Vec<Value<Fr>> = match &self.witness {
                        Some(w) => layout.messages(i, w, &self.salts).into_iter().map(Value::known).collect(),
                        None => vec![Value::unknown(); c.messages()],
                    };
                    let n = messages.len();
                    // Padding (the sponge's odd-count pad, a wide commitment's short last chunk)
                    // is pinned to the zero wire: the gates alone would let it take any value.
                    let zero = || {
                        home[layout.zero.expect("a layout with commitments has a zero wire")].expect("zero is placed")
                    };
                    let (cells, out) = if c.groups <= 1 {
                        let (cells, outs) =
                            self.hash_block(hasher, &mut region, start, Fr::from(n as u64), vec![messages])?;
                        let mut cells = cells.into_iter().next().unwrap_or_default();
                        for pad in cells.drain(n..) {
                            region.constrain_equal(zero(), pad);
                        }
                        (cells, outs[0].0)
                    } else {
                        // Chunks side by side, then their commitments absorbed in group 0.
                        let m = poseidon::chunk_len(n, c.groups);
                        let chunks: Vec<Vec<Value<Fr>>> = (0..c.groups)
                            .map(|g| {
                                let mut chunk: Vec<Value<Fr>> = messages.iter().skip(g * m).take(m).copied().collect();
                                chunk.resize(m, Value::known(Fr::zero()));
                                chunk
                            })
                            .collect();
                        let (chunk_cells, hashes) =
                            self.hash_block(hasher, &mut region, start, Fr::from(m as u64), chunks)?;
                        let mut cells = vec![];
                        for (g, group) in chunk_cells.into_iter().take(c.groups).enumerate() {
                            for (j, cell) in group.into_iter().enumerate() {
                                if j < m && g * m + j < n {
                                    cells.push(cell);
                                } else {
                                    region.constrain_equal(zero(), cell);
                                }
                            }
                        }
                        let values: Vec<Value<Fr>> = hashes.iter().take(c.groups).map(|h| h.1).collect();
                        let cap = poseidon::wide_cap(n, c.groups);
                        let (combine_cells, out) =
                            self.hash_block(hasher, &mut region, start + poseidon::rows_for(m), cap, vec![values])?;
                        for (i, cell) in combine_cells[0].iter().enumerate() {
                            match hashes.get(i).filter(|_| i < c.groups) {
                                Some(h) => region.constrain_equal(h.0, *cell),
                                None => region.constrain_equal(zero(), *cell),
                            }
                        }
                        (cells, out[0].0)
                    };
                    // The salt (first, when salted) is free; every other message is a wire's copy, or
                    // with packing, a packed message whose weights are the wires' copies.
                    let homes = |wire: usize| home[wire].expect("a committed wire has a home cell");
                    match (c.packed, packer) {
                        (Some(_), Some(packer)) => {
                            let packed = self.pack_weights(packer, &mut region, home)?;
                            for (cell, p) in cells[c.salted as usize..].iter().zip(&packed) {
                                region.constrain_equal(*p, *cell);
                            }
                        }
                        _ => {
                            for (cell, &wire) in cells[c.salted as usize..].iter().zip(&c.wires) {
                                region.constrain_equal(homes(wire), *cell);
                            }
                        }
                    }
                    outputs.push(out);
                    start += poseidon::rows_wide(n, c.groups);
                }
                Ok(outputs)
            },
        )
    }

    /// Lays out every private weight in the packing gadget from row 0, each copied from its home
    /// cell; returns the packed messages' cells.
    fn pack_weights(
        &self,
        packer: &pack::PackConfig,
        region: &mut halo2_proofs::circuit::Region<'_, Fr>,
        home: &[Option<Cell>],
    ) -> Result<Vec<Cell>, PlonkError> {
        let wires = &self.layout.weights;
        let weights: Vec<Value<i128>> =
            wires.iter().map(|&w| self.witness.as_ref().map_or(Value::unknown(), |v| Value::known(v[w]))).collect();
        let tamper: Vec<(usize, usize, Fr)> = self
            .overrides()
            .iter()
            .filter_map(|&(col, row, v)| if let Col::Pack(k) = col { Some((k, row, v)) } else { None })
            .collect();
        let (weight_cells, packed) = packer.assign(region, 0, &weights, &tamper)?;
        for (cell, &wire) in weight_cells.iter().zip(wires) {
            region.constrain_equal(home[wire].expect("a weight has a home cell"), *cell);
        }
        Ok(packed)
    }

    /// One sponge per column group from row `start`, all with capacity `cap` and as many messages
    /// as the first: groups share their selectors, so a group with nothing to hash runs the
    /// sponge over zeros. Returns each group's message cells and (output cell, output value).
    #[allow(clippy::type_complexity)]
    fn hash_block(
        &self,
        hasher: &PoseidonConfig,
        region: &mut halo2_proofs::circuit::Region<'_, Fr>,
        start: usize,
        cap: Fr,
        mut per_group: Vec<Vec<Value<Fr>>>,
    ) -> Result<(Vec<Vec<Cell>>, Vec<(Cell, Value<Fr>)>), PlonkError> {
        let n = per_group[0].len();
        let rows = poseidon::rows_for(n);
        per_group.resize(hasher.groups.len(), vec![Value::known(Fr::zero()); n]);
        let mut cells = vec![];
        let mut outs = vec![];
        for (g, messages) in per_group.iter().enumerate() {
            let tamper: Vec<(usize, usize, Fr)> = self
                .overrides()
                .iter()
                .filter_map(|&(col, row, v)| match col {
                    Col::Hash(k) if k / 6 == g && (start..start + rows).contains(&row) => Some((k % 6, row - start, v)),
                    _ => None,
                })
                .collect();
            let (c, cell, value) = hasher.assign(region, g, start, cap, messages, &tamper)?;
            cells.push(c);
            outs.push((cell, value));
        }
        Ok((cells, outs))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::graph::{Graph, Node, Op};
    use crate::quant::QuantModel;
    use halo2_proofs::dev::MockProver;

    /// A two-layer MLP with a residual add and a bare relu: every gadget and row kind appears.
    pub fn toy_graph() -> Graph {
        let node =
            |name: &str, op, inputs: Vec<usize>, shape: Vec<usize>| Node { name: name.into(), op, inputs, shape };
        Graph {
            nodes: vec![
                node("x", Op::Input { index: 0 }, vec![], vec![1, 3]),
                node(
                    "fc1",
                    Op::Dense { k: 3, n: 2, weight: vec![0.5, -1.25, 0.75, 0.3, -0.2, 0.9], bias: vec![0.1, -0.3] },
                    vec![0],
                    vec![1, 2],
                ),
                node("relu1", Op::Relu, vec![1], vec![1, 2]),
                node(
                    "fc2",
                    Op::Dense { k: 2, n: 2, weight: vec![1.0, -0.5, 0.25, 2.0], bias: vec![0.0, 0.2] },
                    vec![2],
                    vec![1, 2],
                ),
                node("res", Op::Add, vec![3, 2], vec![1, 2]),
                node("shift", Op::AddConst { value: vec![-0.5] }, vec![4], vec![1, 2]),
                node("relu2", Op::Relu, vec![5], vec![1, 2]),
            ],
            inputs: vec![0],
            outputs: vec![6],
        }
    }

    pub fn toy_circuit(x: &[f32]) -> (QuantModel, ModelCircuit, Vec<Fr>) {
        toy_circuit_shaped(4, true.into(), x)
    }

    /// The toy model at scale 2^-8 over `lanes` lanes with the gadget choices of `shape`.
    pub fn toy_circuit_shaped(lanes: usize, shape: layout::Shape, x: &[f32]) -> (QuantModel, ModelCircuit, Vec<Fr>) {
        let q = QuantModel::from_graph(&toy_graph(), 8);
        let layout = Arc::new(Layout::plan(&q, lanes, Default::default(), shape).unwrap());
        let inputs = q.quantize_inputs(&[x.to_vec()]).unwrap();
        let witness = layout.witness(&q, &inputs).unwrap();
        let public = layout.public_values(&witness, &[]);
        (q, ModelCircuit::new(layout, Some(Arc::new(witness)), vec![]), public)
    }

    /// Inputs and outputs one per public value: for the gadget tests that forge a public output
    /// directly (the packed words have their own tests in `packed.rs`).
    pub fn clear() -> privacy::Privacy {
        use privacy::Visibility::Public;
        privacy::Privacy { input: Public, output: Public, ..Default::default() }
    }

    pub fn mock(c: &ModelCircuit, public: &[Fr]) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
        MockProver::run(10, c, vec![public.to_vec()]).unwrap().verify()
    }

    /// The checks a MockProver run reports failed, by kind and name (`gate 'requant'`, `lookup
    /// 'range'`, `permutation`, `unassigned`), sorted and deduplicated. A negative test asserts
    /// which check catches its forgery, so it cannot pass on an unrelated failure.
    pub fn failed_checks(result: Result<(), Vec<halo2_proofs::dev::VerifyFailure>>) -> Vec<String> {
        use halo2_proofs::dev::VerifyFailure as F;
        let mut out: Vec<String> = result
            .err()
            .unwrap_or_default()
            .iter()
            .map(|f| match f {
                F::ConstraintNotSatisfied { constraint, .. } | F::ConstraintPoisoned { constraint } => {
                    let text = constraint.to_string();
                    format!("gate {}", text.rsplit_once(" (").map_or(text.as_str(), |(_, n)| n).trim_end_matches(')'))
                }
                F::Lookup { name, .. } => format!("lookup '{name}'"),
                F::Permutation { .. } => "permutation".into(),
                F::CellNotAssigned { .. } | F::InstanceCellNotAssigned { .. } => "unassigned".into(),
                #[allow(unreachable_patterns)]
                other => format!("{other:?}"),
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn toy_model_satisfies_and_matches_oracle() {
        let (q, c, public) = toy_circuit(&[0.7, -1.2, 2.5]);
        assert_eq!(mock(&c, &public), Ok(()));
        let inputs = q.quantize_inputs(&[vec![0.7, -1.2, 2.5]]).unwrap();
        let oracle = q.eval(&inputs).unwrap();
        let w = c.witness.as_ref().unwrap();
        for (node, wires) in c.layout.node_wires.iter().enumerate() {
            let got: Vec<i128> = wires.iter().map(|&x| w[x]).collect();
            assert_eq!(got, oracle[node], "node {node}");
        }
    }

    #[test]
    fn changed_public_output_is_rejected() {
        let (_, c, mut public) = toy_circuit(&[0.7, -1.2, 2.5]);
        let last = public.len() - 1;
        public[last] += Fr::one();
        // The output cell is copied to the instance column: only the copy can fail.
        assert_eq!(failed_checks(mock(&c, &public)), ["permutation"]);
    }

    #[test]
    fn input_outside_the_range_is_refused_by_position() {
        let q = QuantModel::from_graph(&toy_graph(), 8);
        let err = q.quantize_inputs(&[vec![0.0, 700.0, 0.0]]).unwrap_err().to_string();
        assert!(err.contains("input 0 value 700 (element 1)") && err.contains("±256"), "{err}");
        let err = q.quantize_inputs(&[vec![0.0, 0.0, f32::NAN]]).unwrap_err().to_string();
        assert!(err.contains("element 2"), "{err}");
    }

    #[test]
    fn out_of_range_value_is_a_clear_error() {
        let q = QuantModel::from_graph(&toy_graph(), 8);
        let layout = Layout::plan(&q, 4, Default::default(), true).unwrap();
        let inputs = q.quantize_inputs(&[vec![250.0, 250.0, 250.0]]).unwrap();
        let err = layout.witness(&q, &inputs).unwrap_err().to_string();
        assert!(err.contains("fc1") && err.contains("outside the calibrated range"), "{err}");
    }
}
