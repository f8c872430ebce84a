//! Lookup tables for pointwise functions: which inputs a table covers and how finely.
//!
//! A table maps `q`, the function's input on a coarser grid of 2^-t, to `round(f(q·2^-t)·2^s)`.
//! Each table has its own grid (`t = s - shift`, the shift a fixed column of the circuit's
//! rescale gate), the finest on which all tables together still fit the row budget. A table
//! covers the calibrated range of its input widened on both sides, because unseen inputs stray
//! past the calibration set; a value beyond it is refused by name at witness time. The rows the
//! tables' power of two already takes are not left empty: each table reaches further on its own
//! grid with an equal share of them (`spare`), which costs no k and refuses fewer inputs (a
//! corpus model calibrated on a constant input saw its layer norm's output only as 0).

use crate::error::{Error, Result};
use crate::graph::{Graph, Op};

/// Observed float range of every node's values over the calibration inputs.
pub fn value_ranges(graph: &Graph, calibration: &[Vec<Vec<f32>>]) -> Vec<(f32, f32)> {
    let mut ranges = vec![(f32::INFINITY, f32::NEG_INFINITY); graph.nodes.len()];
    for inputs in calibration {
        for (r, vals) in ranges.iter_mut().zip(graph.eval_all_f32(inputs)) {
            for v in vals.into_iter().filter(|v| v.is_finite()) {
                *r = (r.0.min(v), r.1.max(v));
            }
        }
    }
    ranges
}

/// Seeded variations of each calibration input, every float element scaled by its own factor in
/// [0.5, 1.5] (signs and zeros kept, so a model defined on part of the line stays inside it), for
/// the lookup tables' ranges only: one input is a thin sample of what a model will be shown, and
/// a degenerate one (a row of ones, whose layer norm outputs only 0) would leave every table
/// after it calibrated on a point. A variation any node of which is not finite is dropped.
/// `float[i]` is false for integer inputs (indices, flags), which keep their values.
pub fn variations(graph: &Graph, calibration: &[Vec<Vec<f32>>], float: &[bool]) -> Vec<Vec<Vec<f32>>> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x7ab1e);
    let mut out = vec![];
    for inputs in calibration {
        for _ in 0..VARIATIONS {
            let varied: Vec<Vec<f32>> = inputs
                .iter()
                .enumerate()
                .map(|(i, x)| match float.get(i) {
                    Some(false) => x.clone(),
                    _ => x.iter().map(|v| v * rng.gen_range(0.5f32..1.5)).collect(),
                })
                .collect();
            if graph.eval_all_f32(&varied).iter().flatten().all(|v| v.is_finite()) {
                out.push(varied);
            }
        }
    }
    out
}

/// Variations per calibration input.
const VARIATIONS: usize = 4;

/// Calibrated inputs [a, b] become [a − m, b + m]: half the span, at least a quarter of the
/// magnitude and at least one unit (a flag seen only as 0 still covers 1), so a second input of
/// the same distribution stays inside.
fn widen((a, b): (f32, f32)) -> (f64, f64) {
    let (a, b) = (a as f64, b as f64);
    let m = (0.5 * (b - a).max(0.5 * a.abs().max(b.abs()))).max(1.0);
    (a - m, b + m)
}

/// Rows kept free of table entries for halo2's blinding rows and the all-zero row.
const RESERVED: usize = 64;

/// The tables of a quantised model: per Map node, its grid shift and entries.
pub struct Tables {
    /// Per node, `(lo, values, shift)` for Map nodes (`None` for others): see `QOp::Lut`.
    pub tables: Vec<Option<(i64, Vec<i64>, u32)>>,
}

