//! Import robustness: valid models that trip tract's shape inference or graph rewrites still
//! compile, and their integer oracle (what the circuit proves) agrees with the float reference;
//! only files that are not ONNX protobuf are called invalid, and what tract cannot type is
//! reported with the node that stopped it.

mod common;

use std::path::{Path, PathBuf};
use zkinfer::compile::{write_json, Compiled};
use zkinfer::onnx::write::{self, attr_int, attr_ints, dims, Dim, GraphBuilder, Tiling};
use zkinfer::pipeline::{self, CompileOptions};
use zkinfer::Error;

fn save(dir: &Path, proto: &tract_onnx::pb::ModelProto) -> PathBuf {
    let path = dir.join("m.onnx");
    write::save(proto, &path).unwrap();
    path
}

fn compile(dir: &Path, model: &Path, input: &[Vec<f32>]) -> zkinfer::Result<Compiled> {
    let path = dir.join("in.json");
    write_json(&path, &serde_json::json!({ "input_data": input })).unwrap();
    pipeline::compile(model, &path, &dir.join("b"), &CompileOptions::default())
}

/// The integer oracle's outputs, dequantised.
fn oracle(c: &Compiled, input: &[Vec<f32>]) -> zkinfer::Result<Vec<Vec<f64>>> {
    let q = c.model.quantize_inputs(input)?;
    let vals = c.model.eval(&q)?;
    Ok(c.model.outputs.iter().map(|&o| vals[o].iter().map(|&v| c.model.dequantize(v)).collect()).collect())
}

fn assert_close(got: &[Vec<f64>], reference: &[Vec<f32>], what: &str) {
    assert_eq!(got.len(), reference.len(), "{what}: number of outputs");
    for (g, r) in got.iter().zip(reference) {
        assert_eq!(g.len(), r.len(), "{what}: output length");
        let tol = 0.05 * r.iter().fold(1f64, |m, v| m.max(v.abs() as f64));
        for (a, b) in g.iter().zip(r) {
            assert!((a - *b as f64).abs() <= tol, "{what}: oracle {g:?} vs reference {r:?}");
        }
    }
}

/// Compiles `proto` on `input` and checks the oracle against tract's float inference on it and
/// on half of it (which stays inside the calibrated range).
fn compiles_and_matches(name: &str, proto: &tract_onnx::pb::ModelProto, input: Vec<Vec<f32>>) -> Compiled {
    let dir = common::scratch(&format!("import-{name}"));
    let model = save(&dir, proto);
    let c = compile(&dir, &model, &input).unwrap_or_else(|e| panic!("{name}: {e}"));
    let lens: Vec<usize> = input.iter().map(|x| x.len()).collect();
    let typed = zkinfer::onnx::load_typed(&model, &lens).unwrap();
    for x in [input.clone(), input.iter().map(|v| v.iter().map(|a| a * 0.5).collect()).collect()] {
        let reference = zkinfer::onnx::tract_run(&typed, &x).unwrap();
        assert_close(&oracle(&c, &x).unwrap_or_else(|e| panic!("{name}: {e}")), &reference, name);
    }
    c
}

fn seeded(n: usize, seed: u64) -> Vec<f32> {
    write::random_input(n, seed)["input_data"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect()
}

/// onnxruntime 1.32's outputs for `tiled_batch_mlp(&[4, 8, 2], 3, tiling, 1)` on
/// `random_input(4, 1)` (recorded with a Python venv outside the project): every row of the
/// batch is the MLP of the same input row.
const ORT_ROW: [f32; 2] = [-0.266_44, -0.663_778_2];

#[test]
fn expanded_and_tiled_batches_compile_and_match_onnxruntime() {
    for (tiling, rows) in [(Tiling::Expand, 3), (Tiling::Tile, 3), (Tiling::Both, 6)] {
        let name = format!("{tiling:?}");
        let c = compiles_and_matches(&name, &write::tiled_batch_mlp(&[4, 8, 2], 3, tiling, 1), vec![seeded(4, 1)]);
        let ort: Vec<f32> = ORT_ROW.iter().copied().cycle().take(2 * rows).collect();
        assert_close(&oracle(&c, &[seeded(4, 1)]).unwrap(), &[ort], &name);
    }
}

#[test]
fn a_file_that_is_not_protobuf_is_not_valid_onnx() {
    let dir = common::scratch("import-garbage");
    let model = dir.join("notes.onnx");
    std::fs::write(&model, "\u{ff}\u{fe} model weights, see attached spreadsheet\n").unwrap();
    let e = compile(&dir, &model, &[vec![1.0]]).unwrap_err();
    assert!(matches!(e, Error::MalformedOnnx { .. }), "{e}");
    assert!(e.to_string().contains("not a valid ONNX model"), "{e}");
}

/// `[1,4] + [3]` cannot broadcast: tract's shape inference refuses it, naming the node, and the
/// file is not called invalid (it parses; onnxruntime refuses it too, at session creation).
#[test]
fn an_impossible_shape_names_the_node() {
    let dir = common::scratch("import-impossible");
    let mut b = GraphBuilder::new(13);
    let x = b.input(&dims(&[1, 4]));
    let c = b.constant(&[3], vec![1.0, 2.0, 3.0]);
    let y = b.op("Add", &[&x, &c], vec![]);
    let y = b.op("Relu", &[&y], vec![]);
    b.output(&y, &dims(&[1, 4]));
    let model = save(&dir, &b.build());
    let e = compile(&dir, &model, &[vec![0.5; 4]]).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::Import { .. }), "{msg}");
    assert!(!msg.contains("not a valid ONNX") && msg.contains("node `v2`"), "{msg}");
    eprintln!("{msg}");
}

