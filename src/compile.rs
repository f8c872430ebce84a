//! `zkinfer compile`: ONNX → IR → quantised model → planned layout → settings, and the compiled
//! form every later step reloads (`BUILD/model.json`, `BUILD/settings.json`).
//!
//! The planner (`compile/plan.rs`) trades columns for rows: it tries several lane widths, keeps
//! those within 25% of the least estimated proving work (columns × 2^k) and takes the one with
//! the fewest columns (cheapest to verify on chain), then spends any rows that k already pays
//! for on precision.

use crate::circuit::layout::{Layout, Shape};
use crate::circuit::privacy::{Privacy, Visibility, WeightsMode};
use crate::circuit::{CircuitParams, ModelCircuit};
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::quant::{table, QuantModel};
use halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

mod files;
mod plan;

pub use files::{check_integer_inputs, json_bytes, read_input, read_json, read_json_as, write_json};
use plan::{cs_shape, k_for_rows};

/// What compile chose and what every later step needs without re-planning: `BUILD/settings.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    /// The artifact format (`artifact::FORMAT`) of the zkinfer that compiled it; 0 (absent) for
    /// builds from before formats were recorded, which are refused with "compile again".
    #[serde(default)]
    pub format: u32,
    /// Keccak-256 of `model.json` as written: a model file of another compile beside these
    /// settings is refused by name instead of proven with them.
    #[serde(default)]
    pub model_digest: String,
    /// [`Settings::build_hash`] as compile wrote it: a settings file edited since (by hand, or
    /// half-copied from another build) no longer hashes to it and is refused on load.
    #[serde(default)]
    pub build: String,
    /// The model's name (its file stem, or its folder's for a `network.onnx`), shown in the verifier's header.
    pub model: String,
    /// The circuit has 2^k rows; the SRS must be at least this large.
    pub k: u32,
    /// Rows the layout uses, below the 2^k the circuit has (halo2 reserves the rest).
    pub rows: usize,
    /// Values per row of a gadget: each lane costs an advice and a fixed column, and saves rows.
    pub lanes: usize,
    /// Whether one-input outputs share pointwise rows (two more fixed columns, fewer rows): the
    /// planner's choice, absent (false) in builds from before the gadget.
    #[serde(default)]
    pub pointwise: bool,
    /// Whether requant blocks take one row (two more looked-up columns): the planner's choice,
    /// absent (false) in builds from before the gadget.
    #[serde(default)]
    pub wide: bool,
    /// The fixed-point scale is 2^`scale_bits`: activations are rounded to 2^-`scale_bits`.
    pub scale_bits: u32,
    /// The range table is [0, 2^`range_bits`): `scale_bits`, or a divisor of it when the planner
    /// split each limb of the range check into several cells (`Shape::split`) to keep k low.
    pub range_bits: u32,
    /// Advice columns of the constraint system; each costs a commitment and an evaluation on chain.
    pub advice_columns: usize,
    /// Fixed columns of the constraint system; each costs an evaluation on chain.
    pub fixed_columns: usize,
    /// Lookup arguments of the constraint system.
    pub lookups: usize,
    /// Length of the inputs part of the public values (elements, one commitment, or zero when private).
    pub num_public_inputs: usize,
    /// Length of the outputs part of the public values, which follows the inputs part.
    pub num_outputs: usize,
    /// The model inputs' shapes; an input JSON must match them.
    pub input_shapes: Vec<Vec<usize>>,
    /// The model outputs' shapes, for reading proven outputs back.
    pub output_shapes: Vec<Vec<usize>>,
    /// Whether inputs are public values, committed by a hash, or hidden.
    pub input_visibility: Visibility,
    /// Whether outputs are public values, committed by a hash, or hidden.
    pub output_visibility: Visibility,
    /// How the weights enter the circuit: fixed columns, a public commitment, or private.
    pub weights_visibility: WeightsMode,
    /// Hashed inputs/outputs absorb a random salt.
    #[serde(default)]
    pub salted: bool,
    /// Public values in all: the inputs part, the outputs part, the weights commitment.
    #[serde(default)]
    pub num_instances: usize,
    /// Private parameters (private and hashed weight modes).
    #[serde(default)]
    pub private_weights: usize,
    /// The verifier's `MODEL_HASH` (0x-hex, `QuantModel::model_hash`): the quantised model, its
    /// privacy modes, lanes and verifying key. The key exists only after `zkinfer setup`, which
    /// fills this in; empty after `compile`. `pipeline::load` checks it against the keys.
    #[serde(default)]
    pub model_hash: String,
    /// With hashed weights: the Poseidon commitment of the weights (0x-hex), baked into the
    /// verifier as `MODEL_COMMITMENT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_commitment: Option<String>,
    /// Set only in the settings an architecture verifier is generated from (`evm::registered`,
    /// `WEIGHTS_REGISTERED`), never in a build's file.
    #[serde(skip)]
    pub registered: bool,
    /// What calibration optimised, for reports; later steps do not read it.
    #[serde(default)]
    pub target: Target,
    /// Inputs calibration saw.
    #[serde(default)]
    pub calibration_inputs: usize,
    /// The input range each lookup table covers (real units); outside it a proof is refused.
    #[serde(default)]
    pub tables: Vec<TableRange>,
    /// The model inputs whose ONNX type is an integer or a boolean: their values must be whole
    /// numbers, as the model itself could never be given 1.5 there.
    #[serde(default)]
    pub integer_inputs: Vec<usize>,
    /// The differential import check's draw (seed, counts) and worst errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fidelity: Option<crate::fidelity::FidelityReport>,
}