/// Per Map node, the finest grid 2^-t (t ≤ s) such that all tables together fit `budget` rows.
///
/// Each table gets its own grid so a narrow input (a layer norm's variance) keeps the activation
/// scale while a wide one (softmax's exponent) is read coarsely: the widest table is halved until
/// the sum fits, which equalises entry counts rather than steps. One grid for all, as before, let
/// the widest table set the step of every other.
fn grids(spans: &[f64], scale_bits: u32, budget: f64) -> Option<Vec<i32>> {
    let mut t = vec![scale_bits as i32; spans.len()];
    let entries = |span: f64, t: i32| span * (t as f64).exp2() + 1.0;
    loop {
        let total: f64 = spans.iter().zip(&t).map(|(&w, &t)| entries(w, t)).sum();
        if total <= budget {
            return Some(t);
        }
        let widest = (0..spans.len()).max_by(|&a, &b| entries(spans[a], t[a]).total_cmp(&entries(spans[b], t[b])))?;
        if t[widest] == 0 {
            return None;
        }
        t[widest] -= 1;
    }
}

/// Plans and samples one table per Map node; together they fill at most 2^`table_bits` rows.
pub fn build(graph: &Graph, scale_bits: u32, table_bits: u32, ranges: &[(f32, f32)]) -> Result<Option<Tables>> {
    let maps: Vec<usize> = (0..graph.nodes.len()).filter(|&i| matches!(graph.nodes[i].op, Op::Map { .. })).collect();
    if maps.is_empty() {
        return Ok(None);
    }
    let budget = ((1usize << table_bits) - RESERVED) as f64;
    let mut spans = vec![];
    for &id in &maps {
        let input = graph.nodes[id].inputs[0];
        let range = *ranges.get(input).ok_or_else(|| internal_no_range(graph, id))?;
        if range.0.is_nan() || range.1.is_nan() || range.0 > range.1 {
            return Err(internal_no_range(graph, id));
        }
        let (lo, hi) = widen(range);
        spans.push(hi - lo);
    }
    let Some(ts) = grids(&spans, scale_bits, budget) else {
        let widest = maps
            .iter()
            .map(|&id| ranges[graph.nodes[id].inputs[0]])
            .fold((0f32, 0f32), |m, r| (m.0.min(r.0), m.1.max(r.1)));
        return Err(Error::Quantise {
            node: None,
            reason: format!(
                "a lookup input spans [{}, {}], too wide for a {}-row table even at unit steps; \
                 normalise the model's inputs",
                widest.0,
                widest.1,
                1usize << table_bits
            ),
        });
    };
    let out_scale = (scale_bits as f64).exp2();
    let mut tables = vec![None; graph.nodes.len()];
    for (&id, &t) in maps.iter().zip(&ts) {
        let t = t as u32;
        let step = (t as f64).exp2();
        let Op::Map { f } = &graph.nodes[id].op else { unreachable!() };
        let core = ranges[graph.nodes[id].inputs[0]];
        let (lo, hi) = widen(core);
        let (qlo, qhi) = ((lo * step).ceil() as i64, (hi * step).floor() as i64);
        let xs: Vec<f32> = (qlo..=qhi).map(|q| (q as f64 / step) as f32).collect();
        let ys = f.eval(&xs);
        // Keep the run of finite values around the calibrated core (1/x, ln and sqrt are not
        // finite everywhere in a widened range).
        let (c0, c1) = (
            ((core.0 as f64 * step).round() as i64 - qlo) as usize,
            ((core.1 as f64 * step).round() as i64 - qlo) as usize,
        );
        let finite = |i: usize| entry(ys[i], scale_bits).is_some();
        if let Some(i) = (c0..=c1.min(ys.len() - 1)).find(|&i| !finite(i)) {
            let what = if ys[i].is_finite() {
                format!("reaches {} there, outside the activation range ±{}", ys[i], out_scale)
            } else {
                "is not finite there".to_string()
            };
            return Err(Error::Quantise {
                node: Some(graph.nodes[id].name.clone()),
                reason: format!(
                    "{} {what} (calibrated input range [{}, {}] read on the table grid, steps of 2^-{t}): \
                     normalise the inputs, calibrate on inputs that keep them further from a singularity, or \
                     use a smaller --scale-bits",
                    f.name, core.0, core.1
                ),
            });
        }
        let mut start = c0;
        while start > 0 && finite(start - 1) {
            start -= 1;
        }
        let mut end = c1.min(ys.len() - 1);
        while end + 1 < ys.len() && finite(end + 1) {
            end += 1;
        }
        let values: Vec<i64> = (start..=end).map(|i| entry(ys[i], scale_bits).expect("a run of entries")).collect();
        tables[id] = Some((qlo + start as i64, values, scale_bits - t));
    }
    let total: usize = tables.iter().flatten().map(|t| t.1.len()).sum();
    let share = spare(total, maps.len(), budget);
    for &id in &maps {
        let Op::Map { f } = &graph.nodes[id].op else { unreachable!() };
        if let Some(table) = tables[id].as_mut() {
            reach(f, scale_bits, table, share);
        }
    }
    Ok(Some(Tables { tables }))
}

