//! The ONNX front end on arbitrary bytes: `onnx::load::input_names` and `onnx::import`, the
//! first things `zkinfer compile` does with a user's model file. Bytes that are not ONNX must be
//! `MalformedOnnx`, a model tract cannot handle an error naming it; never a panic or a hang.
//! Input lengths come from the graph's declared inputs when the bytes decode as a protobuf,
//! else from the last byte (1..=16 values, one input).
#![no_main]
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let dir = zkinfer_fuzz::scratch("onnx_bytes");
    let path = zkinfer_fuzz::write(&dir, "network.onnx", data);
    let lens = tract_onnx::pb::ModelProto::decode(data)
        .ok()
        .and_then(|m| zkinfer_fuzz::input_lens(&m))
        .unwrap_or_else(|| vec![data.last().map_or(1, |b| *b as usize % 16 + 1)]);
    zkinfer_fuzz::check(data, || {
        let _ = zkinfer::onnx::input_names(&path);
        let _ = zkinfer::onnx::import(&path, &lens);
    });
});
