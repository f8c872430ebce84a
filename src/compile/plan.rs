//! The planner: lane width, gadget shape and scale for a graph, before the final layout.
//!
//! Proving work grows with columns × 2^k, verification gas and verifier size with columns (a
//! commitment, an evaluation and an ecMul each). Rows hardly depend on the scale (only through
//! packed public values and lookup rescales), so lanes and gadget shape are chosen on a probe
//! quantised at the coarsest scale; the rows k then pays for are spent on precision. The range
//! table need not be 2^s: split into d cells per limb it is 2^(s/d), so a fine scale fits a
//! small k where the extra requant rows still do (`Probe::finest`, `Probe::split`).

use super::{CompileOptions, Target};
use crate::circuit::layout::{Layout, Shape};
use crate::circuit::privacy::{Privacy, Visibility};
use crate::circuit::{requant, requant_wide, CircuitParams, ModelCircuit};
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::quant::{self, QuantModel};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Circuit, ConstraintSystem};

/// What the planner chose; `Compiled::new_with` quantises and lays out with it.
pub(super) struct Choice {
    pub lanes: usize,
    pub shape: Shape,
    pub scale_bits: u32,
    /// Rows the lookup tables may fill together, as a power of two.
    pub table_bits: u32,
}

const LANE_CHOICES: [usize; 6] = [3, 4, 6, 8, 12, 16];

/// Most range cells per limb the planner tries: each d makes a requant block 3d rows.
const MAX_SPLIT: usize = 3;

/// The widest row `--lanes` may ask for: each lane is a column the verifier pays for, and the
/// planner's own choices stop at 16.
const MAX_LANES: usize = 64;

/// What the planner needs of a configuration: rows halo2 reserves, and column counts.
pub(super) struct CsShape {
    reserved_rows: usize,
    pub advice: usize,
    pub fixed: usize,
    pub lookups: usize,
}

pub(super) fn cs_shape(p: CircuitParams) -> CsShape {
    let mut cs = ConstraintSystem::<Fr>::default();
    ModelCircuit::configure_with_params(&mut cs, p);
    CsShape {
        reserved_rows: cs.blinding_factors() + 1,
        advice: cs.num_advice_columns(),
        fixed: cs.num_fixed_columns(),
        lookups: cs.lookups().len(),
    }
}

/// Smallest k whose usable rows hold `rows`.
pub(super) fn k_for_rows(rows: usize, shape: &CsShape) -> u32 {
    ((rows + shape.reserved_rows).max(2) as f64).log2().ceil() as u32
}

/// A planned layout's k for `rows` of it (at least its range table's, 2^r + 1 rows) and its
/// column count: what the planner weighs candidates by.
fn k_and_columns(layout: &Layout, rows: usize) -> (u32, usize) {
    let shape = cs_shape(ModelCircuit::params_of(layout));
    (k_for_rows(rows, &shape).max(layout.range_bits + 1), shape.advice + shape.fixed)
}

/// Plans `graph` under `opts`; `worst_error` is the differential check's error of a candidate
/// quantisation, which the scale refinement weighs (see `Compiled::new_with`).
pub(super) fn choose(
    graph: &Graph,
    calibration: &[Vec<Vec<f32>>],
    opts: &CompileOptions,
    ranges: &[(f32, f32)],
    worst_error: &dyn Fn(&QuantModel) -> f64,
) -> Result<Choice> {
    let s_min = scale_floor(graph, calibration, opts)?;
    let (lanes, shape, k_rows) = columns(graph, opts, ranges, s_min)?;
    let probe = Probe { graph, opts, ranges, lanes, shape };
    let (start, split) = match (opts.scale_bits, opts.target) {
        (Some(_), _) | (None, Target::Resources) => (s_min, 1),
        (None, Target::Accuracy) => probe.finest(s_min, k_rows),
    };
    let scale_bits = scale(graph, calibration, opts, ranges, worst_error, start, opts.split.unwrap_or(split));
    let split = opts.split.unwrap_or_else(|| probe.split(scale_bits));
    let table_bits = table_bits(opts.target, scale_bits / split as u32);
    Ok(Choice { lanes, shape: Shape { split, ..shape }, scale_bits, table_bits })
}