/// Entries each of `n` tables may add: an equal share of the rows between the tables' `total`
/// and the power of two that total already needs (with halo2's reserved rows, at most 16 here,
/// and the row after the tables), keeping `RESERVED` free and never past `budget`. Filling them
/// leaves the rows, and so k, where they were.
fn spare(total: usize, n: usize, budget: f64) -> usize {
    let paid = ((total + 17).next_power_of_two() - RESERVED).min(budget as usize);
    paid.saturating_sub(total) / n.max(1)
}

/// Extends `table` by up to `share` entries on its own grid, half past each end; an end where the
/// function stops being finite (or leaves the activation range) gives the rest to the other.
fn reach(f: &crate::graph::ScalarFn, scale_bits: u32, table: &mut (i64, Vec<i64>, u32), share: usize) {
    let (lo, values, shift) = table;
    let step = ((scale_bits - *shift) as f64).exp2();
    // The values of f at grid indices `qs`, up to the first that is not a table entry.
    let run = |qs: Vec<i64>| -> Vec<i64> {
        let ys = f.eval(&qs.iter().map(|&q| (q as f64 / step) as f32).collect::<Vec<_>>());
        ys.iter().map_while(|&y| entry(y, scale_bits)).collect()
    };
    let hi = *lo + values.len() as i64 - 1;
    let above = run((hi + 1..=hi + (share - share / 2) as i64).collect());
    let room = share - above.len();
    let mut below = run((1..=room as i64).map(|i| *lo - i).collect());
    below.reverse();
    *lo -= below.len() as i64;
    let mut grown = below;
    grown.append(values);
    grown.extend(above);
    *values = grown;
}

/// f's value `y` as a table entry at scale 2^s, if it can be one. An entry is also an activation:
/// it must lie in the range every activation is checked to, [-2^(2s), 2^(2s)), so a lookup's
/// output needs no range check of its own.
fn entry(y: f32, scale_bits: u32) -> Option<i64> {
    let v = (y as f64 * (scale_bits as f64).exp2()).round();
    let bound = (2.0 * scale_bits as f64).exp2();
    (v.is_finite() && (-bound..bound).contains(&v)).then_some(v as i64)
}

