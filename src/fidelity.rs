//! The differential import check: after compiling, the integer model (the oracle the circuit
//! reproduces exactly) is run against tract's float inference on seeded random inputs, and the
//! compile stops at the first position outside the tolerance. A proof is only worth what the
//! circuit means: a lowering that is right on the calibration input but wrong elsewhere (a clamp
//! read as the identity, a kink outside a probe box) must stop the compile, not be proven.
//!
//! Two questions, two kinds of input:
//! - *Precision*, over each input's calibrated range, that range widened 4× (the headroom the
//!   scale is chosen with) and its corners: the integer model within `TOLERANCE` of tract.
//! - *Reading*, on every input: zkinfer's float reading of the graph (the IR the circuit is laid
//!   out from) equal to tract's, also on random inputs of mixed magnitudes up to the range the
//!   circuit accepts and that range's corners. Far outside the calibrated range a fixed-point
//!   error grows with the input's magnitude (weights are rounded to 2^-s), so there the integer
//!   model's error is reported (`wide_rel_error`), not bounded; the function it computes is.
//!
//! Inputs the oracle refuses (a value leaves a range check or a table) cannot be proven at all,
//! so they are counted, not compared.

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::onnx::Reference;
use crate::quant::{QuantModel, HEADROOM};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tract_onnx::prelude::*;

/// Every position within `TOLERANCE · max(1, max|reference|)` of its output (the conformance
/// tolerance).
pub const TOLERANCE: f64 = crate::conformance::TOLERANCE;

/// How many random inputs, and from which seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FidelityOptions {
    /// Random inputs to draw, besides the calibration inputs and the corners.
    pub samples: usize,
    /// The seed; a miss names it, so the failing input can be drawn again.
    pub seed: u64,
}

impl Default for FidelityOptions {
    fn default() -> Self {
        FidelityOptions { samples: 64, seed: 0xf1de_11e7 }
    }
}

/// What the check saw, recorded in settings.json.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FidelityReport {
    /// Random inputs drawn (besides the corners), and the seed they were drawn from.
    pub samples: usize,
    /// The seed the random inputs were drawn from.
    pub seed: u64,
    /// The calibration inputs, compared too.
    #[serde(default)]
    pub calibration: usize,
    /// Corners of the input box compared (each input at its range's ends).
    pub corners: usize,
    /// Inputs the circuit accepts (the oracle evaluated them): each was compared.
    pub accepted: usize,
    /// Inputs the circuit refuses (a range check or a table bound): no proof exists for them.
    pub refused: usize,
    /// Inputs outside the model's own domain (tract's output is not finite, or tract fails).
    pub outside_domain: usize,
    /// Worst error of the integer model over the accepted precision inputs, absolute and
    /// relative to max(1, max|reference|) of its output.
    pub worst_abs_error: f64,
    /// The worst error relative to max(1, max|reference|); a position beyond `tolerance` fails the compile.
    pub worst_rel_error: f64,
    /// The same relative error over the accepted wide inputs (reported, not bounded).
    #[serde(default)]
    pub wide_rel_error: f64,
    /// The tolerance the precision inputs were held to (`TOLERANCE`).
    pub tolerance: f64,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Float,
    Integer,
    Bool,
}

/// One model input's domain: its kind and calibrated range.
struct Domain {
    kind: Kind,
    lo: f32,
    hi: f32,
    len: usize,
}

impl Domain {
    /// Precision draws stay in (or, widened, near) the calibrated range; integer inputs (indices,
    /// counts) keep to it, since a widened index leaves the model's domain rather than testing
    /// the circuit. Magnitude draws reach `bound`, the largest input the circuit accepts.
    fn draw(&self, rng: &mut impl Rng, how: Draw, bound: f32) -> Vec<f32> {
        let (c, h) = ((self.lo + self.hi) / 2.0, (self.hi - self.lo) / 2.0);
        let limit = bound * 0.999;
        (0..self.len)
            .map(|_| {
                let v = match how {
                    _ if self.kind == Kind::Bool => rng.gen_range(0..=1) as f32,
                    Draw::Calibrated => rng.gen_range(self.lo..=self.hi),
                    Draw::Widened if self.kind == Kind::Integer => rng.gen_range(self.lo..=self.hi),
                    Draw::Widened => c + rng.gen_range(-1.0f32..=1.0) * (HEADROOM as f32 * h).max(1.0),
                    Draw::Magnitudes => {
                        let m = rng.gen_range(-8.0f32..=limit.log2().max(-7.0)).exp2().min(limit);
                        if rng.gen_bool(0.5) {
                            m
                        } else {
                            -m
                        }
                    }
                };
                if self.kind == Kind::Float {
                    v
                } else {
                    v.round()
                }
            })
            .collect()
    }