/// Layouts of one graph at the chosen lanes and gadget shape, at any scale and split: what the
/// scale and the range table's split are weighed on.
struct Probe<'a> {
    graph: &'a Graph,
    opts: &'a CompileOptions,
    ranges: &'a [(f32, f32)],
    lanes: usize,
    shape: Shape,
}

impl Probe<'_> {
    /// k of the layout at scale 2^-s with d range cells per limb; `None` where it cannot be laid
    /// out (d does not divide s, a lookup rescales by more than s/d bits, private weights).
    fn k(&self, s: u32, d: usize) -> Option<u32> {
        if !s.is_multiple_of(d as u32) {
            return None;
        }
        let r = s / d as u32;
        let q = QuantModel::quantize(self.graph, s, table_bits(self.opts.target, r), self.ranges).ok()?;
        let layout = Layout::plan(&q, self.lanes, self.opts.privacy, Shape { split: d, ..self.shape }).ok()?;
        Some(k_and_columns(&layout, layout.rows.max(layout.table_rows() + 1)).0)
    }

    /// Under `accuracy`: the finest scale, and its split, whose layout still fits the k the
    /// one-cell range check needs at s = k − 1 (k from the rows at the coarsest scale; its
    /// tables and packed public values may already raise it). Split d cells a limb, the range
    /// table is 2^(s/d), so s may reach d·(k − 1) where the taller requant blocks still fit.
    fn finest(&self, s_min: u32, k_rows: u32) -> (u32, usize) {
        let s1 = s_min.max(k_rows - 1).min(quant::MAX_SCALE_BITS);
        let k_paid = self.k(s1, 1).unwrap_or(k_rows);
        let splits = self.opts.split.map_or(1..=MAX_SPLIT, |d| d.max(1)..=d.max(1));
        let mut best = (s1, 1);
        for d in splits {
            let top = (d as u32 * (k_paid - 1)).min(quant::MAX_SCALE_BITS) / d as u32 * d as u32;
            // Three steps down at most: each takes a quantisation and a layout.
            for s in (best.0 + 1..=top).rev().step_by(d).take(3) {
                if self.k(s, d).is_some_and(|k| k <= k_paid) {
                    best = (s, d);
                    break;
                }
            }
        }
        best
    }

    /// The split of the range check that gives scale 2^-s the smallest k (the fewest cells per
    /// limb among equals: fewer rows to fill).
    fn split(&self, s: u32) -> usize {
        (1..=MAX_SPLIT).filter_map(|d| Some((self.k(s, d)?, d))).min().map_or(1, |(_, d)| d)
    }
}

/// Public values a packed part must save to be packed: one fewer public value saves ~750 gas
/// (calldata, transcript, instance evaluation), and the packing rows can make up to three
/// of the linear gate's fixed columns non-zero, ~6,600 gas each in the verifier's MSM.
const MIN_SAVED: usize = 32;

/// `privacy` with each `auto` part resolved: packed when that saves at least `MIN_SAVED` public
/// values, else one value per public value (the verifier's visibility constants say which).
pub(super) fn packing(graph: &Graph, privacy: Privacy) -> Privacy {
    let values = |ids: &[usize]| ids.iter().map(|&i| graph.nodes[i].shape.iter().product::<usize>()).sum::<usize>();
    // The coarsest scale packs the fewest values per word; the finest the planner may choose
    // (MAX_SCALE_BITS) is what counts, so a part packed here still saves at every scale.
    let per = crate::circuit::packed::per_word(crate::circuit::packed::bits(quant::MAX_SCALE_BITS));
    let resolve = |v: Visibility, n: usize| match v {
        Visibility::Auto if n - n.div_ceil(per) < MIN_SAVED => Visibility::Public,
        Visibility::Auto => Visibility::Packed,
        v => v,
    };
    Privacy {
        input: resolve(privacy.input, values(&graph.inputs)),
        output: resolve(privacy.output, values(&graph.outputs)),
        ..privacy
    }
}

/// Lookup tables share the rows the range table already takes (2^r), at least 2^12 (2^10 when
/// saving resources).
fn table_bits(target: Target, range_bits: u32) -> u32 {
    let min_table = if target == Target::Resources { quant::MIN_TABLE_BITS - 2 } else { quant::MIN_TABLE_BITS };
    (range_bits + 1).max(min_table)
}

