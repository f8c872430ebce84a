//! Property test: random small graphs of supported ops, written as ONNX, compiled on one random
//! input, must give through the integer oracle (what the circuit proves) what tract's float
//! inference gives, on inputs over the calibrated range and four times wider. Inputs the oracle
//! refuses (a range check or a table would fail) are skipped; the calibration input never is.
//!
//! Deterministic: a fixed proptest seed (`ZKINFER_GRAPH_SEED` overrides it to explore) and
//! no persistence file. A failure prints the shrunk case and the graph it builds.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use zkinfer::compile::{write_json, Compiled};
use zkinfer::onnx::write::{self, attr_float, attr_int, attr_ints, dims, GraphBuilder};
use zkinfer::pipeline::{self, CompileOptions};

/// Tensors stay this small, so probing and planning stay fast.
const MAX_LEN: usize = 48;

#[derive(Clone, Copy, Debug)]
enum Bin {
    Add,
    Sub,
    Mul,
}

#[derive(Clone, Copy, Debug)]
enum Bcast {
    Full,
    Scalar,
    LastAxis,
}

#[derive(Clone, Copy, Debug)]
enum Unary {
    Relu,
    LeakyRelu,
    Sigmoid,
    Tanh,
    Abs,
}

/// One step of a random graph. Indices (`other`, `axis`, `perm`…) are taken modulo what the
/// current shape allows, so every step applies to every shape.
#[derive(Clone, Debug)]
enum Layer {
    Gemm {
        n: usize,
        trans_b: bool,
    },
    MatMul {
        n: usize,
    },
    ByConst {
        op: Bin,
        bcast: Bcast,
    },
    /// `op(x, v)` with an earlier value `v` of as many elements (x itself if none).
    Binary {
        op: Bin,
        other: usize,
    },
    Unary(Unary),
    Clip {
        lo: Option<f32>,
        hi: Option<f32>,
    },
    Min(f32),
    Max(f32),
    Reshape {
        split: usize,
    },
    Flatten {
        axis: usize,
    },
    Transpose {
        perm: usize,
    },
    Concat {
        other: usize,
        axis: usize,
    },
    Slice {
        axis: usize,
        start: usize,
        len: usize,
    },
    Reduce {
        mean: bool,
        axis: usize,
        keep: bool,
    },
    Conv {
        out_c: usize,
        kh: usize,
        kw: usize,
        pad: bool,
    },
}

#[derive(Clone, Debug)]
struct Case {
    input: Vec<usize>,
    layers: Vec<Layer>,
    /// Calibration inputs are uniform in ±range.
    range: f32,
    seed: u64,
}

fn bin() -> impl Strategy<Value = Bin> {
    prop_oneof![Just(Bin::Add), Just(Bin::Sub), Just(Bin::Mul)]
}