/// The input range of one lookup table, so a user can see which inputs a proof will refuse.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TableRange {
    /// The graph node the table evaluates.
    pub node: String,
    /// The table's first input, in real units.
    pub lo: f64,
    /// The table's last input, in real units.
    pub hi: f64,
    /// Rows the table takes.
    pub entries: usize,
}

/// What calibration optimises, as EZKL's `--target`: `accuracy` spends the rows k already pays
/// for on a finer scale and larger tables; `resources` takes the coarsest scale and smallest
/// tables that still meet the calibration error bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Prefer precision: the finest scale the rows already paid for allow.
    #[default]
    Accuracy,
    /// Prefer a small circuit: the coarsest scale that meets the calibration error bound.
    Resources,
}

/// How to compile: everything but the model and its calibration data.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// Pins the lane width instead of letting the planner choose it (at least `requant::MIN_LANES`).
    pub lanes: Option<usize>,
    /// More calibration inputs, besides the one compile is given.
    pub calibration: Vec<std::path::PathBuf>,
    /// Whether calibration optimises precision or circuit size.
    pub target: Target,
    /// Pins the fixed-point scale (2^-bits) instead of calibrating it: models of one architecture
    /// compiled with the same scale and lanes share one verifying key in the private weight modes.
    pub scale_bits: Option<u32>,
    /// What is public, hashed or hidden: inputs, outputs and weights.
    pub privacy: Privacy,
    /// The random inputs of the differential import check (always run).
    pub fidelity: crate::fidelity::FidelityOptions,
    /// Pins the one-row requant on or off instead of letting the planner choose (it needs at
    /// least three lanes).
    pub wide: Option<bool>,
    /// Inputs that only widen the lookup tables' ranges (`pipeline::compile` passes seeded
    /// variations of the calibration inputs, `table::variations`); not checked or compared.
    pub range_inputs: Vec<Vec<Vec<f32>>>,
    /// Pins the range check's split d (the range table is [0, 2^(s/d)), s a multiple of d)
    /// instead of letting the planner choose; the tests that audit split blocks pin it.
    pub split: Option<usize>,
}

