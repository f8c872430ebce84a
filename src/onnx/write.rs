//! Writes small dense ONNX models from Rust (tract's protobuf types), so demos, examples and tests
//! have models of their own with known weights, on a machine without `../shared` or Python.

use crate::error::Result;
use prost::Message;
use rand::{Rng, SeedableRng};
use std::path::Path;
use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto::dimension,
    tensor_shape_proto::Dimension, type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};

fn value_info(name: &str, shape: &[usize]) -> ValueInfoProto {
    let dim = shape
        .iter()
        .map(|&d| Dimension { value: Some(dimension::Value::DimValue(d as i64)), ..Default::default() })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn tensor(name: &str, dims: &[usize], data: Vec<f32>) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: DataType::Float as i32,
        float_data: data,
        ..Default::default()
    }
}

fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    }
}

/// An MLP `in → hidden… → out` (Gemm + Relu between layers) with weights drawn from a seeded
/// uniform(-1/√fan_in, 1/√fan_in), like PyTorch's default init.
pub fn mlp_model(sizes: &[usize], seed: u64) -> ModelProto {
    mlp_model_with(sizes, seed, "Relu")
}

/// The same MLP with another activation between layers (any unary ONNX op: `Sigmoid`, `Tanh`…).
pub fn mlp_model_with(sizes: &[usize], seed: u64, activation: &str) -> ModelProto {
    mlp_model_rows(sizes, 1, seed, activation)
}

/// The MLP applied to `rows` input rows at once (a sequence or a batch: input `[rows, sizes[0]]`).
pub fn mlp_model_rows(sizes: &[usize], rows: usize, seed: u64, activation: &str) -> ModelProto {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut nodes = vec![];
    let mut inits = vec![];
    let mut cur = "input".to_string();
    for l in 0..sizes.len() - 1 {
        let (k, n) = (sizes[l], sizes[l + 1]);
        let bound = 1.0 / (k as f32).sqrt();
        let w: Vec<f32> = (0..k * n).map(|_| rng.gen_range(-bound..bound)).collect();
        let b: Vec<f32> = (0..n).map(|_| rng.gen_range(-bound..bound)).collect();
        let (wn, bn) = (format!("fc{l}.weight"), format!("fc{l}.bias"));
        inits.push(tensor(&wn, &[k, n], w));
        inits.push(tensor(&bn, &[n], b));
        let last = l == sizes.len() - 2;
        let out = if last { "output".to_string() } else { format!("fc{l}") };
        nodes.push(node("Gemm", &[&cur, &wn, &bn], &out));
        cur = out;
        if !last {
            let act = format!("act{l}");
            nodes.push(node(activation, &[&cur], &act));
            cur = act;
        }
    }
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 13 }],
        producer_name: "zkinfer".into(),
        graph: Some(GraphProto {
            name: "mlp".into(),
            node: nodes,
            initializer: inits,
            input: vec![value_info("input", &[rows, sizes[0]])],
            output: vec![value_info("output", &[rows, *sizes.last().unwrap()])],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A synthetic price series (thousands of dollars, about 2.0): two cycles, a slow random walk
/// and noise, seeded. The DeFi bot's market and its forecaster's training data.
pub fn synthetic_prices(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut walk = 0.0;
    (0..n)
        .map(|t| {
            let t = t as f64;
            walk += rng.gen_range(-0.004..0.004);
            let cycles =
                0.12 * (t * std::f64::consts::TAU / 24.0).sin() + 0.04 * (t * std::f64::consts::TAU / 7.0).sin();
            2.0 + cycles + walk + rng.gen_range(-0.01..0.01)
        })
        .collect()
}

/// Least-squares fit of the next value on the previous `window` (an autoregressive linear
/// forecaster, DLinear's shape with one channel), with a little ridge so it is well posed.
/// Returns the coefficients (oldest first) and the intercept.
pub fn fit_linear_forecaster(series: &[f64], window: usize) -> (Vec<f32>, f32) {
    let d = window + 1;
    let mut a = vec![vec![0f64; d + 1]; d]; // normal equations, augmented
    for t in window..series.len() {
        let x: Vec<f64> = series[t - window..t].iter().copied().chain([1.0]).collect();
        for i in 0..d {
            for j in 0..d {
                a[i][j] += x[i] * x[j];
            }
            a[i][d] += x[i] * series[t];
        }
    }
    for (i, row) in a.iter_mut().enumerate().take(window) {
        row[i] += 1e-3;
    }
    for col in 0..d {
        let pivot = (col..d).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs())).unwrap();
        a.swap(col, pivot);
        for r in 0..d {
            if r != col {
                let f = a[r][col] / a[col][col];
                let pivot_row = a[col].clone();
                for (x, p) in a[r][col..=d].iter_mut().zip(&pivot_row[col..=d]) {
                    *x -= f * p;
                }
            }
        }
    }
    let sol: Vec<f64> = (0..d).map(|i| a[i][d] / a[i][i]).collect();
    (sol[..window].iter().map(|&w| w as f32).collect(), sol[window] as f32)
}