#[test]
fn gemm_with_transposed_weights() {
    let mut b = GraphBuilder::new(13);
    let x = b.input(&dims(&[1, 4]));
    let w = b.constant(&[3, 4], (0..12).map(|i| (i as f32 - 5.5) / 8.0).collect());
    let bias = b.constant(&[3], vec![0.1, -0.2, 0.3]);
    let y = b.op("Gemm", &[&x, &w, &bias], vec![attr_int("transB", 1), write::attr_float("alpha", 0.5)]);
    b.output(&y, &dims(&[1, 3]));
    compiles_and_matches("transb", &b.build(), vec![seeded(4, 2)]);
}

/// A small CNN head exported with a dynamic batch: `[N,1,5,5] → Conv → Relu → Flatten → Gemm`.
#[test]
fn conv_flatten_gemm_with_a_symbolic_batch() {
    let mut b = GraphBuilder::new(13);
    let x = b.input(&[Dim::Sym("N".into()), Dim::Fixed(1), Dim::Fixed(5), Dim::Fixed(5)]);
    let w = b.constant(&[2, 1, 3, 3], (0..18).map(|i| ((i * 7 % 11) as f32 - 5.0) / 10.0).collect());
    let cb = b.constant(&[2], vec![0.05, -0.05]);
    let y = b.op("Conv", &[&x, &w, &cb], vec![attr_ints("kernel_shape", &[3, 3])]);
    let y = b.op("Relu", &[&y], vec![]);
    let y = b.op("Flatten", &[&y], vec![attr_int("axis", 1)]);
    let fw = b.constant(&[3, 18], (0..54).map(|i| ((i * 5 % 13) as f32 - 6.0) / 20.0).collect());
    let fb = b.constant(&[3], vec![0.0, 0.1, -0.1]);
    let y = b.op("Gemm", &[&y, &fw, &fb], vec![attr_int("transB", 1)]);
    b.output(&y, &[Dim::Sym("N".into()), Dim::Fixed(3)]);
    compiles_and_matches("conv-flatten", &b.build(), vec![seeded(25, 3)]);
}

/// `Unsqueeze`/`Squeeze` chains, with axes as inputs (opset 13) and as attributes (opset 11).
#[test]
fn unsqueeze_squeeze_chains() {
    for opset in [11, 13] {
        let mut b = GraphBuilder::new(opset);
        let x = b.input(&dims(&[1, 4]));
        let axis_op = |b: &mut GraphBuilder, op: &str, x: &str, axes: &[i64]| {
            if opset >= 13 {
                let a = b.constant_i64(&[axes.len()], axes.to_vec());
                b.op(op, &[x, &a], vec![])
            } else {
                b.op(op, &[x], vec![attr_ints("axes", axes)])
            }
        };
        let y = axis_op(&mut b, "Unsqueeze", &x, &[1]); // [1,1,4]
        let y = axis_op(&mut b, "Unsqueeze", &y, &[3]); // [1,1,4,1]
        let y = b.op("Relu", &[&y], vec![]);
        let y = axis_op(&mut b, "Squeeze", &y, &[3, 1]); // [1,4]
        let w = b.constant(&[4, 2], vec![0.5, -0.25, 0.75, 0.1, -0.5, 0.3, 0.2, -0.6]);
        let y = b.op("MatMul", &[&y, &w], vec![]);
        let y = axis_op(&mut b, "Squeeze", &y, &[0]); // [2]
        b.output(&y, &dims(&[2]));
        compiles_and_matches(&format!("squeeze-{opset}"), &b.build(), vec![seeded(4, 4)]);
    }
}