impl Settings {
    /// What keys and proofs name as the build they belong to: a digest of everything that shapes
    /// the circuit (these settings, `model.json` through its digest, the format). The informative
    /// fields are left out: `model_hash` (setup writes it after the keys exist), and the table
    /// ranges and fidelity report (floats, which a JSON round trip need not reproduce bit for bit;
    /// the tables themselves are in `model.json`).
    pub fn build_hash(&self) -> String {
        let core = Settings {
            model_hash: String::new(),
            build: String::new(),
            tables: vec![],
            fidelity: None,
            ..self.clone()
        };
        let json = serde_json::to_vec(&core).unwrap_or_default();
        crate::artifact::digest(&[&crate::artifact::FORMAT.to_le_bytes()[..], &json].concat())
    }

    /// What `MODEL_HASH` covers besides the quantised model, given the verifying key's
    /// transcript representation; the numbering is the verifier's (`WEIGHTS_MODE` 0 fixed,
    /// 1 hashed, 2 private, 3 registered; visibility 0 public, 1 hashed, 2 private, 3 packed).
    pub fn model_identity(&self, vk_transcript_repr: [u8; 32]) -> crate::quant::ModelIdentity {
        let vis = |v: Visibility| match v {
            Visibility::Public => 0,
            Visibility::Hashed => 1,
            Visibility::Private => 2,
            Visibility::Packed | Visibility::Auto => 3,
        };
        crate::quant::ModelIdentity {
            weights_mode: match self.weights_visibility {
                _ if self.registered => 3,
                WeightsMode::Fixed => 0,
                WeightsMode::Hashed => 1,
                WeightsMode::Private => 2,
            },
            input_visibility: vis(self.input_visibility),
            output_visibility: vis(self.output_visibility),
            salted: self.salted,
            lanes: self.lanes,
            vk_transcript_repr,
        }
    }
}

impl Settings {
    /// Elements of the model's inputs, flattened.
    pub fn input_values(&self) -> usize {
        self.input_shapes.iter().map(|s| s.iter().product::<usize>()).sum()
    }

    /// Elements of the model's outputs, flattened.
    pub fn output_values(&self) -> usize {
        self.output_shapes.iter().map(|s| s.iter().product::<usize>()).sum()
    }
}

impl Privacy {
    /// The privacy modes a compiled model was built with, read back from its settings.
    pub fn of(settings: &Settings) -> Privacy {
        Privacy {
            weights: settings.weights_visibility,
            input: settings.input_visibility,
            output: settings.output_visibility,
            salted: settings.salted,
        }
    }
}

/// A compiled model: everything needed to build its circuit, keys and witnesses, reloadable from `BUILD/`.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The choices compile made, saved as `settings.json`.
    pub settings: Settings,
    /// The integer model (the witness oracle), saved as `model.json`.
    pub model: QuantModel,
    /// The circuit layout; not saved, re-planned deterministically from the model and settings on load.
    pub layout: Arc<Layout>,
}

impl Compiled {
    /// Compiles a graph: picks lanes and scale from the calibration inputs and plans the layout.
    pub fn new(name: &str, graph: &Graph, calibration: &[Vec<Vec<f32>>], opts: &CompileOptions) -> Result<Compiled> {
        Self::new_with(name, graph, calibration, opts, &|_| 0.0)
    }

