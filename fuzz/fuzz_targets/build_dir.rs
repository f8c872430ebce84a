//! Loading a set-up build directory (`pipeline::load`, `compile::Compiled::load`): what every
//! `prove`, `verify` and `solidity` starts with. A real build of a tiny MLP (4→3→2) is made once
//! per process with the library's own pipeline; each input then damages one of its files
//! (replaced, bytes flipped, truncated, bytes inserted, deleted: `zkinfer_fuzz::build_mutation`)
//! and loads the copy. A damaged build must be an error naming the file, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zkinfer_fuzz::build_mutation;

fuzz_target!(|data: &[u8]| {
    static BUILD: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let files = BUILD.get_or_init(|| build_mutation::make(&zkinfer_fuzz::scratch("build_dir")).1);
    let dir = zkinfer_fuzz::scratch("build_dir/case");
    if !build_mutation::apply(data, files, &dir) {
        return;
    }
    zkinfer_fuzz::check(data, || {
        let _ = zkinfer::compile::Compiled::load(&dir);
        let _ = zkinfer::pipeline::load(&dir);
    });
});
