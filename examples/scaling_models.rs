//! Writes the models of the scaling study (`bench/scaling.py`, docs/performance.md): MLPs and
//! convolution nets whose multiply-adds grow by 4× a step, each as `network.onnx` and
//! `input.json` in a folder of its own under the directory given (default
//! `build/scaling/models`).
//!
//! - `mlp_N`: input [1, n] → Gemm n×n → Relu → Gemm n×n, 2n² multiply-adds, n ≈ 2^((N−1)/2).
//! - `conv_N`: input [1, c, 16, 16] → 3×3 Conv c→c (pads 1) → Relu, 2,304·c² multiply-adds.
//!
//! Run: `cargo run --release --example scaling_models -- [DIR]`.

use prost::Message;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use tract_onnx::pb::ModelProto;
use zkinfer::onnx::write::{self, attr_ints, dims, GraphBuilder};

/// Log2 of the multiply-adds of each model pair.
const STEPS: [u32; 6] = [12, 14, 16, 18, 20, 22];
/// The convolutions' image side.
const SIDE: usize = 16;

fn uniform(rng: &mut rand_chacha::ChaCha8Rng, n: usize, fan_in: usize) -> Vec<f32> {
    let bound = 1.0 / (fan_in as f32).sqrt();
    (0..n).map(|_| rng.gen_range(-bound..bound)).collect()
}

fn mlp(n: usize, seed: u64) -> ModelProto {
    write::mlp_model_with(&[n, n, n], seed, "Relu")
}

fn conv(c: usize, seed: u64) -> ModelProto {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut b = GraphBuilder::new(13);
    let x = b.input(&dims(&[1, c, SIDE, SIDE]));
    let w = b.constant(&[c, c, 3, 3], uniform(&mut rng, c * c * 9, c * 9));
    let bias = b.constant(&[c], uniform(&mut rng, c, c * 9));
    // Every attribute spelled out: EZKL refuses a Conv without its strides.
    let attrs = vec![
        attr_ints("kernel_shape", &[3, 3]),
        attr_ints("pads", &[1, 1, 1, 1]),
        attr_ints("strides", &[1, 1]),
        attr_ints("dilations", &[1, 1]),
    ];
    let y = b.op("Conv", &[&x, &w, &bias], attrs);
    let z = b.op("Relu", &[&y], vec![]);
    b.output(&z, &dims(&[1, c, SIDE, SIDE]));
    b.build()
}

fn save(dir: &Path, name: &str, model: &ModelProto, inputs: usize) -> zkinfer::Result<()> {
    let folder = dir.join(name);
    write::save(model, &folder.join("network.onnx"))?;
    zkinfer::compile::write_json(&folder.join("input.json"), &write::random_input(inputs, 7))?;
    println!("{name}: {} bytes", model.encoded_len());
    Ok(())
}

fn main() -> zkinfer::Result<()> {
    let dir = std::env::args().nth(1).map_or_else(|| PathBuf::from("build/scaling/models"), PathBuf::from);
    for m in STEPS {
        let n = ((m - 1) as f64 / 2.0).exp2().round() as usize;
        save(&dir, &format!("mlp_{m}"), &mlp(n, m as u64), n)?;
        // 2,304·c² multiply-adds: c = 2^((m − 11)/2), rounded (2^11.2 … 2^21.2 for m 12 … 22).
        let c = ((m as f64 - 11.17) / 2.0).exp2().round().max(1.0) as usize;
        save(&dir, &format!("conv_{m}"), &conv(c, m as u64), c * SIDE * SIDE)?;
    }
    Ok(())
}