    /// The calibrated box's corners (precision) and, given the accepted bound, that box's.
    fn corners(&self, bound: Option<f32>) -> Vec<(&'static str, Vec<f32>)> {
        let alternating = (0..self.len).map(|j| if j % 2 == 0 { self.lo } else { self.hi }).collect();
        let mut out = vec![
            ("the calibrated range's lower corner", vec![self.lo; self.len]),
            ("the calibrated range's upper corner", vec![self.hi; self.len]),
            ("the calibrated range's alternating corner", alternating),
        ];
        if let Some(bound) = bound.filter(|_| self.kind != Kind::Bool) {
            let limit = if self.kind == Kind::Float { bound * 0.999 } else { (bound - 1.0).max(0.0) };
            out.push(("the accepted range's lower corner", vec![-limit; self.len]));
            out.push(("the accepted range's upper corner", vec![limit; self.len]));
        }
        out
    }
}

#[derive(Clone, Copy)]
enum Draw {
    Calibrated,
    Widened,
    Magnitudes,
}

/// The integer model's outputs, dequantised.
type Outputs = Vec<Vec<f64>>;

/// Whether a difference misses its bound: NaN (a non-finite value on either side) misses.
pub fn outside(difference: f64, bound: f64) -> bool {
    difference.is_nan() || difference > bound
}

/// One input the check runs: its description, whether the integer model's precision is bounded
/// on it (or only the float reading), and the values.
struct Sample {
    name: String,
    precision: bool,
    inputs: Vec<Vec<f32>>,
}

