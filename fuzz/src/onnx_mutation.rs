//! The mutation program of the `onnx_mutate` fuzz target, in its own file so that the stable
//! regression test (tests/fuzz_regressions.rs) replays a saved input exactly as the fuzzer ran
//! it (it includes this file with `#[path]`). Needs only tract-onnx's protobuf types and prost.
//!
//! Input: byte 0 picks the model; then 4-byte ops [op, a, b, c]: 0 drop node a; 1 set dim b of
//! value a (graph inputs, outputs, value_info) to v(c); 2 set dim b of initializer a to v(c);
//! 3 set the dtype of an initializer (a even) or a value (a odd) to c % 18; 4 set the int (and
//! first ints) of attribute b of node a to v(c); 5 rewire input b of node a to a node output c;
//! 6 truncate initializer a's raw data to c bytes; 7 xor byte (b·256+c)·7 of the encoding with a.

use prost::Message;
use std::path::Path;
use tract_onnx::pb::{tensor_shape_proto::dimension::Value as D, type_proto::Value as T, ModelProto, ValueInfoProto};

/// Input lengths at most this: a user's input file of N values already holds N floats, and
/// tract's trial run allocates tensors of the input shape, so huge lengths only measure RAM.
pub const MAX_INPUT_LEN: usize = 1 << 16;

/// The seed models: `ROOT/*/network.onnx`, sorted by folder, read in place.
pub fn load_models(root: &Path) -> Vec<ModelProto> {
    let mut paths: Vec<_> = std::fs::read_dir(root)
        .map(|d| d.flatten().map(|e| e.path().join("network.onnx")).filter(|p| p.exists()).collect())
        .unwrap_or_default();
    paths.sort();
    paths.iter().filter_map(|p| ModelProto::decode(&std::fs::read(p).ok()?[..]).ok()).collect()
}

/// Runs the program `data` on the models: the mutated model's bytes and its input lengths.
pub fn run(models: &[ModelProto], data: &[u8]) -> Option<(Vec<u8>, Vec<usize>)> {
    let (&pick, ops) = data.split_first()?;
    let mut m = models.get(pick as usize % models.len().max(1))?.clone();
    m.graph.as_ref()?;
    let flips = mutate(&mut m, ops);
    let lens = input_lens(&m).unwrap_or_else(|| vec![1]);
    let mut bytes = m.encode_to_vec();
    for (at, x) in flips {
        let n = bytes.len();
        bytes[at % n] ^= x.max(1);
    }
    Some((bytes, lens))
}

/// The input lengths a (possibly mutated) ONNX model asks for: each graph input that is not an
/// initializer gives the product of its dims (unknown or non-positive dims count as 1).
pub fn input_lens(model: &ModelProto) -> Option<Vec<usize>> {
    use tract_onnx::pb::tensor_shape_proto::dimension::Value;
    let g = model.graph.as_ref()?;
    let inits: std::collections::HashSet<&str> = g.initializer.iter().map(|t| t.name.as_str()).collect();
    let lens = g
        .input
        .iter()
        .filter(|i| !inits.contains(i.name.as_str()))
        .map(|i| {
            let Some(T::TensorType(t)) = i.r#type.as_ref().and_then(|t| t.value.as_ref()) else { return 1 };
            let dims = t.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or_default();
            dims.iter()
                .map(|d| match d.value {
                    Some(Value::DimValue(v)) if v > 0 => v as usize,
                    _ => 1,
                })
                .fold(1usize, |a, b| a.saturating_mul(b))
                .min(MAX_INPUT_LEN)
        })
        .collect();
    Some(lens)
}

/// A dimension value: small, edge or huge.
fn v(c: u8) -> i64 {
    match c % 8 {
        0 => 0,
        1 => -1,
        2 => i64::MAX,
        3 => 1 << 31,
        _ => (c / 8) as i64,
    }
}

fn value_infos(m: &mut ModelProto) -> Vec<&mut ValueInfoProto> {
    let g = m.graph.as_mut().unwrap();
    g.input.iter_mut().chain(g.output.iter_mut()).chain(g.value_info.iter_mut()).collect()
}

fn mutate(m: &mut ModelProto, ops: &[u8]) -> Vec<(usize, u8)> {
    let mut flips = vec![];
    for op in ops.chunks_exact(4) {
        let (a, b, c) = (op[1] as usize, op[2] as usize, op[3]);
        let g = m.graph.as_mut().unwrap();
        let (nodes, inits) = (g.node.len(), g.initializer.len());
        match op[0] % 8 {
            0 if nodes > 0 => drop(g.node.remove(a % nodes)),
            1 => {
                let mut vi = value_infos(m);
                let n = vi.len();
                if n == 0 {
                    continue;
                }
                if let Some(T::TensorType(t)) = vi[a % n].r#type.as_mut().and_then(|t| t.value.as_mut()) {
                    if let Some(d) = t.shape.as_mut().and_then(|s| {
                        let k = s.dim.len();
                        s.dim.get_mut(b % k.max(1))
                    }) {
                        d.value = Some(D::DimValue(v(c)));
                    }
                }
            }
            2 if inits > 0 => {
                let t = &mut g.initializer[a % inits];
                let k = t.dims.len();
                if k > 0 {
                    t.dims[b % k] = v(c);
                }
            }
            3 if a % 2 == 0 && inits > 0 => g.initializer[a / 2 % inits].data_type = (c % 18) as i32,
            3 => {
                let mut vi = value_infos(m);
                let n = vi.len();
                if let Some(T::TensorType(t)) =
                    vi.get_mut(a % n.max(1)).and_then(|x| x.r#type.as_mut()).and_then(|t| t.value.as_mut())
                {
                    t.elem_type = (c % 18) as i32;
                }
            }
            4 if nodes > 0 => {
                let attrs = &mut g.node[a % nodes].attribute;
                let k = attrs.len();
                if let Some(at) = attrs.get_mut(b % k.max(1)) {
                    at.i = v(c);
                    if let Some(x) = at.ints.first_mut() {
                        *x = v(c);
                    }
                }
            }
            5 if nodes > 0 => {
                let outs: Vec<String> = g.node.iter().flat_map(|n| n.output.clone()).collect();
                let ins = &mut g.node[a % nodes].input;
                let k = ins.len();
                if let (Some(i), false) = (ins.get_mut(b % k.max(1)), outs.is_empty()) {
                    *i = outs[c as usize % outs.len()].clone();
                }
            }
            6 if inits > 0 => g.initializer[a % inits].raw_data.truncate(c as usize),
            7 => flips.push(((b << 8 | c as usize) * 7, op[1])),
            _ => {}
        }
    }
    flips
}