fn layer() -> impl Strategy<Value = Layer> {
    let unary = prop_oneof![
        Just(Unary::Relu),
        Just(Unary::LeakyRelu),
        Just(Unary::Sigmoid),
        Just(Unary::Tanh),
        Just(Unary::Abs)
    ];
    let bcast = prop_oneof![Just(Bcast::Full), Just(Bcast::Scalar), Just(Bcast::LastAxis)];
    let clip = prop::sample::select(vec![
        (Some(0.0), Some(6.0)),
        (Some(-3.0), Some(6.0)),
        (Some(-1.0), Some(1.0)),
        (Some(-0.5), None),
        (None, Some(2.0)),
    ]);
    prop_oneof![
        (1..=6usize, any::<bool>()).prop_map(|(n, trans_b)| Layer::Gemm { n, trans_b }),
        (1..=6usize).prop_map(|n| Layer::MatMul { n }),
        (bin(), bcast).prop_map(|(op, bcast)| Layer::ByConst { op, bcast }),
        (bin(), 0..8usize).prop_map(|(op, other)| Layer::Binary { op, other }),
        unary.prop_map(Layer::Unary),
        clip.prop_map(|(lo, hi)| Layer::Clip { lo, hi }),
        prop::sample::select(vec![5.0f32, 1.5, 0.5, 0.0, -1.0]).prop_map(Layer::Min),
        prop::sample::select(vec![-4.0f32, -1.5, -0.5, 0.0, 0.5]).prop_map(Layer::Max),
        (0..8usize).prop_map(|split| Layer::Reshape { split }),
        (0..5usize).prop_map(|axis| Layer::Flatten { axis }),
        (0..24usize).prop_map(|perm| Layer::Transpose { perm }),
        (0..8usize, 0..4usize).prop_map(|(other, axis)| Layer::Concat { other, axis }),
        (0..4usize, 0..4usize, 0..4usize).prop_map(|(axis, start, len)| Layer::Slice { axis, start, len }),
        (any::<bool>(), 0..4usize, any::<bool>()).prop_map(|(mean, axis, keep)| Layer::Reduce { mean, axis, keep }),
        (1..=2usize, 1..=2usize, 1..=2usize, any::<bool>()).prop_map(|(out_c, kh, kw, pad)| Layer::Conv {
            out_c,
            kh,
            kw,
            pad
        }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let input = prop_oneof![
        (2..=8usize).prop_map(|n| vec![1, n]),
        (2..=3usize, 2..=4usize).prop_map(|(a, b)| vec![1, a, b]),
        (1..=2usize, 2..=3usize, 2..=3usize).prop_map(|(c, h, w)| vec![1, c, h, w]),
    ];
    let range = prop::sample::select(vec![1.0f32, 3.0, 8.0]);
    (input, prop::collection::vec(layer(), 1..=5), range, any::<u64>()).prop_map(|(input, layers, range, seed)| Case {
        input,
        layers,
        range,
        seed,
    })
}

/// The graph under construction: every value with its shape, and a readable op listing.
struct Built {
    b: GraphBuilder,
    values: Vec<(String, Vec<usize>)>,
    rng: ChaCha8Rng,
    listing: Vec<String>,
}

impl Built {
    fn cur(&self) -> (String, Vec<usize>) {
        self.values.last().unwrap().clone()
    }

    fn push(&mut self, name: String, shape: Vec<usize>, what: String) {
        self.listing.push(format!("{name} = {what} -> {shape:?}"));
        self.values.push((name, shape));
    }

    fn uniform(&mut self, n: usize, bound: f32) -> Vec<f32> {
        (0..n).map(|_| self.rng.gen_range(-bound..bound)).collect()
    }

    fn i64s(&mut self, v: &[i64]) -> String {
        self.b.constant_i64(&[v.len()], v.to_vec())
    }

    fn reshape(&mut self, x: &str, shape: &[usize]) -> String {
        let s = self.i64s(&shape.iter().map(|&d| d as i64).collect::<Vec<_>>());
        self.b.op("Reshape", &[x, &s], vec![])
    }

    /// An earlier value with `len` elements, reshaped to `shape` (or `x` itself).
    fn partner(&mut self, pick: usize, shape: &[usize]) -> String {
        let len: usize = shape.iter().product();
        let same: Vec<(String, Vec<usize>)> =
            self.values.iter().filter(|v| v.1.iter().product::<usize>() == len).cloned().collect();
        let (name, s) = same[pick % same.len()].clone();
        if s == shape {
            name
        } else {
            self.reshape(&name, shape)
        }
    }
}

fn len(s: &[usize]) -> usize {
    s.iter().product()
}

fn nth_permutation(rank: usize, mut k: usize) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..rank).collect();
    let mut perm = vec![];
    for i in (1..=rank).rev() {
        let f: usize = (1..i).product();
        perm.push(pool.remove((k / f) % i));
        k %= f.max(1);
    }
    perm
}