fn internal_no_range(graph: &Graph, id: usize) -> Error {
    Error::Internal(format!("no calibrated range for the input of `{}`", graph.nodes[id].name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Node, ScalarFn};

    fn exp_graph() -> Graph {
        let exp = ScalarFn::new("exp", |xs| xs.iter().map(|x| x.exp()).collect());
        Graph {
            nodes: vec![
                Node { name: "x".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![1, 1] },
                Node { name: "exp".into(), op: Op::Map { f: exp }, inputs: vec![0], shape: vec![1, 1] },
            ],
            inputs: vec![0],
            outputs: vec![1],
        }
    }

    /// A lookup's output is not range-checked again, so every table entry must lie in the
    /// activation range: exp over a widened range is trimmed where it leaves it (it was clamped
    /// to ±2^62 before, a value no activation can hold).
    #[test]
    fn table_values_stay_in_the_activation_range() {
        let s = 8;
        let bound = 1i64 << (2 * s);
        let t = build(&exp_graph(), s, 12, &[(0.0, 4.0), (1.0, 54.0)]).unwrap().unwrap();
        let (_, values, _) = t.tables[1].as_ref().unwrap();
        assert!(values.iter().all(|&v| (-bound..bound).contains(&v)), "a table value outside ±2^(2s)");
        assert!(values.len() > 100);
    }

    /// A narrow table keeps the activation scale while a wide one beside it is read coarsely
    /// (one shared grid made both coarse: nanoGPT's layer-norm rsqrt read a variance of 0.0008
    /// on a 2^-2 grid because softmax's exponent spanned 20 units).
    #[test]
    fn each_table_gets_its_own_grid() {
        let exp = ScalarFn::new("exp", |xs| xs.iter().map(|x| x.exp()).collect());
        let mut g = exp_graph();
        g.nodes.push(Node { name: "exp2".into(), op: Op::Map { f: exp }, inputs: vec![0], shape: vec![1, 1] });
        g.nodes[1].inputs = vec![0];
        let narrow = build(&g, 10, 12, &[(0.0, 0.01)]).unwrap().unwrap();
        assert_eq!(narrow.tables[1].as_ref().unwrap().2, 0, "a narrow table at the activation scale");
        // One wide and one narrow input: a second input node for the narrow table.
        g.nodes.insert(1, Node { name: "y".into(), op: Op::Input { index: 1 }, inputs: vec![], shape: vec![1, 1] });
        g.inputs.push(1);
        g.nodes[2].inputs = vec![0];
        g.nodes[3].inputs = vec![1];
        let t = build(&g, 10, 12, &[(-20.0, 0.0), (0.0, 0.01)]).unwrap().unwrap();
        let (wide, narrow) = (t.tables[2].as_ref().unwrap(), t.tables[3].as_ref().unwrap());
        assert!(wide.2 >= 2, "the wide table is coarser: shift {}", wide.2);
        assert_eq!(narrow.2, 0, "the narrow one keeps the scale");
        assert!(wide.1.len() + narrow.1.len() <= (1 << 12) - RESERVED);
    }

    /// A table fills the rows its power of two already takes: it reaches past its widened range
    /// ([−1.5, 1.5] here, 769 entries at 2^-8) on its own grid, and stays within 1,024 rows less
    /// the reserved ones, so k does not move.
    #[test]
    fn a_table_fills_the_rows_already_paid_for() {
        let cube = ScalarFn::new("cube", |xs| xs.iter().map(|x| x * x * x).collect());
        let mut g = exp_graph();
        g.nodes[1].op = Op::Map { f: cube };
        let t = build(&g, 8, 12, &[(-0.5, 0.5), (-0.46, 0.46)]).unwrap().unwrap();
        let (lo, values, shift) = t.tables[1].as_ref().unwrap();
        assert_eq!(*shift, 0);
        assert!(*lo < -384 && values.len() > 900 && values.len() <= 1024 - RESERVED, "{lo}, {}", values.len());
        // Symmetric: as far past 1.5 as below −1.5.
        let hi = lo + values.len() as i64 - 1;
        assert!((hi + lo).abs() <= 1, "{lo}..{hi}");
    }

    /// A function that leaves the range on the calibrated inputs themselves is refused by name.
    #[test]
    fn a_table_outside_the_range_on_its_calibration_is_refused() {
        let err = build(&exp_graph(), 8, 12, &[(5.0, 7.0), (150.0, 1100.0)]).err().expect("refused").to_string();
        assert!(err.contains("`exp`") && err.contains("outside the activation range"), "{err}");
    }
}
