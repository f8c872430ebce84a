//! Loading a set-up build directory (`pipeline::load`, `compile::Compiled::load`): what every
//! `prove`, `verify` and `solidity` starts with. A real build of a tiny MLP (4→3→2) is made once
//! per process with the library's own pipeline; each input then damages one of its files and
//! loads the copy. A damaged build must be an error naming the file, never a panic.
//!
//! Input: byte 0 picks the file, byte 1 the mutation, the rest drives it:
//! 0 replace the file with the rest; 1 xor bytes (5-byte records: u32 offset, xor mask);
//! 2 truncate at a u32 offset; 3 insert the rest at a u32 offset; 4 delete the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;
use zkinfer_fuzz::{u32_at, write};

const FILES: [&str; 5] = ["settings.json", "model.json", "pk.bin", "kzg.srs", "srs.json"];

/// The original build: its directory and each file's bytes.
fn build() -> &'static (PathBuf, Vec<Vec<u8>>) {
    static BUILD: OnceLock<(PathBuf, Vec<Vec<u8>>)> = OnceLock::new();
    BUILD.get_or_init(|| {
        let root = zkinfer_fuzz::scratch("build_dir");
        let (model, input, build) = (root.join("model.onnx"), root.join("input.json"), root.join("build"));
        zkinfer::onnx::write::save(&zkinfer::onnx::write::mlp_model(&[4, 3, 2], 1), &model).unwrap();
        zkinfer::compile::write_json(&input, &zkinfer::onnx::write::random_input(4, 101)).unwrap();
        zkinfer::pipeline::compile(&model, &input, &build, &zkinfer::pipeline::CompileOptions::default()).unwrap();
        zkinfer::pipeline::setup(&build, None).unwrap();
        zkinfer::pipeline::load(&build).expect("the unmutated build loads");
        let files = FILES.iter().map(|f| std::fs::read(build.join(f)).unwrap()).collect();
        (build, files)
    })
}

fuzz_target!(|data: &[u8]| {
    let (_, files) = build();
    if data.len() < 2 {
        return;
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
    let dir = zkinfer_fuzz::scratch("build_dir/case");
    for (i, f) in FILES.iter().enumerate() {
        match (i == which, mode) {
            (true, 4) => drop(std::fs::remove_file(dir.join(f))),
            (true, _) => drop(write(&dir, f, &bytes)),
            (false, _) => drop(write(&dir, f, &files[i])),
        }
    }
    zkinfer_fuzz::check(|| {
        let _ = zkinfer::compile::Compiled::load(&dir);
        let _ = zkinfer::pipeline::load(&dir);
    });
});
