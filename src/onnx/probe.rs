//! Affine probing: many ONNX ops (Conv, ConvTranspose, Pad, Slice, Concat, Transpose, pooling by
//! averaging, sums and means, products and quotients by constants, Sub, Neg, Gather with constant
//! indices, Tile, Expand, Trilu…) are affine maps of their variable inputs once their other inputs
//! are constant. Rather than re-implement each op's index arithmetic, run tract's own
//! implementation on the zero vector and on each basis vector, read off `y = A·x + b`, and check
//! the map on random vectors; an op that is not affine (Relu, Mul of two activations, Floor…)
//! fails the check and stays unsupported.
//!
//! The check visits every magnitude a circuit could be asked to evaluate, not only the
//! neighbourhood of zero: `Min(x, 6)` is the identity on [−2, 2] and a clamp beyond it, and a
//! map that is affine only near zero would be proven for inputs where the model computes
//! something else (see `PROBE_MAGNITUDES`).

use rand::{Rng, SeedableRng};
use std::sync::Arc;
use tract_onnx::prelude::*;

/// Per output position: `(variable input slot, flat index, coefficient)`; plus the constant part.
pub struct AffineMap {
    /// Per output position, its terms `(variable input slot, flat index, coefficient)`.
    pub terms: Vec<Vec<(usize, usize, f32)>>,
    /// Per output position, the value it takes when every variable input is zero.
    pub bias: Vec<f32>,
}

/// Guards the number of op evaluations × output size a probe may take.
const MAX_PROBE_WORK: usize = 200_000_000;

/// Magnitudes at which every "is this op affine / linear on each side of zero / an extremum"
/// decision is checked. Range-checked activations lie within ±2^18 (`quant::MAX_SCALE_BITS`) and
/// the calibrated range of any node within that; exact sums of them reach further, so the float
/// checks go to 2^40 (f32 keeps its relative precision there). A kink or saturation anywhere in
/// between (a clamp's bound, a shrink's λ, a threshold) falls inside some magnitude's draws.
pub const PROBE_MAGNITUDES: [f32; 23] = [
    0.015625,
    0.0625,
    0.25,
    1.0,
    2.0,
    4.0,
    8.0,
    16.0,
    32.0,
    64.0,
    256.0,
    1024.0,
    4096.0,
    16384.0,
    65536.0,
    262144.0,
    1048576.0,
    4194304.0,
    16777216.0,
    268435456.0,
    4294967296.0,
    68719476736.0,
    1099511627776.0,
];

/// Integer inputs (indices, counts) are probed on integers, wide enough that integer division or
/// truncation shows (x/3 is 0 on every point in [−2, 2]) and up to the largest integer input a
/// circuit accepts (2^18), within i32 and exactly representable in f32.
const INTEGER_MAGNITUDES: [f32; 6] = [3.0, 50.0, 256.0, 4096.0, 65536.0, 262144.0];