/// The forecaster as ONNX: `Gemm(input[1, window], W[window, 1], b[1]) → output[1, 1]`.
pub fn linear_forecaster_model(coeffs: &[f32], intercept: f32) -> ModelProto {
    let window = coeffs.len();
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 13 }],
        producer_name: "zkinfer".into(),
        graph: Some(GraphProto {
            name: "forecaster".into(),
            node: vec![node("Gemm", &["prices", "weight", "bias"], "forecast")],
            initializer: vec![tensor("weight", &[window, 1], coeffs.to_vec()), tensor("bias", &[1], vec![intercept])],
            input: vec![value_info("prices", &[1, window])],
            output: vec![value_info("forecast", &[1, 1])],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Independent branches `op_i(its inputs) → output_i` over model inputs `a` and `b` of length n
/// (tests of error reporting use it to show every unsupported op listed at once).
pub fn branches_model(n: usize, ops: &[(&str, &[&str])]) -> ModelProto {
    let nodes = ops.iter().enumerate().map(|(i, (op, ins))| node(op, ins, &format!("output{i}"))).collect();
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 13 }],
        producer_name: "zkinfer".into(),
        graph: Some(GraphProto {
            name: "branches".into(),
            node: nodes,
            input: vec![value_info("a", &[1, n]), value_info("b", &[1, n])],
            output: (0..ops.len()).map(|i| value_info(&format!("output{i}"), &[1, n])).collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A recurrent layer (`LSTM`, `GRU` or `RNN`) over `seq` steps of one `input`-wide vector, with
/// seeded uniform(-1/√hidden, 1/√hidden) weights (PyTorch's default) and zero initial state.
/// Outputs `y` (every step's hidden state, [seq, 1, 1, hidden]) and `y_h` (the last, [1, 1, hidden]).
pub fn recurrent_model(op: &str, seq: usize, input: usize, hidden: usize, seed: u64) -> ModelProto {
    recurrent_model_with(&Recurrent { op, seq, input, hidden, ..Default::default() }, seed)
}

/// The shape of a recurrent test model.
#[derive(Clone, Debug)]
pub struct Recurrent<'a> {
    /// The ONNX op: "LSTM", "GRU" or "RNN" (any other op gets one gate, as RNN).
    pub op: &'a str,
    /// ONNX's `direction`: "forward", "reverse" or "bidirectional".
    pub direction: &'a str,
    /// Sequence length (time steps) of the model's input.
    pub seq: usize,
    /// Features per time step.
    pub input: usize,
    /// ONNX's `hidden_size`.
    pub hidden: usize,
    /// The initial hidden state as a second model input `h0` ([directions, 1, hidden]) instead
    /// of zeros.
    pub h0_input: bool,
}

impl Default for Recurrent<'_> {
    fn default() -> Self {
        Recurrent { op: "LSTM", direction: "forward", seq: 2, input: 3, hidden: 4, h0_input: false }
    }
}

/// A single recurrent cell of shape `r`, with seeded uniform(±1/√hidden) weights; outputs `y` and `y_h`.
pub fn recurrent_model_with(r: &Recurrent, seed: u64) -> ModelProto {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let gates = match r.op {
        "LSTM" => 4,
        "GRU" => 3,
        _ => 1,
    };
    let dirs = if r.direction == "bidirectional" { 2 } else { 1 };
    let (h, bound) = (r.hidden, 1.0 / (r.hidden as f32).sqrt());
    let mut draw = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.gen_range(-bound..bound)).collect() };
    let inits = vec![
        tensor("W", &[dirs, gates * h, r.input], draw(dirs * gates * h * r.input)),
        tensor("R", &[dirs, gates * h, h], draw(dirs * gates * h * h)),
        tensor("B", &[dirs, 2 * gates * h], draw(dirs * 2 * gates * h)),
    ];
    let ins: &[&str] = if r.h0_input { &["input", "W", "R", "B", "", "h0"] } else { &["input", "W", "R", "B"] };
    let mut cell = node(r.op, ins, "y");
    cell.output.push("y_h".into());
    let int = |name: &str, i: i64| AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i,
        ..Default::default()
    };
    cell.attribute.push(int("hidden_size", h as i64));
    cell.attribute.push(AttributeProto {
        name: "direction".into(),
        r#type: AttributeType::String as i32,
        s: r.direction.as_bytes().to_vec(),
        ..Default::default()
    });
    let mut inputs = vec![value_info("input", &[r.seq, 1, r.input])];
    if r.h0_input {
        inputs.push(value_info("h0", &[dirs, 1, h]));
    }
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 14 }],
        producer_name: "zkinfer".into(),
        graph: Some(GraphProto {
            name: "recurrent".into(),
            node: vec![cell],
            initializer: inits,
            input: inputs,
            output: vec![value_info("y", &[r.seq, dirs, 1, h]), value_info("y_h", &[dirs, 1, h])],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Writes a model as an `.onnx` file, creating the parent directory.
pub fn save(model: &ModelProto, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        crate::artifact::create_dir(dir)?;
    }
    crate::artifact::write_bytes(path, &model.encode_to_vec())
}

/// A seeded input in [-1, 1) for a model with `n` inputs, in EZKL's `input.json` form.
pub fn random_input(n: usize, seed: u64) -> serde_json::Value {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let v: Vec<f32> = (0..n).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
    serde_json::json!({ "input_data": [v] })
}

/// A declared input dimension: fixed, or symbolic (the batch an exporter leaves open).
#[derive(Clone, Debug, PartialEq)]
pub enum Dim {
    /// A dimension of this size.
    Fixed(usize),
    /// A symbolic dimension named by the string, as exporters write a dynamic batch.
    Sym(String),
}

/// Fixed dimensions, for the common case.
pub fn dims(shape: &[usize]) -> Vec<Dim> {
    shape.iter().map(|&d| Dim::Fixed(d)).collect()
}

/// An integer attribute, for `GraphBuilder::op`.
pub fn attr_int(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i, ..Default::default() }
}