/// PyTorch's `x.view(x.size(0), -1)` with a dynamic batch: Shape → Gather → Unsqueeze → Concat
/// → Reshape, then a Gemm.
#[test]
fn dynamic_batch_view_then_gemm() {
    let mut b = GraphBuilder::new(13);
    let x = b.input(&[Dim::Sym("batch".into()), Dim::Fixed(2), Dim::Fixed(3)]);
    let s = b.op("Shape", &[&x], vec![]);
    let zero = b.constant_i64(&[], vec![0]);
    let n = b.op("Gather", &[&s, &zero], vec![attr_int("axis", 0)]);
    let axes = b.constant_i64(&[1], vec![0]);
    let n = b.op("Unsqueeze", &[&n, &axes], vec![]);
    let minus_one = b.constant_i64(&[1], vec![-1]);
    let shape = b.op("Concat", &[&n, &minus_one], vec![attr_int("axis", 0)]);
    let y = b.op("Reshape", &[&x, &shape], vec![]);
    let w = b.constant(&[6, 2], (0..12).map(|i| (i as f32 - 6.0) / 12.0).collect());
    let bias = b.constant(&[2], vec![0.2, -0.2]);
    let y = b.op("Gemm", &[&y, &w, &bias], vec![]);
    b.output(&y, &[Dim::Sym("batch".into()), Dim::Fixed(2)]);
    compiles_and_matches("view", &b.build(), vec![seeded(6, 5)]);
}

/// An input file of several rows for a model whose batch is open: the batch the length implies
/// (here 3 rows of 4), not batch 1, which does not fit.
#[test]
fn open_batch_takes_the_batch_of_the_input_file() {
    let mut b = GraphBuilder::new(13);
    let x = b.input(&[Dim::Sym("N".into()), Dim::Fixed(4)]);
    let w = b.constant(&[4, 2], vec![0.5, -0.25, 0.75, 0.1, -0.5, 0.3, 0.2, -0.6]);
    let y = b.op("MatMul", &[&x, &w], vec![]);
    let y = b.op("Relu", &[&y], vec![]);
    b.output(&y, &[Dim::Sym("N".into()), Dim::Fixed(2)]);
    let c = compiles_and_matches("open-batch", &b.build(), vec![seeded(12, 6)]);
    assert_eq!(c.settings.input_shapes, vec![vec![3, 4]]);
}

/// A regression head, `[1,2,2] → Flatten → Gemm(4→1) → Gemm(1→1)`: tract's declutter folds the
/// Flatten into the first Gemm as an EinSum to a scalar that its own evaluator then rejects.
#[test]
fn flatten_into_one_output_gemms() {
    let mut b = GraphBuilder::new(13);
    let x = b.input(&dims(&[1, 2, 2]));
    let y = b.op("Flatten", &[&x], vec![attr_int("axis", 1)]);
    let w = b.constant(&[4, 1], vec![0.1, 0.2, 0.3, 0.4]);
    let c = b.constant(&[1], vec![0.5]);
    let y = b.op("Gemm", &[&y, &w, &c], vec![]);
    let w2 = b.constant(&[1, 1], vec![0.7]);
    let y = b.op("Gemm", &[&y, &w2, &c], vec![]);
    b.output(&y, &dims(&[1, 1]));
    compiles_and_matches("flatten-gemm1", &b.build(), vec![seeded(4, 7)]);
}

/// tract-linalg 0.23.9's AMX int8 matmul reads past its packed operand and crashed one run in
/// three of the corpus check (`random_forest`'s tree matmuls) with SIGSEGV on this machine's CPU.
/// Loading a model takes those kernels out of tract's pool before tract first probes the CPU.
#[test]
fn tract_never_dispatches_to_its_amx_kernels() {
    use tract_onnx::tract_core::tract_linalg::isa::{native, Isa};
    let dir = common::scratch("import-amx");
    let mut b = GraphBuilder::new(13);
    let x = b.input(&dims(&[1, 4]));
    let w = b.constant(&[4, 2], vec![0.5; 8]);
    let y = b.op("MatMul", &[&x, &w], vec![]);
    b.output(&y, &dims(&[1, 2]));
    let model = save(&dir, &b.build());
    zkinfer::onnx::load_typed(&model, &[4]).unwrap();
    assert!(!native().has(Isa::X86_64AmxInt8) && !native().has(Isa::X86_64AmxBf16), "{:?}", native());
}