/// Random probe vectors of the given lengths: one per magnitude (uniform in ±m) and one whose
/// elements each draw their own magnitude, so a map is also checked where small and large
/// values meet.
fn probe_points(zeros: &[Vec<f32>], integer: &[bool], seed: u64) -> Vec<Vec<Vec<f32>>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let rounds = PROBE_MAGNITUDES.len() + 1;
    (0..rounds)
        .map(|r| {
            zeros
                .iter()
                .zip(integer)
                .map(|(z, &int)| {
                    let mags: &[f32] = if int { &INTEGER_MAGNITUDES } else { &PROBE_MAGNITUDES };
                    z.iter()
                        .map(|_| {
                            let m =
                                if r < rounds - 1 { mags[r % mags.len()] } else { mags[rng.gen_range(0..mags.len())] };
                            let v = rng.gen_range(-1.0f32..1.0) * m;
                            if int {
                                v.round()
                            } else {
                                v
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn concrete(model: &TypedModel, o: OutletId) -> Option<(Vec<usize>, DatumType)> {
    let f = model.outlet_fact(o).ok()?;
    Some((f.shape.as_concrete()?.to_vec(), f.datum_type))
}

/// Probes `node` as an affine function of its non-constant inputs `vars`.
pub fn probe(model: &TypedModel, node: &TypedNode, vars: &[OutletId]) -> Option<AffineMap> {
    if node.outputs.len() != 1 || vars.is_empty() {
        return None;
    }
    // Computed indices are not affine inputs, and probing them would index out of bounds.
    let indexing = ["Gather", "GatherElements", "GatherNd", "ScatterNd", "ScatterElements"];
    let name = node.op.name();
    if (indexing.contains(&name.as_ref()) && node.inputs[1..].iter().any(|i| vars.contains(i))) || name == "Onehot" {
        return None;
    }
    let (out_shape, out_dt) = concrete(model, OutletId::new(node.id, 0))?;
    if !numeric(out_dt) {
        return None;
    }
    let var_shapes: Vec<Vec<usize>> = vars
        .iter()
        .map(|&v| concrete(model, v).filter(|(_, dt)| numeric(*dt)).map(|(s, _)| s))
        .collect::<Option<_>>()?;
    let n_in: usize = var_shapes.iter().map(|s| s.iter().product::<usize>()).sum();
    let n_out: usize = out_shape.iter().product();
    if (n_in + 3) * n_out.max(1) > MAX_PROBE_WORK {
        return None;
    }
    let eval = one_op(model, node, vars, &var_shapes, &Default::default())?;
    let integer: Vec<bool> =
        vars.iter().map(|&v| model.outlet_fact(v).map(|f| !f.datum_type.is_float()).unwrap_or(false)).collect();
    probe_with(eval, &var_shapes, &integer, n_out)
}

/// Shape dimensions (TDim) carried as data are run as i64.
pub(super) fn runtime_dt(dt: DatumType) -> DatumType {
    if dt == DatumType::TDim {
        i64::datum_type()
    } else {
        dt
    }
}

/// A constant as the sub-models run it (TDim as i64, matching `runtime_dt`).
pub(super) fn runtime_const(t: &Tensor) -> Option<Tensor> {
    Some(t.cast_to_dt(runtime_dt(t.datum_type())).ok()?.into_owned())
}

/// Numbers tract computes with: floats, integers, and shape dimensions (TDim) as integers.
fn numeric(dt: DatumType) -> bool {
    dt.is_float() || dt.is_integer() || dt == DatumType::TDim
}

/// Runs one tract node on its own, with new values for its variable inputs (and, for the
/// constant inputs listed in `replace` by input position, other constants).
fn one_op<'a>(
    model: &TypedModel,
    node: &TypedNode,
    vars: &[OutletId],
    var_shapes: &'a [Vec<usize>],
    replace: &std::collections::HashMap<usize, Tensor>,
) -> Option<impl Fn(&[Vec<f32>]) -> Option<Vec<f32>> + 'a> {
    // A one-op model: sources for the variable inputs, constants for the rest.
    let mut m = TypedModel::default();
    let mut wires = tvec![];
    let mut sources: Vec<Option<OutletId>> = vec![None; vars.len()];
    for (i, &input) in node.inputs.iter().enumerate() {
        let w = match vars.iter().position(|&v| v == input) {
            Some(slot) => match sources[slot] {
                Some(w) => w,
                None => {
                    let dt = runtime_dt(model.outlet_fact(input).ok()?.datum_type);
                    let w = m.add_source(format!("x{slot}"), dt.fact(&var_shapes[slot])).ok()?;
                    sources[slot] = Some(w);
                    w
                }
            },
            None => {
                let k: Arc<Tensor> = model.outlet_fact(input).ok()?.konst.clone()?;
                let k = match replace.get(&i) {
                    Some(t) => t.clone(),
                    None => runtime_const(&k)?,
                };
                m.add_const(format!("c{i}"), k).ok()?
            }
        };
        wires.push(w);
    }
    let dts: Vec<DatumType> =
        vars.iter().map(|&v| model.outlet_fact(v).map(|f| runtime_dt(f.datum_type))).collect::<Result<_, _>>().ok()?;
    let out = m.wire_node("op", node.op.clone(), &wires).ok()?;
    m.select_output_outlets(&out).ok()?;
    let run = m.into_runnable().ok()?;
    Some(move |xs: &[Vec<f32>]| -> Option<Vec<f32>> {
        let inputs: TVec<TValue> = xs
            .iter()
            .zip(var_shapes)
            .zip(&dts)
            .map(|((x, s), dt)| {
                let a = tract_ndarray::ArrayD::from_shape_vec(s.clone(), x.clone()).ok()?;
                Some(Tensor::from(a).cast_to_dt(*dt).ok()?.into_owned().into_tvalue())
            })
            .collect::<Option<_>>()?;
        let out = run.run(inputs).ok()?;
        let t = out[0].cast_to::<f32>().ok()?;
        Some(t.to_plain_array_view::<f32>().ok()?.iter().copied().collect())
    })
}

/// Which model parameter each coefficient and bias of an affine map is. Probing reads a
/// convolution as one coefficient per (output, input) pair; the same kernel weight recurs at
/// every position. Probing the op again with each float constant replaced by its element's
/// number (1, 2, 3… across the node's constants) turns every coefficient into the number of the
/// parameter it is, so private weights can be committed once each and wired to every use, and
/// the map's structure no longer depends on the weights' values (a weight that is exactly zero
/// keeps its term).
pub struct ParamMap {
    /// Per output: (variable slot, flat index, parameter number).
    pub terms: Vec<Vec<(usize, usize, u32)>>,
    /// Per output position, the parameter added to it, if any.
    pub bias: Vec<Option<u32>>,
    /// The parameters' values, indexed by parameter number.
    pub params: Vec<f32>,
}

/// The parameter map of `node`, whose value map `values` probing found; `None` when the node has
/// no float constants or a coefficient is not a single parameter (a quotient by a constant…).
pub fn param_map(model: &TypedModel, node: &TypedNode, vars: &[OutletId], values: &AffineMap) -> Option<ParamMap> {
    let mut params: Vec<f32> = vec![];
    let mut replace = std::collections::HashMap::new();
    for (pos, input) in node.inputs.iter().enumerate() {
        if vars.contains(input) {
            continue;
        }
        let k = match model.outlet_fact(*input).ok()?.konst.clone() {
            Some(k) if k.datum_type() == f32::datum_type() => k,
            _ => continue,
        };
        let vals: Vec<f32> = k.to_plain_array_view::<f32>().ok()?.iter().copied().collect();
        let numbers: Vec<f32> = (0..vals.len()).map(|j| (params.len() + j + 1) as f32).collect();
        replace.insert(pos, tract_ndarray::ArrayD::from_shape_vec(k.shape().to_vec(), numbers).ok()?.into());
        params.extend(vals);
    }
    // f32 holds every integer up to 2^24 exactly.
    if params.is_empty() || params.len() >= 1 << 24 {
        return None;
    }
    let var_shapes: Vec<Vec<usize>> =
        vars.iter().map(|&v| concrete(model, v).map(|(s, _)| s)).collect::<Option<_>>()?;
    let eval = one_op(model, node, vars, &var_shapes, &replace)?;
    // The op is the one whose value map passed the affine check; with coefficients in the
    // thousands, f32 rounding would fail that check on random points, so read the map only.
    let numbered = read_map(&eval, &var_shapes, values.bias.len())?;
    let id = |c: f32| -> Option<u32> {
        (c.fract() == 0.0 && c >= 1.0 && (c as usize) <= params.len()).then(|| c as u32 - 1)
    };
    let same = |a: f32, b: f32| (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()));
    let mut map = ParamMap { terms: vec![], bias: vec![], params: vec![] };
    for (o, (terms, &b)) in numbered.terms.iter().zip(&numbered.bias).enumerate() {
        let bias = if b == 0.0 { None } else { Some(id(b)?) };
        if !same(bias.map_or(0.0, |p| params[p as usize]), values.bias[o]) {
            return None;
        }
        let mut want = values.terms[o].iter().peekable();
        let mut row = Vec::with_capacity(terms.len());
        for &(slot, i, c) in terms {
            let p = id(c)?;
            let v = params[p as usize];
            match want.peek() {
                Some(&&(ws, wi, wc)) if (ws, wi) == (slot, i) => {
                    if !same(v, wc) {
                        return None;
                    }
                    want.next();
                }
                _ if v == 0.0 => {}
                _ => return None,
            }
            row.push((slot, i, p));
        }
        if want.next().is_some() {
            return None;
        }
        map.terms.push(row);
        map.bias.push(bias);
    }
    map.params = params;
    Some(map)
}

fn probe_with(
    eval: impl Fn(&[Vec<f32>]) -> Option<Vec<f32>>,
    var_shapes: &[Vec<usize>],
    integer: &[bool],
    n_out: usize,
) -> Option<AffineMap> {
    let map = read_map(&eval, var_shapes, n_out)?;
    let zeros: Vec<Vec<f32>> = var_shapes.iter().map(|s| vec![0f32; s.iter().product()]).collect();
    check_affine(map, eval, &zeros, integer)
}

/// `y = A·x + b` read off at zero and at each basis vector (not checked to be affine).
fn read_map(
    eval: &impl Fn(&[Vec<f32>]) -> Option<Vec<f32>>,
    var_shapes: &[Vec<usize>],
    n_out: usize,
) -> Option<AffineMap> {
    let zeros: Vec<Vec<f32>> = var_shapes.iter().map(|s| vec![0f32; s.iter().product()]).collect();
    let bias = eval(&zeros)?;
    if bias.len() != n_out || bias.iter().any(|b| !b.is_finite()) {
        return None;
    }
    let mut terms: Vec<Vec<(usize, usize, f32)>> = vec![vec![]; n_out];
    for (slot, s) in var_shapes.iter().enumerate() {
        for i in 0..s.iter().product::<usize>() {
            let mut xs = zeros.clone();
            xs[slot][i] = 1.0;
            let y = eval(&xs)?;
            for (j, (&yj, &bj)) in y.iter().zip(&bias).enumerate() {
                let c = yj - bj;
                if c != 0.0 {
                    terms[j].push((slot, i, c));
                }
            }
        }
    }
    Some(AffineMap { terms, bias })
}

fn check_affine(
    map: AffineMap,
    eval: impl Fn(&[Vec<f32>]) -> Option<Vec<f32>>,
    zeros: &[Vec<f32>],
    integer: &[bool],
) -> Option<AffineMap> {
    // Random points of every magnitude, both signs (catches Relu, Abs, clamps, thresholds…). The
    // tolerance follows the size of the terms summed, the scale of f32's own rounding error.
    for xs in probe_points(zeros, integer, 0x5eed) {
        let y = eval(&xs)?;
        for (j, t) in map.terms.iter().enumerate() {
            let (mut pred, mut size) = (map.bias[j] as f64, 1.0 + map.bias[j].abs() as f64);
            for &(s, i, c) in t {
                let term = c as f64 * xs[s][i] as f64;
                pred += term;
                size += term.abs();
            }
            if crate::fidelity::outside((y[j] as f64 - pred).abs(), 1e-4 * size) {
                return None;
            }
        }
    }
    Some(map)
}

/// For a unary elementwise op that is linear on each side of zero (`|x|`, leaky relu, PRelu
/// with one slope): the slopes `(p, n)` with f(x) = p·x for x ≥ 0 and n·x for x < 0, checked at
/// every probe magnitude on both sides (a shrink with λ = 5 is 0 on [−2, 2] and not beyond).
pub fn zero_kink_slopes(model: &TypedModel, node: &TypedNode, var: OutletId) -> Option<(f32, f32)> {
    let (shape, dt) = concrete(model, var)?;
    let (out_shape, out_dt) = concrete(model, OutletId::new(node.id, 0))?;
    if dt != f32::datum_type() || out_dt != dt || out_shape != shape || node.inputs.len() != 1 {
        return None;
    }
    let shapes = [shape];
    let eval = one_op(model, node, &[var], &shapes, &Default::default())?;
    let n: usize = shapes[0].iter().product();
    if n == 0 || eval(&[vec![0.0; n]])?.iter().any(|&z| z != 0.0) {
        return None;
    }
    // Positive points of magnitudes cycling through PROBE_MAGNITUDES, enough rounds that each
    // magnitude is visited; the slopes come from the first point of each sign.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed);
    let rounds = PROBE_MAGNITUDES.len().div_ceil(n).max(2);
    let mut slopes: [Option<f32>; 2] = [None, None];
    for r in 0..rounds {
        let x: Vec<f32> = (0..n)
            .map(|j| PROBE_MAGNITUDES[(r * n + j) % PROBE_MAGNITUDES.len()] * rng.gen_range(0.5f32..1.0))
            .collect();
        for (side, sign) in [(0, 1.0f32), (1, -1.0)] {
            let xs: Vec<f32> = x.iter().map(|v| sign * v).collect();
            let y = eval(std::slice::from_ref(&xs))?;
            let slope = *slopes[side].get_or_insert(y[0] / xs[0]);
            let fits = y.iter().zip(&xs).all(|(a, b)| (a - slope * b).abs() <= 1e-5 * (1.0 + (slope * b).abs()));
            if !slope.is_finite() || !fits {
                return None;
            }
        }
    }
    Some((slopes[0]?, slopes[1]?))
}

/// For an op each of whose outputs is the maximum (or minimum) of a fixed subset of its input
/// (MaxPool, ReduceMax, ReduceMin, global max pooling): the subsets, read off by raising one input
/// at a time, and whether it is a minimum. Checked on random inputs.
pub fn extremum_windows(model: &TypedModel, node: &TypedNode, var: OutletId) -> Option<(Vec<Vec<usize>>, bool)> {
    let (shape, dt) = concrete(model, var)?;
    let (out_shape, out_dt) = concrete(model, OutletId::new(node.id, 0))?;
    if dt != f32::datum_type() || out_dt != dt || node.inputs.len() != 1 {
        return None;
    }
    let (n_in, n_out) = (shape.iter().product::<usize>(), out_shape.iter().product::<usize>().max(1));
    if n_in * n_out > MAX_PROBE_WORK {
        return None;
    }
    let shapes = [shape];
    let eval = one_op(model, node, &[var], &shapes, &Default::default())?;
    'kind: for is_min in [false, true] {
        let (low, high) = if is_min { (1f32, -1f32) } else { (-1f32, 1f32) };
        let mut windows: Vec<Vec<usize>> = vec![vec![]; n_out];
        for i in 0..n_in {
            let mut x = vec![low; n_in];
            x[i] = high;
            let y = eval(&[x])?;
            for (j, &v) in y.iter().enumerate() {
                if v == high {
                    windows[j].push(i);
                }
            }
        }
        if windows.iter().any(|w| w.is_empty()) {
            continue;
        }
        let zeros = [vec![0f32; n_in]];
        for x in probe_points(&zeros, &[false], 0x5eed).into_iter().map(|mut v| v.remove(0)) {
            let y = eval(std::slice::from_ref(&x))?;
            for (j, w) in windows.iter().enumerate() {
                let vals = w.iter().map(|&i| x[i]);
                let want =
                    if is_min { vals.fold(f32::INFINITY, f32::min) } else { vals.fold(f32::NEG_INFINITY, f32::max) };
                if y[j] != want {
                    continue 'kind;
                }
            }
        }
        return Some((windows, is_min));
    }
    None
}