/// The coarsest scale: `--scale-bits`, or the one the calibration data needs.
fn scale_floor(graph: &Graph, calibration: &[Vec<Vec<f32>>], opts: &CompileOptions) -> Result<u32> {
    Ok(match opts.scale_bits {
        Some(s) if !(quant::MIN_SCALE_BITS..=quant::MAX_SCALE_BITS).contains(&s) => {
            return Err(Error::Usage {
                flag: "--scale-bits".into(),
                reason: format!(
                    "{s} is out of range: give {} to {} (the scale is 2^-BITS)",
                    quant::MIN_SCALE_BITS,
                    quant::MAX_SCALE_BITS
                ),
            })
        }
        Some(s) => s,
        None => quant::min_scale_bits(graph, calibration)?,
    })
}

/// Lanes and gadget shape, and the k their rows need.
fn columns(graph: &Graph, opts: &CompileOptions, ranges: &[(f32, f32)], s_min: u32) -> Result<(usize, Shape, u32)> {
    let (lanes, target, privacy) = (opts.lanes, opts.target, opts.privacy);
    // Rows do not depend on the scale, so plan at s_min and pick the cheapest lane width.
    let probe = QuantModel::quantize(graph, s_min, quant::MIN_TABLE_BITS, ranges)?;
    // The commitment gadgets take ~8–10 KB of the 24,576 bytes a verifier may have (EIP-170),
    // and each lane adds an advice and a fixed column to it: with private weights, stay narrow.
    let widest = if privacy.private_weights() { 6 } else { usize::MAX };
    let choices: Vec<usize> = match lanes {
        Some(l) if !(requant::MIN_LANES..=MAX_LANES).contains(&l) => {
            return Err(Error::Usage {
                flag: "--lanes".into(),
                reason: format!("{l} is out of range: give {} to {MAX_LANES} lanes", requant::MIN_LANES),
            })
        }
        Some(l) => vec![l],
        None => LANE_CHOICES.iter().copied().filter(|&l| l <= widest).collect(),
    };
    // Proving work grows with columns × 2^k; verification gas and verifier size with columns
    // (a commitment, an evaluation and an ecMul each). Among the widths within 25% of the
    // least proving work, take the one with the fewest columns.
    let plan_k = |lanes: usize, shape: Shape| -> Result<(u32, usize)> {
        let layout = Layout::plan(&probe, lanes, privacy, shape)?;
        Ok(k_and_columns(&layout, layout.rows))
    };
    let mut candidates: Vec<(f64, usize, u32, usize)> = vec![];
    for &l in &choices {
        let (k, columns) = plan_k(l, false.into())?;
        candidates.push((columns as f64 * (1u64 << k) as f64, columns, k, l));
    }
    let least = candidates.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
    let (_, _, k_rows, lanes) = *candidates
        .iter()
        .filter(|c| c.0 <= 1.25 * least)
        .min_by_key(|c| (c.1, c.2))
        .expect("at least one lane choice");
    // The pointwise gadget packs one-input outputs for two more fixed columns (~15k gas):
    // worth it only where it halves the rows the prover pays for at these lanes.
    let (k_packed, _) = plan_k(lanes, true.into())?;
    let pointwise = k_packed < k_rows;
    let k_rows = k_rows.min(k_packed);
    // One-row requant: two more lookups and advice columns, a third of the rescales' rows;
    // taken where it lowers k (rescaled outputs dominate most models' rows), at the lane
    // width that then needs the least proving work.
    let wide_at = |l: usize| -> Result<Option<(f64, u32, usize)>> {
        if l < requant_wide::MIN_LANES {
            return Ok(None);
        }
        let (k, columns) = plan_k(l, Shape { pointwise, wide: true, split: 1 })?;
        Ok(Some((columns as f64 * (1u64 << k) as f64, k, l)))
    };
    let widened = match opts.wide {
        Some(false) => None,
        Some(true) => wide_at(lanes)?,
        // Under `accuracy` the rows k pays for are spent on the scale (s = k − 1), so fewer
        // rows would only buy a coarser scale: wide is for `resources`, or where the scale is
        // already at its finest and rows cost time alone.
        None if target == Target::Accuracy && k_rows <= quant::MAX_SCALE_BITS + 1 => None,
        None => {
            let mut best: Option<(f64, u32, usize)> = None;
            for &l in &choices {
                if let Some(c) = wide_at(l)?.filter(|c| c.1 < k_rows && best.is_none_or(|b| c.0 < b.0)) {
                    best = Some(c);
                }
            }
            best
        }
    };
    let wide = widened.is_some();
    let (k_rows, lanes) = widened.map_or((k_rows, lanes), |(_, k, l)| (k, l));
    Ok((lanes, Shape { pointwise, wide, split: 1 }, k_rows))
}

