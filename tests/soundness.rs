//! The under-constraint audit (`zkinfer::circuit::audit`) over circuits that between them use
//! every gadget and every weights/visibility mode, at lanes 3–8 (the planner's minimum is 3), and
//! over corpus models. Each circuit must have no finding: no gate lets a prover move a value that
//! a copy or a public value carries. The audit walks the gates of each circuit's
//! `ConstraintSystem`, so a new gadget is covered without touching this file.
//!
//! `ZKINFER_AUDIT_ROWS=N` attacks up to N rows of each kind instead of 3 (the full run).

mod common;

use zkinfer::circuit::audit::{self, Options, Report};
use zkinfer::circuit::privacy::{Privacy, Visibility, WeightsMode};
use zkinfer::compile::{read_input, CompileOptions, Compiled};
use zkinfer::graph::{Graph, Node, Op, ScalarFn};

fn options() -> Options {
    let per_kind = std::env::var("ZKINFER_AUDIT_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    Options { per_kind, ..Default::default() }
}

fn node(name: &str, op: Op, inputs: Vec<usize>, shape: Vec<usize>) -> Node {
    Node { name: name.into(), op, inputs, shape }
}

fn weights(n: usize, seed: u32) -> Vec<f32> {
    (0..n).map(|i| (((i as u32).wrapping_mul(2654435761u32) ^ seed) % 17) as f32 / 8.0 - 1.0).collect()
}

/// Two tokens of width 4: q, k, v dense maps of the input, scores q·kᵀ (a product of two
/// activations, 4 pairs a term), a pointwise map, and the weighted sum of v (2 pairs a term).
/// Pairs that do not fill a row's slots are what the dot gate's forgery used.
fn attention() -> Graph {
    let (t, d) = (2, 4);
    let dense = |seed| Op::Dense {
        k: d,
        n: d,
        weight: weights(d * d, seed),
        bias: weights(d, seed + 1).iter().map(|b| b / 4.0).collect(),
    };
    let scores: Vec<Vec<(usize, usize)>> =
        (0..t * t).map(|ij| (0..d).map(|e| ((ij / t) * d + e, (ij % t) * d + e)).collect()).collect();
    let mix: Vec<Vec<(usize, usize)>> =
        (0..t * d).map(|ie| (0..t).map(|j| ((ie / d) * t + j, j * d + ie % d)).collect()).collect();
    let sigmoid = ScalarFn::new("sigmoid", |xs| xs.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect());
    Graph {
        nodes: vec![
            node("x", Op::Input { index: 0 }, vec![], vec![t, d]),
            node("q", dense(1), vec![0], vec![t, d]),
            node("k", dense(2), vec![0], vec![t, d]),
            node("v", dense(3), vec![0], vec![t, d]),
            node("scores", Op::Bilinear { terms: scores }, vec![1, 2], vec![t, t]),
            node("p", Op::Map { f: sigmoid }, vec![4], vec![t, t]),
            node("mix", Op::Bilinear { terms: mix }, vec![5, 3], vec![t, d]),
            node("relu", Op::Relu, vec![6], vec![t, d]),
            node("res", Op::Add, vec![7, 0], vec![t, d]),
            node("shift", Op::AddConst { value: vec![0.25, -0.5] }, vec![8], vec![t, d]),
            node("sq", Op::Mul, vec![9, 9], vec![t, d]),
            node("ge0", Op::NonNeg, vec![9], vec![t, d]),
            node("out", Op::Add, vec![10, 11], vec![t, d]),
        ],
        inputs: vec![0],
        outputs: vec![12],
    }
}

/// Eight rows of six through two dense layers: products the planner checks at random
/// challenges in a second phase (`freivalds.rs`) rather than multiply by multiply.
fn sequence() -> Graph {
    let dense = |k: usize, n: usize, seed| Op::Dense { k, n, weight: weights(k * n, seed), bias: weights(n, seed + 1) };
    Graph {
        nodes: vec![
            node("x", Op::Input { index: 0 }, vec![], vec![8, 6]),
            node("fc1", dense(6, 5, 5), vec![0], vec![8, 5]),
            node("relu", Op::Relu, vec![1], vec![8, 5]),
            node("fc2", dense(5, 4, 7), vec![2], vec![8, 4]),
        ],
        inputs: vec![0],
        outputs: vec![3],
    }
}

/// A keyed lookup of constant data by a computed integer index (a tree's leaves, an embedding).
fn select() -> Graph {
    Graph {
        nodes: vec![
            node("i", Op::Input { index: 0 }, vec![], vec![1, 3]),
            node("leaf", Op::Select { table: vec![0.5, -1.0, 2.0, 0.25] }, vec![0], vec![1, 3]),
        ],
        inputs: vec![0],
        outputs: vec![1],
    }
}

struct Row {
    circuit: String,
    lanes: usize,
    k: u32,
    report: Report,
}

fn audit_compiled(name: &str, compiled: &Compiled, inputs: &[Vec<f32>]) -> Row {
    let salts = compiled.fresh_salts();
    let (circuit, witness) = compiled.circuit_with_witness(inputs, &salts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let public = compiled.public_values(&witness, &salts);
    let k = compiled.settings.k;
    let report = audit::audit_model(&circuit, k, &public, &options()).unwrap_or_else(|e| panic!("{name}: {e}"));
    Row { circuit: name.into(), lanes: compiled.settings.lanes, k, report }
}

fn print(rows: &[Row]) {
    println!("| circuit | lanes | k | gates on | kinds | instances | attacked | cells (empty) | attempts | rejected | inert | findings |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let p = &r.report;
        println!(
            "| {} | {} | {} | {}/{} | {} | {} | {} | {} ({}) | {} | {} | {} | {} |",
            r.circuit,
            r.lanes,
            r.k,
            p.gates_used,
            p.gates,
            p.kinds,
            p.instances,
            p.attacked,
            p.cells,
            p.empty_cells,
            p.attempts,
            p.rejected,
            p.inert,
            p.findings.len()
        );
    }
    let sum = |f: fn(&Report) -> usize| rows.iter().map(|r| f(&r.report)).sum::<usize>();
    println!(
        "audit: {} circuits, {} gate instances of {} kinds, {} cells attacked ({} empty), {} attempts, {} findings",
        rows.len(),
        sum(|p| p.instances),
        sum(|p| p.kinds),
        sum(|p| p.cells),
        sum(|p| p.empty_cells),
        sum(|p| p.attempts),
        sum(|p| p.findings.len())
    );
}

fn assert_clean(rows: &[Row]) {
    print(rows);
    for r in rows {
        assert!(
            r.report.findings.is_empty(),
            "{} (lanes {}): {:#?}",
            r.circuit,
            r.lanes,
            &r.report.findings[..r.report.findings.len().min(3)]
        );
        assert!(r.report.attempts > 0, "{}: nothing attacked", r.circuit);
    }
}

fn modes() -> Vec<(&'static str, Privacy)> {
    let p = |weights, input, output, salted| Privacy { weights, input, output, salted };
    use Visibility::*;
    vec![
        ("fixed", Privacy::default()),
        ("private-weights", p(WeightsMode::Private, Public, Public, false)),
        ("hashed-weights", p(WeightsMode::Hashed, Public, Public, false)),
        ("hashed-io-salted", p(WeightsMode::Fixed, Hashed, Hashed, true)),
        ("private-input", p(WeightsMode::Fixed, Private, Public, false)),
    ]
}

/// Every gadget (linear, requant, relu, product, dot, lookup, sign, product check) in every mode
/// at lanes 2–8, and requant with its range check split.
#[test]
fn gadgets_in_every_mode_and_lane_width() {
    let graph = attention();
    let x: Vec<f32> = (0..8).map(|i| (i as f32 - 3.5) / 4.0).collect();
    let calibration = vec![vec![x.clone()], vec![x.iter().map(|v| -v * 0.8).collect()]];
    let mut rows = vec![];
    for lanes in 2..=8 {
        for (mode, privacy) in modes() {
            let opts = CompileOptions { lanes: Some(lanes), scale_bits: Some(8), privacy, ..Default::default() };
            let compiled =
                Compiled::new("attention", &graph, &calibration, &opts).unwrap_or_else(|e| panic!("{mode}: {e}"));
            rows.push(audit_compiled(&format!("attention {mode}"), &compiled, &calibration[0]));
        }
    }
    let x: Vec<f32> = (0..48).map(|i| ((i * 5) % 13) as f32 / 6.0 - 1.0).collect();
    let calibration = vec![vec![x.clone()], vec![x.iter().map(|v| -v * 0.7).collect()]];
    for lanes in [2, 3, 4, 8] {
        for (mode, privacy) in modes() {
            let opts = CompileOptions { lanes: Some(lanes), scale_bits: Some(8), privacy, ..Default::default() };
            let compiled =
                Compiled::new("rows", &sequence(), &calibration, &opts).unwrap_or_else(|e| panic!("{mode}: {e}"));
            assert!(!compiled.layout.products.is_empty(), "rows {mode} at lanes {lanes}: no product check");
            rows.push(audit_compiled(&format!("rows {mode}"), &compiled, &calibration[0]));
            if lanes >= 3 {
                // One-row requant blocks (requant_wide.rs), which the planner takes only where
                // they lower k: pinned on here.
                let opts = CompileOptions { wide: Some(true), ..opts };
                let compiled = Compiled::new("rows", &sequence(), &calibration, &opts).unwrap();
                assert!(compiled.settings.wide, "rows {mode} at lanes {lanes}: not wide");
                rows.push(audit_compiled(&format!("rows wide {mode}"), &compiled, &calibration[0]));
            }
        }
    }
    // The range check split into d cells of s/d bits per limb (requant blocks of 3d rows), pinned
    // at scale 2^-12 over every d the planner may take and every mode that allows a split.
    for d in [2, 3] {
        for (mode, privacy) in modes().into_iter().filter(|(_, p)| !p.private_weights()) {
            let opts =
                CompileOptions { lanes: Some(3), scale_bits: Some(12), privacy, split: Some(d), ..Default::default() };
            let compiled =
                Compiled::new("rows", &sequence(), &calibration, &opts).unwrap_or_else(|e| panic!("{mode}: {e}"));
            assert_eq!(compiled.settings.range_bits, 12 / d as u32, "rows {mode}: not split {d}");
            rows.push(audit_compiled(&format!("rows split {d} {mode}"), &compiled, &calibration[0]));
        }
    }
    let inputs = vec![vec![0.0, 3.0, 1.0]];
    for lanes in [3, 8] {
        let opts = CompileOptions { lanes: Some(lanes), scale_bits: Some(8), ..Default::default() };
        let compiled = Compiled::new("select", &select(), std::slice::from_ref(&inputs), &opts).unwrap();
        rows.push(audit_compiled("select", &compiled, &inputs));
    }
    assert_clean(&rows);
}

/// Corpus models: dense, conv (hashed weights, packed), lookup-heavy, recurrent, pooling, trees.
#[test]
fn corpus_models() {
    let Some(corpus) = common::corpus() else { return };
    let hashed = Privacy { weights: WeightsMode::Hashed, ..Default::default() };
    let cases: Vec<(&str, Privacy, Option<usize>)> = vec![
        ("1l_mlp", Privacy::default(), None),
        ("4l_relu_conv_fc", hashed, Some(4)),
        ("2l_relu_sigmoid", Privacy::default(), None),
        ("1l_max_pool", Privacy::default(), None),
        ("lstm", Privacy::default(), None),
        ("decision_tree", Privacy::default(), None),
        ("layernorm", Privacy::default(), None),
    ];
    let mut rows = vec![];
    for (name, privacy, lanes) in cases {
        let dir = corpus.join(name);
        let build = common::scratch(&format!("audit-{name}"));
        let opts = CompileOptions { lanes, privacy, ..Default::default() };
        let compiled = zkinfer::pipeline::compile(&dir.join("network.onnx"), &dir.join("input.json"), &build, &opts)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let inputs = read_input(&dir.join("input.json")).unwrap();
        let label = if privacy.weights == WeightsMode::Hashed { format!("{name} hashed") } else { name.to_string() };
        rows.push(audit_compiled(&label, &compiled, &inputs));
    }
    assert_clean(&rows);
}

/// The audit finds the class it exists for. A dot gate whose unused pair slot is left empty
/// (the forgery an outside review found) is rebuilt here as a bare circuit, and the audit must
/// report that its accumulator, which the instance reads, can be moved.
#[test]
fn audit_finds_an_empty_pair_slot() {
    let report = broken::audit_broken_dot();
    assert!(!report.findings.is_empty(), "the audit missed the empty pair slot: {report:?}");
    let f = &report.findings[0];
    assert!(f.empty && f.public, "{f:?}");
}

mod broken {
    use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
    use halo2_proofs::halo2curves::bn256::Fr;
    use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Fixed, Instance};
    use halo2_proofs::poly::Rotation;
    use std::collections::HashSet;
    use zkinfer::circuit::audit::{self, Report};

    /// `acc = a0·a1 + a2·a3` with only the first pair assigned: the old dot gate's last row.
    #[derive(Clone, Default)]
    struct Dot;

    impl Circuit<Fr> for Dot {
        type Config = ([Column<Advice>; 5], Column<Fixed>, Column<Instance>);
        type FloorPlanner = SimpleFloorPlanner;
        type Params = ();
        fn without_witnesses(&self) -> Self {
            Dot
        }
        fn configure(meta: &mut ConstraintSystem<Fr>) -> Self::Config {
            let a = [(); 5].map(|_| meta.advice_column());
            let q = meta.fixed_column();
            let inst = meta.instance_column();
            meta.enable_equality(a[4]);
            meta.enable_equality(inst);
            meta.create_gate("dot", |m| {
                let q = m.query_fixed(q, Rotation::cur());
                let c = a.map(|col| m.query_advice(col, Rotation::cur()));
                vec![q * (c[4].clone() - c[0].clone() * c[1].clone() - c[2].clone() * c[3].clone())]
            });
            (a, q, inst)
        }
        fn synthesize(&self, (a, q, inst): Self::Config, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
            let acc = layouter.assign_region(
                || "dot",
                |mut region| {
                    region.assign_fixed(q, 0, Fr::one());
                    region.assign_advice(a[0], 0, Value::known(Fr::from(3)));
                    region.assign_advice(a[1], 0, Value::known(Fr::from(5)));
                    Ok(region.assign_advice(a[4], 0, Value::known(Fr::from(15))).cell())
                },
            )?;
            layouter.constrain_instance(acc, inst, 0);
            Ok(())
        }
    }

    pub fn audit_broken_dot() -> Report {
        let rec = audit::record(&Dot, 6, &[Fr::from(15)]).unwrap();
        // The inputs a0, a1 are the prover's to choose, like a model's inputs.
        let free: HashSet<(usize, usize)> = [(0, 0), (1, 0)].into_iter().collect();
        audit::audit(&rec, &free, &Default::default()).unwrap()
    }
}
