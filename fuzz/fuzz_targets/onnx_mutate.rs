//! The ONNX front end on mutated real models: the corpus models (read in place from
//! `$ZKINFER_FUZZ_MODELS`, default /work/shared/corpus/*/network.onnx) decoded with tract's
//! protobuf types, changed structurally, re-encoded and imported with `onnx::import`. Random
//! bytes rarely get past protobuf decoding; these reach shape inference, tract's rewrites and
//! zkinfer's lowering with graphs that are almost valid. Must be Ok or Err, never a panic.
//!
//! Input: byte 0 picks the model; then 4-byte ops [op, a, b, c]: 0 drop node a; 1 set dim b of
//! value a (graph inputs, outputs, value_info) to v(c); 2 set dim b of initializer a to v(c);
//! 3 set the dtype of value/initializer a to c % 18; 4 set int b of node a's attributes to v(c);
//! 5 rewire input b of node a to another node's output c; 6 truncate initializer a's raw data
//! to c bytes; 7 xor byte at u16 (b,c)*k of the encoding with a (applied after encoding).
#![no_main]
use libfuzzer_sys::fuzz_target;
use prost::Message;
use std::sync::OnceLock;
use tract_onnx::pb::{tensor_shape_proto::dimension::Value as D, type_proto::Value as T, ModelProto, ValueInfoProto};

fn models() -> &'static Vec<ModelProto> {
    static MODELS: OnceLock<Vec<ModelProto>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let root = std::env::var("ZKINFER_FUZZ_MODELS").unwrap_or_else(|_| "/work/shared/corpus".into());
        let mut paths: Vec<_> = std::fs::read_dir(&root).expect("corpus dir").flatten().map(|e| e.path().join("network.onnx")).filter(|p| p.exists()).collect();
        paths.sort();
        let models: Vec<_> = paths.iter().filter_map(|p| ModelProto::decode(&std::fs::read(p).ok()?[..]).ok()).collect();
        assert!(!models.is_empty(), "no seed models under {root}");
        models
    })
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
                    if let Some(d) = t.shape.as_mut().and_then(|s| { let k = s.dim.len(); s.dim.get_mut(b % k.max(1)) }) {
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
                if let Some(T::TensorType(t)) = vi.get_mut(a % n.max(1)).and_then(|x| x.r#type.as_mut()).and_then(|t| t.value.as_mut()) {
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

fuzz_target!(|data: &[u8]| {
    let Some((&pick, ops)) = data.split_first() else { return };
    let models = models();
    let mut m = models[pick as usize % models.len()].clone();
    if m.graph.is_none() {
        return;
    }
    let flips = mutate(&mut m, ops);
    let lens = zkinfer_fuzz::input_lens(&m).unwrap_or_else(|| vec![1]);
    let mut bytes = m.encode_to_vec();
    for (at, x) in flips {
        let n = bytes.len();
        bytes[at % n] ^= x.max(1);
    }
    let dir = zkinfer_fuzz::scratch("onnx_mutate");
    let path = zkinfer_fuzz::write(&dir, "network.onnx", &bytes);
    zkinfer_fuzz::check(|| {
        let _ = zkinfer::onnx::import(&path, &lens);
    });
});