    /// As `new`, with a further error calibration weighs before it stops refining the scale:
    /// `pipeline::compile` passes the differential check's (`fidelity::Check::worst_error`), so
    /// the scale chosen is one the check then accepts, with margin where a finer scale helps.
    pub fn new_with(
        name: &str,
        graph: &Graph,
        calibration: &[Vec<Vec<f32>>],
        opts: &CompileOptions,
        worst_error: &dyn Fn(&QuantModel) -> f64,
    ) -> Result<Compiled> {
        opts.privacy.check()?;
        let privacy = plan::packing(graph, opts.privacy);
        let (target, opts) = (opts.target, &CompileOptions { privacy, ..opts.clone() });
        let ranges = table::value_ranges(graph, &[calibration, &opts.range_inputs[..]].concat());
        let plan::Choice { lanes, shape: shape_choice, scale_bits, table_bits } =
            plan::choose(graph, calibration, opts, &ranges, worst_error)?;
        let Shape { pointwise, wide, .. } = shape_choice;
        let model = QuantModel::quantize(graph, scale_bits, table_bits, &ranges)?;
        let layout = Arc::new(Layout::plan(&model, lanes, privacy, shape_choice)?);
        // The verifier's NUM_INPUT_VALUES / NUM_OUTPUT_VALUES come from the declared shapes, the
        // packing from the wires: they must agree (a hand-edited graph could make them differ).
        for (what, ids, shapes) in
            [("input", &model.inputs, graph.input_shapes()), ("output", &model.outputs, graph.output_shapes())]
        {
            let wires: usize = ids.iter().map(|&i| layout.node_wires[i].len()).sum();
            let declared: usize = shapes.iter().map(|s| s.iter().product::<usize>()).sum();
            if wires != declared {
                return Err(Error::Layout(format!(
                    "the model's {what}s declare {declared} values ({shapes:?}) but compute {wires}: the graph is inconsistent"
                )));
            }
        }
        let shape = cs_shape(ModelCircuit::params_of(&layout));
        // k from the rows synthesis really touches (every region, instance row and table fill),
        // so keygen always finds them usable; the layout's own count is its lower bound.
        let used = crate::circuit::rows::used_rows(&ModelCircuit::new(layout.clone(), None, vec![]))
            .map_err(|e| Error::Internal(format!("counting the circuit's rows: {e}")))?;
        let k = k_for_rows(used.max(layout.rows).max(layout.table_rows() + 1), &shape).max(layout.range_bits + 1);
        let settings = Settings {
            integer_inputs: vec![],
            format: crate::artifact::FORMAT,
            model_digest: String::new(),
            build: String::new(),
            model: name.to_string(),
            k,
            rows: layout.rows,
            lanes,
            pointwise,
            wide,
            scale_bits,
            range_bits: layout.range_bits,
            advice_columns: shape.advice,
            fixed_columns: shape.fixed,
            lookups: shape.lookups,
            num_public_inputs: layout.num_public_inputs,
            num_outputs: layout.num_outputs,
            input_shapes: graph.input_shapes(),
            output_shapes: graph.output_shapes(),
            input_visibility: privacy.input,
            output_visibility: privacy.output,
            weights_visibility: privacy.weights,
            salted: privacy.salted,
            num_instances: layout.public.len(),
            private_weights: layout.weights.len(),
            model_hash: String::new(),
            model_commitment: layout.weights_commitment().map(|c| crate::field::to_hex(&c)),
            registered: false,
            target,
            calibration_inputs: calibration.len(),
            tables: table_ranges(&model),
            fidelity: None,
        };
        Ok(Compiled { settings, model, layout })
    }

    /// The configuration parameters of the circuit (columns, lookups) the layout needs.
    pub fn circuit_params(&self) -> CircuitParams {
        ModelCircuit::params_of(&self.layout)
    }

    /// The circuit without a witness, for key generation.
    pub fn empty_circuit(&self) -> ModelCircuit {
        ModelCircuit::new(self.layout.clone(), None, vec![])
    }