/// An integer-list attribute, for `GraphBuilder::op`.
pub fn attr_ints(name: &str, ints: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Ints as i32, ints: ints.to_vec(), ..Default::default() }
}

/// A float attribute, for `GraphBuilder::op`.
pub fn attr_float(name: &str, f: f32) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Float as i32, f, ..Default::default() }
}

fn declared(name: &str, shape: &[Dim]) -> ValueInfoProto {
    let mut info = value_info(name, &[]);
    let dim = shape
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Dim::Fixed(n) => dimension::Value::DimValue(*n as i64),
                Dim::Sym(s) => dimension::Value::DimParam(s.clone()),
            }),
            ..Default::default()
        })
        .collect();
    if let Some(type_proto::Value::TensorType(t)) = info.r#type.as_mut().and_then(|t| t.value.as_mut()) {
        t.shape = Some(TensorShapeProto { dim });
    }
    info
}

/// Builds arbitrary small graphs node by node, so tests can write the models users bring (any
/// op, attributes, int64 shape operands, symbolic batch dimensions) without Python. Values are
/// named `v0, v1, …` in creation order.
#[derive(Default)]
pub struct GraphBuilder {
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    opset: i64,
}

impl GraphBuilder {
    /// An empty graph in the default ONNX domain at opset `opset`.
    pub fn new(opset: i64) -> Self {
        GraphBuilder { opset, ..Default::default() }
    }

    fn fresh(&self) -> String {
        format!("v{}", self.nodes.len() + self.inits.len() + self.inputs.len())
    }

    /// Declares a model input (`input0`, `input1`, …) of `shape` and returns its name.
    pub fn input(&mut self, shape: &[Dim]) -> String {
        let name = format!("input{}", self.inputs.len());
        self.inputs.push(declared(&name, shape));
        name
    }

