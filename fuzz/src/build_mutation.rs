//! The `build_dir` fuzz target's build and mutation, in their own file so that the stable
//! regression test (tests/fuzz_regressions.rs) replays a saved input exactly as the fuzzer ran
//! it (it includes this file with `#[path]`).
//!
//! Input: byte 0 picks the file, byte 1 the mutation, the rest drives it:
//! 0 replace the file with the rest; 1 xor bytes (5-byte records: u32 offset, xor mask);
//! 2 truncate at a u32 offset; 3 insert the rest after its first 4 bytes at a u32 offset;
//! 4 delete the file.

use std::path::{Path, PathBuf};

/// The files of a set-up build directory that `pipeline::load` reads.
pub const FILES: [&str; 5] = ["settings.json", "model.json", "pk.bin", "kzg.srs", "srs.json"];

/// A real build of a tiny MLP (4→3→2) under `root/build`, made with the library's own pipeline
/// (compile, setup): its directory and each of its [`FILES`]' bytes.
pub fn make(root: &Path) -> (PathBuf, Vec<Vec<u8>>) {
    let (model, input, build) = (root.join("model.onnx"), root.join("input.json"), root.join("build"));
    zkinfer::onnx::write::save(&zkinfer::onnx::write::mlp_model(&[4, 3, 2], 1), &model).unwrap();
    zkinfer::compile::write_json(&input, &zkinfer::onnx::write::random_input(4, 101)).unwrap();
    zkinfer::pipeline::compile(&model, &input, &build, &zkinfer::pipeline::CompileOptions::default()).unwrap();
    zkinfer::pipeline::setup(&build, None).unwrap();
    zkinfer::pipeline::load(&build).expect("the unmutated build loads");
    let files = FILES.iter().map(|f| std::fs::read(build.join(f)).unwrap()).collect();
    (build, files)
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    for (i, x) in data.iter().skip(at).take(4).enumerate() {
        b[i] = *x;
    }
    u32::from_le_bytes(b)
}

/// Writes into `dir` the build `files` with the one `data` picks damaged as `data` says; false
/// for an input too short to say anything.
pub fn apply(data: &[u8], files: &[Vec<u8>], dir: &Path) -> bool {
    if data.len() < 2 {
        return false;
    }
    let (which, mode, rest) = (data[0] as usize % FILES.len(), data[1] % 5, &data[2..]);
    let mut bytes = files[which].clone();
    let at = |bytes: &Vec<u8>| u32_at(rest, 0) as usize % (bytes.len() + 1);
    match mode {
        0 => bytes = rest.to_vec(),
        1 => {
            for r in rest.chunks_exact(5) {
                if !bytes.is_empty() {
                    let i = u32_at(r, 0) as usize % bytes.len();
                    bytes[i] ^= r[4];
                }
            }
        }
        2 => bytes.truncate(at(&bytes)),
        3 => {
            let i = at(&bytes);
            bytes.splice(i..i, rest.iter().skip(4).copied());
        }
        _ => {}
    }
    std::fs::create_dir_all(dir).unwrap();
    for (i, f) in FILES.iter().enumerate() {
        let path = dir.join(f);
        match (i == which, mode) {
            (true, 4) => drop(std::fs::remove_file(path)),
            (true, _) => std::fs::write(path, &bytes).unwrap(),
            (false, _) => std::fs::write(path, &files[i]).unwrap(),
        }
    }
    true
}
