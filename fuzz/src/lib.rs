//! Shared by the fuzz targets: a scratch directory in /dev/shm (the APIs under test read files),
//! and a panic policy that tells a panic the library catches from one that escapes it.
//!
//! Why the policy: libfuzzer-sys installs a panic hook that aborts the process, and the hook
//! runs before unwinding starts, so a panic that zkinfer deliberately catches (tract's asserts
//! in `onnx::load::without_panics`, halo2's short reads in `prove::read_pk`) would be reported
//! as a crash. [`check`] replaces that hook with one that only records the message, runs the
//! code under `catch_unwind`, and aborts (the crash libFuzzer records) only when a panic
//! reaches it, i.e. the library let it escape.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Once;

thread_local! { static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) }; }

/// Runs `f`; a panic that escapes it prints its message and aborts the process.
pub fn check<T>(f: impl FnOnce() -> T) -> T {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let bt = std::backtrace::Backtrace::force_capture();
            LAST_PANIC.with(|p| *p.borrow_mut() = format!("{info}\n{bt}"));
        }))
    });
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => {
            LAST_PANIC.with(|p| eprintln!("panic escaped zkinfer: {}", p.borrow()));
            std::process::abort()
        }
    }
}

/// This process's scratch directory, `/dev/shm/zkinfer-fuzz-PID/NAME` (created).
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(format!("/dev/shm/zkinfer-fuzz-{}", std::process::id())).join(name);
    std::fs::create_dir_all(&dir).expect("scratch dir in /dev/shm");
    dir
}

/// Writes `data` to `dir/file` and returns the path.
pub fn write(dir: &Path, file: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, data).expect("write fuzz input");
    path
}

/// A little-endian u32 from up to four bytes at `at` (missing bytes are 0).
pub fn u32_at(data: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    for (i, x) in data.iter().skip(at).take(4).enumerate() {
        b[i] = *x;
    }
    u32::from_le_bytes(b)
}

/// Input lengths at most this: a user's input file of N values already holds N floats, and
/// tract's trial run allocates tensors of the input shape, so huge lengths only measure RAM.
pub const MAX_INPUT_LEN: usize = 1 << 16;

/// The input lengths a (possibly mutated) ONNX model asks for: each graph input that is not an
/// initializer gives the product of its dims (unknown or non-positive dims count as 1).
pub fn input_lens(model: &tract_onnx::pb::ModelProto) -> Option<Vec<usize>> {
    use tract_onnx::pb::{tensor_shape_proto::dimension::Value, type_proto::Value as T};
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