    /// Adds a float initializer of `shape` and returns its name.
    pub fn constant(&mut self, shape: &[usize], data: Vec<f32>) -> String {
        let name = self.fresh();
        self.inits.push(tensor(&name, shape, data));
        name
    }

    /// Adds an int64 initializer (shape operands, indices, axes) and returns its name.
    pub fn constant_i64(&mut self, shape: &[usize], data: Vec<i64>) -> String {
        let name = self.fresh();
        self.inits.push(TensorProto {
            name: name.clone(),
            dims: shape.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Int64 as i32,
            int64_data: data,
            ..Default::default()
        });
        name
    }

    /// Adds `op(inputs)` and returns its output's name; an empty input name is an omitted
    /// optional input.
    pub fn op(&mut self, op: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> String {
        let name = self.fresh();
        let mut n = node(op, inputs, &name);
        n.attribute = attributes;
        self.nodes.push(n);
        name
    }

    /// Declares `value` a graph output of `shape` (symbolic dimensions where the exporter would
    /// leave them open; tract ignores declared output shapes, onnxruntime checks them).
    pub fn output(&mut self, value: &str, shape: &[Dim]) {
        self.outputs.push(declared(value, shape));
    }

    /// The model, with IR version 8.
    pub fn build(self) -> ModelProto {
        ModelProto {
            ir_version: 8,
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: self.opset }],
            producer_name: "zkinfer".into(),
            graph: Some(GraphProto {
                name: "built".into(),
                node: self.nodes,
                initializer: self.inits,
                input: self.inputs,
                output: self.outputs,
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

/// Seeded uniform(-1/√fan_in, 1/√fan_in) weights `[k, n]` and bias `[n]`, as constants.
fn linear(b: &mut GraphBuilder, rng: &mut rand_chacha::ChaCha8Rng, k: usize, n: usize) -> (String, String) {
    let bound = 1.0 / (k as f32).sqrt();
    let w = b.constant(&[k, n], (0..k * n).map(|_| rng.gen_range(-bound..bound)).collect());
    let bias = b.constant(&[n], (0..n).map(|_| rng.gen_range(-bound..bound)).collect());
    (w, bias)
}

/// How `tiled_batch_mlp` turns its one input row into a batch.
#[derive(Clone, Copy, Debug)]
pub enum Tiling {
    /// Expands the row to the batch (`Expand`).
    Expand,
    /// Tiles the row into the batch (`Tile`).
    Tile,
    /// Expand to the batch, then Tile that ×2 (a batch of 2·batch rows).
    Both,
}

/// `input[1, sizes[0]]` repeated into a batch of `batch` rows (by `tiling`), then an MLP of Gemms
/// with Relu between: the shape of models that score one sample against several heads or
/// augmentations, which tract could not declutter.
pub fn tiled_batch_mlp(sizes: &[usize], batch: usize, tiling: Tiling, seed: u64) -> ModelProto {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut b = GraphBuilder::new(13);
    let x = b.input(&dims(&[1, sizes[0]]));
    let expand = |b: &mut GraphBuilder, x: &str| {
        let shape = b.constant_i64(&[2], vec![batch as i64, sizes[0] as i64]);
        b.op("Expand", &[x, &shape], vec![])
    };
    let tile = |b: &mut GraphBuilder, x: &str, times: usize| {
        let repeats = b.constant_i64(&[2], vec![times as i64, 1]);
        b.op("Tile", &[x, &repeats], vec![])
    };
    let mut cur = match tiling {
        Tiling::Expand => expand(&mut b, &x),
        Tiling::Tile => tile(&mut b, &x, batch),
        Tiling::Both => {
            let e = expand(&mut b, &x);
            tile(&mut b, &e, 2)
        }
    };
    for l in 0..sizes.len() - 1 {
        let (w, bias) = linear(&mut b, &mut rng, sizes[l], sizes[l + 1]);
        cur = b.op("Gemm", &[&cur, &w, &bias], vec![]);
        if l + 2 < sizes.len() {
            cur = b.op("Relu", &[&cur], vec![]);
        }
    }
    let rows = if matches!(tiling, Tiling::Both) { 2 * batch } else { batch };
    b.output(&cur, &dims(&[rows, sizes[sizes.len() - 1]]));
    b.build()
}