/// Applies one layer to the current value; returns false when it does not fit (skipped).
fn apply(g: &mut Built, layer: &Layer) -> bool {
    let (x, s) = g.cur();
    let rank = s.len();
    let what = format!("{layer:?}");
    let (y, shape) = match *layer {
        Layer::Gemm { n, trans_b } => {
            let (x, s) = if rank == 2 {
                (x, s)
            } else {
                (g.b.op("Flatten", &[&x], vec![attr_int("axis", 1)]), vec![s[0], len(&s[1..])])
            };
            let k = s[1];
            let bound = 1.0 / (k as f32).sqrt();
            let data = g.uniform(k * n, bound);
            let w = g.b.constant(&if trans_b { [n, k] } else { [k, n] }, data);
            let data = g.uniform(n, bound);
            let bias = g.b.constant(&[n], data);
            (g.b.op("Gemm", &[&x, &w, &bias], vec![attr_int("transB", trans_b as i64)]), vec![s[0], n])
        }
        Layer::MatMul { n } => {
            let k = s[rank - 1];
            let data = g.uniform(k * n, 1.0 / (k as f32).sqrt());
            let w = g.b.constant(&[k, n], data);
            let mut shape = s.clone();
            shape[rank - 1] = n;
            (g.b.op("MatMul", &[&x, &w], vec![]), shape)
        }
        Layer::ByConst { op, bcast } => {
            let cs = match bcast {
                Bcast::Full => s.clone(),
                Bcast::Scalar => vec![1],
                Bcast::LastAxis => vec![s[rank - 1]],
            };
            let data = g.uniform(len(&cs), 1.0);
            let c = g.b.constant(&cs, data);
            (g.b.op(&format!("{op:?}"), &[&x, &c], vec![]), s)
        }
        Layer::Binary { op, other } => {
            let o = g.partner(other, &s);
            (g.b.op(&format!("{op:?}"), &[&x, &o], vec![]), s)
        }
        Layer::Unary(u) => {
            let attrs = if matches!(u, Unary::LeakyRelu) { vec![attr_float("alpha", 0.1)] } else { vec![] };
            (g.b.op(&format!("{u:?}"), &[&x], attrs), s)
        }
        Layer::Clip { lo, hi } => {
            let lo = lo.map(|v| g.b.constant(&[], vec![v])).unwrap_or_default();
            let hi = hi.map(|v| g.b.constant(&[], vec![v]));
            let ins: Vec<&str> = [x.as_str(), lo.as_str()].into_iter().chain(hi.as_deref()).collect();
            (g.b.op("Clip", &ins, vec![]), s)
        }
        Layer::Min(c) | Layer::Max(c) => {
            let k = g.b.constant(&[1], vec![c]);
            let op = if matches!(layer, Layer::Min(_)) { "Min" } else { "Max" };
            (g.b.op(op, &[&x, &k], vec![]), s)
        }
        Layer::Reshape { split } => {
            let n = len(&s);
            let mut shapes = vec![vec![1, n]];
            shapes.extend((2..n).filter(|d| n.is_multiple_of(*d)).map(|d| vec![1, d, n / d]));
            let shape = shapes[split % shapes.len()].clone();
            (g.reshape(&x, &shape), shape)
        }
        Layer::Flatten { axis } => {
            let axis = axis % (rank + 1);
            (g.b.op("Flatten", &[&x], vec![attr_int("axis", axis as i64)]), vec![len(&s[..axis]), len(&s[axis..])])
        }
        Layer::Transpose { perm } => {
            let p = nth_permutation(rank, perm);
            let shape = p.iter().map(|&a| s[a]).collect();
            let p: Vec<i64> = p.iter().map(|&a| a as i64).collect();
            (g.b.op("Transpose", &[&x], vec![attr_ints("perm", &p)]), shape)
        }
        Layer::Concat { other, axis } => {
            if 2 * len(&s) > MAX_LEN {
                return false;
            }
            let axis = axis % rank;
            let o = g.partner(other, &s);
            let mut shape = s.clone();
            shape[axis] *= 2;
            (g.b.op("Concat", &[&x, &o], vec![attr_int("axis", axis as i64)]), shape)
        }
        Layer::Slice { axis, start, len: l } => {
            let axes: Vec<usize> = (0..rank).filter(|&a| s[a] >= 2).collect();
            if axes.is_empty() {
                return false;
            }
            let axis = axes[axis % axes.len()];
            let start = start % (s[axis] - 1);
            let end = start + 1 + l % (s[axis] - start);
            let (st, en, ax) = (g.i64s(&[start as i64]), g.i64s(&[end as i64]), g.i64s(&[axis as i64]));
            let mut shape = s.clone();
            shape[axis] = end - start;
            (g.b.op("Slice", &[&x, &st, &en, &ax], vec![]), shape)
        }
        Layer::Reduce { mean, axis, keep } => {
            let axis = axis % rank;
            let keep = keep || rank == 1;
            let mut shape = s.clone();
            if keep {
                shape[axis] = 1;
            } else {
                shape.remove(axis);
            }
            let keepdims = attr_int("keepdims", keep as i64);
            let y = if mean {
                g.b.op("ReduceMean", &[&x], vec![attr_ints("axes", &[axis as i64]), keepdims])
            } else {
                let a = g.i64s(&[axis as i64]);
                g.b.op("ReduceSum", &[&x, &a], vec![keepdims])
            };
            (y, shape)
        }
        Layer::Conv { out_c, kh, kw, pad } => {
            let (x, s) = if rank == 4 {
                (x, s)
            } else {
                let t = vec![1, 1, 1, len(&s)];
                (g.reshape(&x, &t), t)
            };
            let (c, h, w) = (s[1], s[2], s[3]);
            let (kh, kw, p) = (kh.min(h), kw.min(w), pad as usize);
            let shape = vec![1, out_c, h + 2 * p + 1 - kh, w + 2 * p + 1 - kw];
            if len(&shape) > MAX_LEN {
                return false;
            }
            let bound = 1.0 / ((c * kh * kw) as f32).sqrt();
            let data = g.uniform(out_c * c * kh * kw, bound);
            let wt = g.b.constant(&[out_c, c, kh, kw], data);
            let data = g.uniform(out_c, bound);
            let bias = g.b.constant(&[out_c], data);
            let attrs = vec![attr_ints("kernel_shape", &[kh as i64, kw as i64]), attr_ints("pads", &[p as i64; 4])];
            (g.b.op("Conv", &[&x, &wt, &bias], attrs), shape)
        }
    };
    g.push(y, shape, what);
    true
}