/// Random draws of each kind, then the corners. Precision samples come from their own stream,
/// so they are the same whether or not the accepted bound is known yet (calibration picks the
/// scale on them before the bound exists); with `bound` None only they are drawn.
fn samples(
    domains: &[Domain],
    opts: FidelityOptions,
    bound: Option<f32>,
    calibration: &[Vec<Vec<f32>>],
) -> Vec<Sample> {
    let mut precise = rand_chacha::ChaCha8Rng::seed_from_u64(opts.seed);
    let mut wide = rand_chacha::ChaCha8Rng::seed_from_u64(opts.seed ^ 0x3a9e);
    // The calibration inputs themselves first: a model whose tables refuse every random draw is
    // still compared somewhere (and the report's accepted count shows how narrow it is).
    let mut out: Vec<Sample> = calibration
        .iter()
        .enumerate()
        .map(|(k, x)| Sample { name: format!("calibration input {k}"), precision: true, inputs: x.clone() })
        .collect();
    for k in 0..opts.samples {
        let (how, name) = match k % 4 {
            0 | 1 => (Draw::Calibrated, "a random input over the calibrated range"),
            2 => (Draw::Widened, "a random input over the calibrated range widened 4×"),
            _ => (Draw::Magnitudes, "a random input of mixed magnitudes up to the accepted range"),
        };
        let name = format!("{name} (sample {k}, seed {:#x})", opts.seed);
        let inputs = match (how, bound) {
            (Draw::Magnitudes, None) => continue,
            (Draw::Magnitudes, Some(b)) => domains.iter().map(|d| d.draw(&mut wide, how, b)).collect(),
            _ => domains.iter().map(|d| d.draw(&mut precise, how, f32::INFINITY)).collect(),
        };
        out.push(Sample { name, precision: !matches!(how, Draw::Magnitudes), inputs });
    }
    let corners: Vec<Vec<(&'static str, Vec<f32>)>> = domains.iter().map(|d| d.corners(bound)).collect();
    for c in 0..corners.iter().map(Vec::len).max().unwrap_or(0) {
        // Inputs with fewer corners (booleans) repeat their last one.
        let at = |d: &Vec<(&'static str, Vec<f32>)>| c.min(d.len() - 1);
        let name = corners[0][at(&corners[0])].0;
        out.push(Sample {
            name: name.to_string(),
            precision: name.starts_with("the calibrated"),
            inputs: corners.iter().map(|d| d[at(d)].1.clone()).collect(),
        });
    }
    out
}

/// Float values within `READING_TOLERANCE · max(1, max|reference|)` of tract's: the IR computes
/// the same function in the same precision, so only rounding order may differ.
pub const READING_TOLERANCE: f64 = 1e-3;

/// The first output position outside `tol · max(1, max|want|)`: (output, position, got, want, bound).
fn first_miss(got: &[Vec<f64>], want: &[Vec<f32>], tol: f64) -> Option<(usize, usize, f64, f64, f64)> {
    for (o, (g, w)) in got.iter().zip(want).enumerate() {
        let bound = tol * w.iter().fold(1f64, |m, v| m.max(v.abs() as f64));
        if g.len() != w.len() {
            return Some((o, 0, f64::NAN, f64::NAN, bound));
        }
        if let Some(j) = (0..g.len()).find(|&j| outside((g[j] - w[j] as f64).abs(), bound)) {
            return Some((o, j, g[j], w[j] as f64, bound));
        }
    }
    None
}

/// Worst error relative to max(1, max|want|) per output, and the worst absolute error.
fn errors(got: &[Vec<f64>], want: &[Vec<f32>]) -> (f64, f64) {
    let (mut abs, mut rel) = (0f64, 0f64);
    for (g, w) in got.iter().zip(want) {
        let scale = w.iter().fold(1f64, |m, v| m.max(v.abs() as f64));
        for (a, &b) in g.iter().zip(w) {
            abs = abs.max((a - b as f64).abs());
            rel = rel.max((a - b as f64).abs() / scale);
        }
    }
    (abs, rel)
}

/// A disagreement, before it is explained.
struct Miss {
    /// The float reading already differs (else the fixed point does).
    reading: bool,
    sample: String,
    inputs: Vec<Vec<f32>>,
    output: usize,
    position: usize,
    ours: f64,
    reference: f64,
    tolerance: f64,
}

/// The check for one imported model: its inputs' domains and tract planned once, since
/// calibration asks `worst_error` at every scale it tries.
pub struct Check<'a> {
    path: &'a Path,
    typed: &'a TypedModel,
    graph: &'a Graph,
    opts: FidelityOptions,
    domains: Vec<Domain>,
    reference: Reference,
    precision: Vec<Sample>,
    calibration: Vec<Vec<Vec<f32>>>,
}

impl<'a> Check<'a> {
    /// Prepares the check: each input's domain (float, integer, bool), the draw and tract's reference runner.
    pub fn new(
        path: &'a Path,
        typed: &'a TypedModel,
        graph: &'a Graph,
        calibration: &[Vec<Vec<f32>>],
        opts: FidelityOptions,
    ) -> Result<Self> {
        let domains: Vec<Domain> = (0..graph.inputs.len())
            .map(|i| {
                let dt = typed.input_fact(i).map(|f| f.datum_type).unwrap_or(f32::datum_type());
                let kind = if dt == bool::datum_type() {
                    Kind::Bool
                } else if dt.is_float() {
                    Kind::Float
                } else {
                    Kind::Integer
                };
                let vals = calibration.iter().flat_map(|c| c[i].iter().copied());
                let (lo, hi) = vals.fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
                let (lo, hi) = if lo <= hi { (lo, hi) } else { (0.0, 0.0) };
                Domain { kind, lo, hi, len: calibration[0][i].len() }
            })
            .collect();
        let reference = Reference::new(typed)?;
        let precision = samples(&domains, opts, None, calibration);
        Ok(Check { path, typed, graph, opts, domains, reference, precision, calibration: calibration.to_vec() })
    }

    /// The integer model and tract on the input as the circuit sees it, quantised to the
    /// model's grid: rounding an input is the fixed point's first step, and a step function
    /// (Round, a comparison) at a point within half a grid step of its jump flips with it.
    /// `None` where the circuit refuses the input or tract's output is not finite.
    fn on_grid(&self, model: &QuantModel, inputs: &[Vec<f32>]) -> Option<(Outputs, Vec<Vec<f32>>)> {
        let q = model.quantize_inputs(inputs).ok()?;
        let grid: Vec<Vec<f32>> = q.iter().map(|v| v.iter().map(|&x| model.dequantize(x) as f32).collect()).collect();
        let want = self.reference.finite(&grid)?;
        Some((oracle(model, &grid)?, want))
    }

    /// The integer model's worst error (relative to max(1, max|ref|)) over the precision samples
    /// it accepts: calibration refines the scale while this exceeds half the tolerance and
    /// keeps falling (errors grow through products, so a scale that just meets the tolerance on
    /// the samples misses it on inputs no sample drew; where the tables' grid bounds the error,
    /// a finer scale no longer helps and is not taken).
    pub fn worst_error(&self, model: &QuantModel) -> f64 {
        self.precision
            .iter()
            .filter_map(|s| self.on_grid(model, &s.inputs))
            .map(|(ours, want)| errors(&ours, &want).1)
            .fold(0.0, f64::max)
    }

    /// Names the first node where the circuit's model leaves tract's: where zkinfer's float reading
    /// of the graph already differs from tract's own intermediate value, the import is wrong there;
    /// otherwise the fixed point loses the value first at the named node.
    fn explain(&self, model: &QuantModel, miss: Miss) -> Error {
        let (path, typed, graph) = (self.path, self.typed, self.graph);
        let output = model.nodes[model.outputs[miss.output]].name.clone();
        let floats = graph.eval_all_f32(&miss.inputs);
        let mut cause = None;
        if let Some(theirs) = intermediates(typed, &miss.inputs).filter(|_| miss.reading) {
            for (id, node) in graph.nodes.iter().enumerate() {
                let Some(t) = theirs.iter().find(|(n, _)| *n == node.name).map(|(_, v)| v) else { continue };
                let scale = t.iter().fold(1f32, |m, v| m.max(v.abs()));
                if t.len() == floats[id].len() && t.iter().zip(&floats[id]).any(|(a, b)| (a - b).abs() > 1e-3 * scale) {
                    let op = typed
                        .nodes
                        .iter()
                        .find(|n| n.name == node.name)
                        .map(|n| n.op.name().to_string())
                        .unwrap_or_default();
                    cause = Some((
                        format!("zkinfer's reading of node `{}` ({op}) already differs from tract's on this input", node.name),
                        format!("the {op} op is not supported over this range: please report this model; until then keep its inputs in the range the model was calibrated on"),
                    ));
                    break;
                }
            }
        }
        if miss.reading && cause.is_none() {
            cause = Some((
                format!("zkinfer's float reading of the graph differs from tract's at output `{output}`"),
                "please report this model: an op is read wrongly on this range".into(),
            ));
        }
        let (cause, hint) = cause.unwrap_or_else(|| {
            let first = model.quantize_inputs(&miss.inputs).and_then(|q| model.eval(&q)).ok().and_then(|vals| {
                (0..graph.nodes.len()).find(|&id| {
                    let scale = floats[id].iter().fold(1f64, |m, v| m.max(v.abs() as f64));
                    vals[id].iter().zip(&floats[id]).any(|(&q, &f)| (model.dequantize(q) - f as f64).abs() > TOLERANCE * scale)
                })
            });
            let at = first.map_or(String::new(), |id| format!(" first at node `{}`", graph.nodes[id].name));
            (
                format!("fixed point at 2^-{} loses the value{at}", model.scale_bits),
                "compile with --target accuracy or a larger --scale-bits, or calibrate on inputs that cover this range (--calibration FILE)".into(),
            )
        });
        Error::Fidelity(Box::new(crate::error::FidelityMiss {
            path: path.into(),
            sample: miss.sample,
            output,
            position: miss.position,
            ours: miss.ours,
            reference: miss.reference,
            tolerance: miss.tolerance,
            cause,
            hint,
        }))
    }

    /// Why the circuit refuses a calibration input: the integer model's own error (a value its
    /// fixed point pushed past a range check or a table's end), or tract's float run failing
    /// once the input is on the grid.
    fn refusal(&self, model: &QuantModel, sample: &Sample) -> Error {
        let reason = match model.quantize_inputs(&sample.inputs).and_then(|q| model.eval(&q)) {
            // Without their hint: recalibrating on this very input cannot help.
            Err(Error::OutsideTable { node, value, lo, hi }) => {
                format!("node `{node}`: input {value} is outside its lookup table's range [{lo}, {hi}]")
            }
            Err(Error::OutOfRange { node, value, bound }) => {
                format!("node `{node}`: value {value} is outside the range ±{bound}")
            }
            Err(e) => e.to_string(),
            Ok(_) => "tract's float run of the model is not finite on it once quantised to the grid".into(),
        };
        Error::CalibrationRefused { path: self.path.into(), sample: sample.name.clone(), reason }
    }

    /// The whole check on the compiled model: the reading on every sample, the precision on the
    /// precision samples. The first miss stops the compile, explained.
    pub fn run(&self, model: &QuantModel) -> Result<FidelityReport> {
        let bound = (model.range_bound() as f64 / model.scale()) as f32;
        let all = samples(&self.domains, self.opts, Some(bound), &self.calibration);
        let mut report = FidelityReport {
            samples: self.opts.samples,
            seed: self.opts.seed,
            calibration: self.calibration.len(),
            corners: all.len() - self.opts.samples - self.calibration.len(),
            tolerance: TOLERANCE,
            ..Default::default()
        };
        for (i, sample) in all.into_iter().enumerate() {
            // A circuit that cannot prove its own calibration input is broken, not narrow.
            let refused = |report: &mut FidelityReport| {
                if i < self.calibration.len() {
                    return Err(self.refusal(model, &sample));
                }
                report.refused += 1;
                Ok(())
            };
            let Some(want) = self.reference.finite(&sample.inputs) else {
                report.outside_domain += 1;
                continue;
            };
            let miss =
                |reading: bool, (output, position, ours, reference, tolerance): (usize, usize, f64, f64, f64)| Miss {
                    reading,
                    sample: sample.name.clone(),
                    inputs: sample.inputs.clone(),
                    output,
                    position,
                    ours,
                    reference,
                    tolerance,
                };
            let floats: Vec<Vec<f64>> = self
                .graph
                .eval_f32(&sample.inputs)
                .into_iter()
                .map(|v| v.into_iter().map(f64::from).collect())
                .collect();
            // A key outside a keyed table (a duplicate scatter index…) reads NaN: no proof exists.
            if floats.iter().flatten().any(|v| !v.is_finite()) {
                refused(&mut report)?;
                continue;
            }
            if let Some(m) = first_miss(&floats, &want, READING_TOLERANCE) {
                return Err(self.explain(model, miss(true, m)));
            }
            let Some((ours, want)) = self.on_grid(model, &sample.inputs) else {
                refused(&mut report)?;
                continue;
            };
            report.accepted += 1;
            let (abs, rel) = errors(&ours, &want);
            if !sample.precision {
                report.wide_rel_error = report.wide_rel_error.max(rel);
                continue;
            }
            report.worst_abs_error = report.worst_abs_error.max(abs);
            report.worst_rel_error = report.worst_rel_error.max(rel);
            if let Some(m) = first_miss(&ours, &want, TOLERANCE) {
                return Err(self.explain(model, miss(false, m)));
            }
        }
        Ok(report)
    }
}

/// The integer model's outputs on `inputs`, dequantised; `None` where the circuit refuses them.
fn oracle(model: &QuantModel, inputs: &[Vec<f32>]) -> Option<Vec<Vec<f64>>> {
    let vals = model.quantize_inputs(inputs).and_then(|q| model.eval(&q)).ok()?;
    Some(model.outputs.iter().map(|&o| vals[o].iter().map(|&q| model.dequantize(q)).collect()).collect())
}

/// tract's value of every single-output node on `inputs`, by node name.
fn intermediates(typed: &TypedModel, inputs: &[Vec<f32>]) -> Option<Vec<(String, Vec<f32>)>> {
    let mut t = typed.clone();
    let outlets: Vec<OutletId> = t
        .nodes()
        .iter()
        .filter(|n| n.outputs.len() == 1 && n.outputs[0].fact.konst.is_none())
        .map(|n| OutletId::new(n.id, 0))
        .collect();
    t.select_output_outlets(&outlets).ok()?;
    let vals = Reference::new(&t).ok()?.finite(inputs)?;
    Some(outlets.iter().map(|o| typed.node(o.node).name.clone()).zip(vals).collect())
}
