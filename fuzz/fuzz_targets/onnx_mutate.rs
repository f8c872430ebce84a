//! The ONNX front end on mutated real models: the corpus models (read in place from
//! `$ZKINFER_FUZZ_MODELS`, default /work/shared/corpus/*/network.onnx) decoded with tract's
//! protobuf types, changed structurally (dropped nodes, changed dims, dtypes and attributes,
//! rewired inputs, truncated weights, flipped bytes: `zkinfer_fuzz::onnx_mutation`), re-encoded
//! and imported with `onnx::import`. Random bytes rarely get past protobuf decoding; these reach
//! shape inference, tract's rewrites and zkinfer's lowering with graphs that are almost valid.
//! Must be Ok or Err, never a panic or a hang.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tract_onnx::pb::ModelProto;
use zkinfer_fuzz::onnx_mutation;

fn models() -> &'static Vec<ModelProto> {
    static MODELS: OnceLock<Vec<ModelProto>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let root = std::env::var("ZKINFER_FUZZ_MODELS").unwrap_or_else(|_| "/work/shared/corpus".into());
        let models = onnx_mutation::load_models(root.as_ref());
        assert!(!models.is_empty(), "no seed models under {root}");
        models
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((bytes, lens)) = onnx_mutation::run(models(), data) else { return };
    let dir = zkinfer_fuzz::scratch("onnx_mutate");
    let path = zkinfer_fuzz::write(&dir, "network.onnx", &bytes);
    zkinfer_fuzz::check(data, || {
        let _ = zkinfer::onnx::import(&path, &lens);
    });
});