    /// Runs the integer oracle and the layout's witness side by side; a disagreement is a bug in
    /// zkinfer, reported rather than proven. `salts` blind the salted commitments.
    pub fn circuit_with_witness(&self, inputs: &[Vec<f32>], salts: &[Fr]) -> Result<(ModelCircuit, Arc<Vec<i128>>)> {
        let q = self.model.quantize_inputs(inputs)?;
        let oracle = self.model.eval(&q)?;
        let witness = self.layout.witness(&self.model, &q)?;
        for &o in &self.model.outputs {
            let got: Vec<i128> = self.layout.node_wires[o].iter().map(|&w| witness[w]).collect();
            if got != oracle[o] {
                return Err(Error::Internal(format!(
                    "circuit witness disagrees with the quantised evaluator at `{}`",
                    self.model.nodes[o].name
                )));
            }
        }
        let witness = Arc::new(witness);
        let circuit = ModelCircuit::new(self.layout.clone(), Some(witness.clone()), salts.to_vec());
        Ok((circuit, witness))
    }

    /// The instance column's values for a witness: what a verifier is given alongside the proof.
    pub fn public_values(&self, witness: &[i128], salts: &[Fr]) -> Vec<Fr> {
        self.layout.public_values(witness, salts)
    }

    /// A fresh random salt for each salted commitment (zero for the others).
    pub fn fresh_salts(&self) -> Vec<Fr> {
        use halo2_proofs::halo2curves::ff::Field;
        self.layout
            .commitments
            .iter()
            .map(|c| if c.salted { Fr::random(rand::rngs::OsRng) } else { Fr::zero() })
            .collect()
    }

    /// Dequantised outputs, one flat array per model output.
    pub fn outputs_from_witness(&self, witness: &[i128]) -> Vec<Vec<f64>> {
        self.model
            .outputs
            .iter()
            .map(|&o| self.layout.node_wires[o].iter().map(|&w| self.model.dequantize(witness[w])).collect())
            .collect()
    }

    /// The model's outputs as a proof's public values state them (dequantised), when the outputs
    /// are in clear (public or packed); `None` when they are hashed, or a packed word is not one.
    pub fn outputs_from_instances(&self, instances: &[Fr]) -> Option<Vec<Vec<f64>>> {
        let part = instances.get(self.settings.num_public_inputs..)?.iter().take(self.settings.num_outputs);
        let part: Vec<Fr> = part.copied().collect();
        let values: Vec<f64> = match self.settings.output_visibility {
            Visibility::Public => {
                part.iter().map(|f| crate::field::to_i128(f).map_or(f64::NAN, |v| self.model.dequantize(v))).collect()
            }
            Visibility::Packed | Visibility::Auto => {
                let n = self.model.outputs.iter().map(|&o| self.layout.node_wires[o].len()).sum();
                let bits = crate::circuit::packed::bits(self.settings.scale_bits);
                crate::circuit::packed::unpack(&part, n, bits)?.into_iter().map(|v| self.model.dequantize(v)).collect()
            }
            Visibility::Hashed | Visibility::Private => return None,
        };
        let mut values = values.into_iter();
        let outputs =
            self.model.outputs.iter().map(|&o| values.by_ref().take(self.layout.node_wires[o].len()).collect());
        Some(outputs.collect())
    }