/// The scale: from `start` (the finest the rows k pays for allow, under `accuracy`), finer
/// while the integer model strays from the float one (small constant coefficients, such as a
/// mean's 1/n, lose precision at a coarse scale) and a finer scale still helps. `split` sizes
/// the lookup tables' budget as `start`'s split does.
fn scale(
    graph: &Graph,
    calibration: &[Vec<Vec<f32>>],
    opts: &CompileOptions,
    ranges: &[(f32, f32)],
    worst_error: &dyn Fn(&QuantModel) -> f64,
    start: u32,
    split: usize,
) -> u32 {
    let table_bits = |s: u32| table_bits(opts.target, s.div_ceil(split as u32));
    let mut scale_bits = start;
    // Then finer still while the check's precision samples stray by more than half the
    // tolerance and a finer scale still reduces that (by a tenth at least).
    let sample_error =
        |s: u32| QuantModel::quantize(graph, s, table_bits(s), ranges).map_or(f64::INFINITY, |q| worst_error(&q));
    let mut last = f64::INFINITY;
    while opts.scale_bits.is_none() && scale_bits < quant::MAX_SCALE_BITS {
        if quant::accurate(graph, scale_bits, table_bits(scale_bits), calibration, ranges) {
            let error = sample_error(scale_bits);
            if error <= crate::fidelity::TOLERANCE / 2.0 || error > 0.9 * last {
                // A finer scale that did worse (a table's grid moved) gives back the step.
                scale_bits -= (error > last) as u32;
                break;
            }
            last = error;
        }
        scale_bits += 1;
    }
    scale_bits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Node, Op};

    /// `auto` packs a part only where it saves `MIN_SAVED` public values; an explicit choice stands.
    #[test]
    fn auto_packs_only_what_saves_gas() {
        let node =
            |name: &str, op, inputs: Vec<usize>, n: usize| Node { name: name.into(), op, inputs, shape: vec![1, n] };
        let (k, n) = (8, 64);
        let dense = Op::Dense { k, n, weight: vec![0.1; k * n], bias: vec![0.0; n] };
        let graph = Graph {
            nodes: vec![node("x", Op::Input { index: 0 }, vec![], k), node("fc", dense, vec![0], n)],
            inputs: vec![0],
            outputs: vec![1],
        };
        let p = packing(&graph, Privacy::default());
        assert_eq!((p.input, p.output), (Visibility::Public, Visibility::Packed));
        let asked = Privacy { input: Visibility::Packed, output: Visibility::Public, ..Default::default() };
        assert_eq!(packing(&graph, asked), asked);
    }

    /// The verifier's value counts come from the declared shapes and the packing from the wires:
    /// a graph whose reshape declares 4 values over 3 is refused, not packed with a phantom value
    /// (found by the attacker helper on the packed values).
    #[test]
    fn declared_and_computed_value_counts_must_agree() {
        let node =
            |name: &str, op, inputs: Vec<usize>, n: usize| Node { name: name.into(), op, inputs, shape: vec![1, n] };
        let graph = Graph {
            nodes: vec![node("x", Op::Input { index: 0 }, vec![], 3), node("r", Op::Reshape, vec![0], 4)],
            inputs: vec![0],
            outputs: vec![1],
        };
        let err = match super::super::Compiled::new("m", &graph, &[vec![vec![0.5, -1.0, 2.0]]], &Default::default()) {
            Ok(_) => panic!("an inconsistent graph compiled"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("declare 4 values"), "{err}");
    }
}