/// The case's ONNX model and its listing.
fn build(case: &Case) -> (tract_onnx::pb::ModelProto, String) {
    let mut b = GraphBuilder::new(13);
    let x = b.input(&dims(&case.input));
    let mut g = Built { b, values: vec![], rng: ChaCha8Rng::seed_from_u64(case.seed), listing: vec![] };
    g.push(x, case.input.clone(), "input".into());
    for layer in &case.layers {
        if !apply(&mut g, layer) {
            g.listing.push(format!("(skipped {layer:?})"));
        }
    }
    let (y, shape) = g.cur();
    g.b.output(&y, &dims(&shape));
    (g.b.build(), g.listing.join("\n"))
}

fn oracle(c: &Compiled, input: &[Vec<f32>]) -> zkinfer::Result<Vec<Vec<f64>>> {
    let vals = c.model.eval(&c.model.quantize_inputs(input)?)?;
    Ok(c.model.outputs.iter().map(|&o| vals[o].iter().map(|&v| c.model.dequantize(v)).collect()).collect())
}

/// The first output of `got` off `reference` by more than `tol`·max(1, max|ref|), if any.
fn mismatch(got: &[Vec<f64>], reference: &[Vec<f32>], tol: f64) -> Option<String> {
    for (k, (g, r)) in got.iter().zip(reference).enumerate() {
        let tol = tol * r.iter().fold(1f64, |m, v| m.max(v.abs() as f64));
        if g.len() != r.len() || g.iter().zip(r).any(|(a, b)| zkinfer::fidelity::outside((a - *b as f64).abs(), tol)) {
            return Some(format!("output {k}: ours {g:?}\n  tract {r:?}\n  (tolerance {tol})"));
        }
    }
    (got.len() != reference.len()).then(|| "number of outputs differs".into())
}