    /// Writes `model.json` and `settings.json` (with the model's digest) into `dir`, created if
    /// absent, under the directory's write lock. Keys and proofs of an earlier compile there no
    /// longer match its build hash and are refused on load.
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        let _lock = crate::artifact::Lock::exclusive(dir)?;
        let model = serde_json::to_vec_pretty(&self.model)
            .map_err(|e| Error::Internal(format!("cannot serialise the quantised model: {e}")))?;
        self.settings.model_digest = crate::artifact::digest(&model);
        self.settings.build = self.settings.build_hash();
        // One batch: an interrupted compile over an earlier build leaves that build whole.
        let mut batch = crate::artifact::Batch::new();
        batch.write_bytes(&dir.join("model.json"), &model)?;
        batch.write_bytes(&dir.join("settings.json"), &json_bytes(&self.settings)?)?;
        batch.commit()
    }

    /// Reloads a compiled model from a build directory and re-plans its layout.
    pub fn load(dir: &Path) -> Result<Compiled> {
        let missing = |what: &str| Error::MissingArtifact {
            what: what.into(),
            dir: dir.into(),
            hint: "zkinfer compile MODEL.onnx --input INPUT.json -o BUILD/".into(),
        };
        let settings_path = dir.join("settings.json");
        if !settings_path.exists() {
            return Err(missing("settings.json"));
        }
        let settings: Settings = read_json_as(&settings_path, "settings file", COMPILE_AGAIN)?;
        let stale = |what, made_for: String, this: String| Error::StaleArtifact {
            path: dir.join(if what == "model" { "model.json" } else { "settings.json" }),
            what,
            made_for,
            this,
            hint: COMPILE_AGAIN.trim_start_matches("; ").into(),
        };
        if settings.format != crate::artifact::FORMAT {
            return Err(stale(
                "settings",
                format!("zkinfer artifact format {}", settings.format),
                format!("format {}", crate::artifact::FORMAT),
            ));
        }
        if settings.build != settings.build_hash() {
            return Err(Error::BadInput {
                path: settings_path,
                reason: format!(
                    "edited since zkinfer compile wrote it (it records build {} but now hashes to {}): settings are \
                     chosen by the compiler, not by hand{COMPILE_AGAIN} with the flags you want (--lanes, --scale-bits, ...)",
                    crate::artifact::short(&settings.build),
                    crate::artifact::short(&settings.build_hash())
                ),
            });
        }
        let model_path = dir.join("model.json");
        if !model_path.exists() {
            return Err(missing("model.json"));
        }
        let bytes = crate::artifact::read(&model_path)?;
        let digest = crate::artifact::digest(&bytes);
        if digest != settings.model_digest {
            return Err(stale(
                "model",
                format!("a compile with model digest {}", crate::artifact::short(&digest)),
                format!("one with {}", crate::artifact::short(&settings.model_digest)),
            ));
        }
        let model: QuantModel = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
            path: model_path,
            what: "quantised model",
            source,
            hint: COMPILE_AGAIN.into(),
        })?;
        // A damaged model.json can break the planner's invariants (found by fuzzing, fuzz/regressions/build_dir).
        // range_bits 0 or not dividing the scale gives split 0 or a layout whose table differs: refused below.
        let split = settings.scale_bits.checked_div(settings.range_bits).unwrap_or(0) as usize;
        let shape = Shape { pointwise: settings.pointwise, wide: settings.wide, split };
        let plan = || {
            let layout = Layout::plan(&model, settings.lanes, Privacy::of(&settings), shape)?;
            if layout.range_bits != settings.range_bits {
                return Err(Error::Layout(format!(
                    "range_bits {} is not a divisor of scale_bits {}",
                    settings.range_bits, settings.scale_bits
                )));
            }
            Ok(layout)
        };
        let layout = crate::error::without_panic_output(plan).map_err(|panic| {
            let why = crate::error::panic_message(&*panic).unwrap_or_default();
            Error::BadInput {
                path: dir.join("model.json"),
                reason: format!("cannot be laid out ({why}){COMPILE_AGAIN}"),
            }
        })??;
        Ok(Compiled { settings, model, layout: Arc::new(layout) })
    }
}

fn table_ranges(model: &QuantModel) -> Vec<TableRange> {
    model
        .nodes
        .iter()
        .filter_map(|n| match &n.op {
            crate::quant::QOp::Lut { lo, values, shift } => Some({
                let step = ((model.scale_bits - shift) as f64).exp2();
                TableRange {
                    node: n.name.clone(),
                    lo: *lo as f64 / step,
                    hi: (*lo + values.len() as i64 - 1) as f64 / step,
                    entries: values.len(),
                }
            }),
            _ => None,
        })
        .collect()
}

/// What to do about a build file that does not parse or belongs to another compile.
const COMPILE_AGAIN: &str = "; run `zkinfer compile MODEL.onnx --input INPUT.json -o BUILD/` again";
