//! Regression benches for the prover's stages (issue 14 item 7): layout planning, witness
//! generation, and proving one large matmul and one convolution, each on a model built here (no
//! corpus needed). `cargo bench --bench prover`; criterion keeps the previous run under
//! target/criterion and reports the change. Figures against EZKL are `make bench`'s, not these.

use criterion::{criterion_group, criterion_main, Criterion};
use halo2_proofs::halo2curves::bn256::Fr;
use std::time::Duration;
use zkinfer::circuit::layout::{Layout, Shape};
use zkinfer::compile::{CompileOptions, Compiled};
use zkinfer::graph::conv::Conv;
use zkinfer::graph::{Graph, Node, Op};

fn node(name: &str, op: Op, inputs: Vec<usize>, shape: Vec<usize>) -> Node {
    Node { name: name.into(), op, inputs, shape }
}

/// Deterministic weights in [−0.5, 0.5).
fn weights(n: usize, seed: u64) -> Vec<f32> {
    (0..n as u64).map(|i| ((i.wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000) as f32 / 1000.0) - 0.5).collect()
}

/// 16 rows through a 256 × 256 dense layer and a relu: 2^20 multiply-adds, one product check.
fn matmul() -> Graph {
    let (rows, k, n) = (16, 256, 256);
    Graph {
        nodes: vec![
            node("x", Op::Input { index: 0 }, vec![], vec![rows, k]),
            node("fc", Op::Dense { k, n, weight: weights(k * n, 1), bias: weights(n, 2) }, vec![0], vec![rows, n]),
            node("relu", Op::Relu, vec![1], vec![rows, n]),
        ],
        inputs: vec![0],
        outputs: vec![2],
    }
}

/// A 3×3 convolution from 8 to 16 channels over a 32×32 image (same padding), then a relu:
/// 1.2 M multiply-adds.
fn conv() -> Graph {
    let geometry = Conv {
        batch: 1,
        groups: 1,
        c_in: 8,
        c_out: 16,
        input: vec![32, 32],
        output: vec![32, 32],
        kernel: vec![3, 3],
        strides: vec![1, 1],
        dilations: vec![1, 1],
        pads: vec![1, 1],
        transpose: false,
    };
    let op = Op::Conv { geometry, weight: weights(16 * 8 * 9, 3), bias: weights(16, 4) };
    Graph {
        nodes: vec![
            node("x", Op::Input { index: 0 }, vec![], vec![1, 8, 32, 32]),
            node("conv", op, vec![0], vec![1, 16, 32, 32]),
            node("relu", Op::Relu, vec![1], vec![1, 16, 32, 32]),
        ],
        inputs: vec![0],
        outputs: vec![2],
    }
}

fn input(g: &Graph, seed: u64) -> Vec<Vec<f32>> {
    let n: usize = g.nodes[g.inputs[0]].shape.iter().product();
    vec![weights(n, seed).into_iter().map(|v| 2.0 * v).collect()]
}

fn compiled(name: &str, g: &Graph) -> Compiled {
    Compiled::new(name, g, &[input(g, 5)], &CompileOptions::default()).expect("the bench models compile")
}

fn stages(c: &mut Criterion) {
    for (name, g) in [("matmul", matmul()), ("conv", conv())] {
        let model = compiled(name, &g);
        let x = input(&g, 7);
        let mut group = c.benchmark_group(name);
        group.sample_size(10).measurement_time(Duration::from_secs(20));
        group.bench_function("plan", |b| {
            let split = (model.settings.scale_bits / model.settings.range_bits) as usize;
            let shape = Shape { pointwise: model.settings.pointwise, wide: model.settings.wide, split };
            b.iter(|| Layout::plan(&model.model, model.layout.lanes, model.layout.privacy, shape).unwrap())
        });
        group.bench_function("witness", |b| b.iter(|| model.circuit_with_witness(&x, &[]).unwrap()));
        let srs = zkinfer::prove::dev_srs(model.settings.k);
        let keys = zkinfer::prove::keygen(&model, &srs).unwrap();
        group.bench_function("prove", |b| {
            b.iter(|| {
                let (circuit, witness) = model.circuit_with_witness(&x, &[]).unwrap();
                let public: Vec<Fr> = model.public_values(&witness, &[]);
                zkinfer::prove::prove_circuit(&srs, &keys, circuit, &public).unwrap()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