/// Compiles the case (which runs the differential import check) and compares with tract on the
/// calibration input, 8 inputs over its range and 8 over four times that range: zkinfer's float
/// reading of the graph must equal tract's on all of them (the function is right everywhere),
/// and the oracle must be within 0.05·max(1, max|ref|) on the inputs in the calibrated range,
/// each taken on the model's grid as the circuit sees it. Returns how many inputs the oracle
/// accepted.
fn check(case: &Case, dir: &Path) -> Result<usize, TestCaseError> {
    let (proto, listing) = build(case);
    let fail = |what: String| TestCaseError::fail(format!("{what}\ngraph:\n{listing}"));
    let model = dir.join("m.onnx");
    write::save(&proto, &model).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(case.seed ^ 0x5eed);
    let n = len(&case.input);
    let calibration: Vec<f32> = (0..n).map(|_| rng.gen_range(-case.range..case.range)).collect();
    let input = dir.join("in.json");
    write_json(&input, &serde_json::json!({ "input_data": [calibration] })).unwrap();
    let c = pipeline::compile(&model, &input, &dir.join("b"), &CompileOptions::default())
        .map_err(|e| fail(format!("compile: {e}")))?;
    let (graph, typed) = zkinfer::onnx::import(&model, &[n]).map_err(|e| fail(format!("import: {e}")))?;
    let graph = graph.fold_bias();
    let (lo, hi) = calibration.iter().fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    let mut inputs = vec![(1.0, calibration.clone())];
    for widen in [1.0, 4.0] {
        for _ in 0..8 {
            inputs.push((widen, (0..n).map(|_| widen * rng.gen_range(lo..=hi)).collect()));
        }
    }
    let mut accepted = 0;
    for (i, (widen, x)) in inputs.iter().enumerate() {
        let x = vec![x.clone()];
        let reference = zkinfer::onnx::tract_run(&typed, &x).map_err(|e| fail(format!("tract: {e}")))?;
        let reading: Vec<Vec<f64>> =
            graph.eval_f32(&x).into_iter().map(|v| v.into_iter().map(f64::from).collect()).collect();
        if let Some(m) = mismatch(&reading, &reference, 1e-3) {
            return Err(fail(format!("zkinfer's float reading, input {i} {x:?}:\n  {m}")));
        }
        let grid: Vec<Vec<f32>> = match c.model.quantize_inputs(&x) {
            Ok(q) => q.iter().map(|v| v.iter().map(|&a| c.model.dequantize(a) as f32).collect()).collect(),
            Err(_) if i > 0 => continue,
            Err(e) => return Err(fail(format!("the circuit refuses its own calibration input: {e}"))),
        };
        let got = match oracle(&c, &grid) {
            Ok(got) => got,
            Err(_) if i > 0 => continue, // outside the calibrated ranges: the circuit refuses it too
            Err(e) => return Err(fail(format!("the oracle refuses its own calibration input: {e}"))),
        };
        accepted += 1;
        if *widen > 1.0 {
            continue;
        }
        let reference = zkinfer::onnx::tract_run(&typed, &grid).map_err(|e| fail(format!("tract: {e}")))?;
        if let Some(m) = mismatch(&got, &reference, 0.05) {
            return Err(fail(format!("input {i} {x:?}:\n  {m}")));
        }
    }
    Ok(accepted)
}

#[test]
fn random_graphs_match_tract() {
    let seed = std::env::var("ZKINFER_GRAPH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_240_601);
    let config = Config {
        cases: 64,
        max_shrink_iters: 400,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    };
    let dir = common::scratch("random-graphs");
    let mut runner = TestRunner::new(config);
    let (cases, accepted) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let result = runner.run(&case(), |case| {
        accepted.set(accepted.get() + check(&case, &dir)?);
        cases.set(cases.get() + 1);
        Ok(())
    });
    match result {
        Ok(()) => eprintln!("{} cases passed, {} inputs accepted by the oracle", cases.get(), accepted.get()),
        Err(TestError::Fail(reason, case)) => panic!("shrunk failing case (seed {seed}):\n{case:#?}\n{reason}"),
        Err(e) => panic!("{e}"),
    }
}
