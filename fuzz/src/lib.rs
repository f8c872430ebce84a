//! Shared by the fuzz targets: a scratch directory in /dev/shm (the APIs under test read files),
//! a panic policy that tells a panic the library catches from one that escapes it, and a
//! watchdog for inputs that run too long.
//!
//! Why the panic policy: libfuzzer-sys installs a panic hook that aborts the process, and the
//! hook runs before unwinding starts, so a panic that zkinfer deliberately catches (tract's
//! asserts in `onnx::load::without_panics`, halo2's short reads in `prove::read_pk`) would be
//! reported as a crash. [`check`] replaces that hook with one that only records the message,
//! runs the code under `catch_unwind`, and aborts (the crash libFuzzer records) only when a panic
//! reaches it, i.e. the library let it escape.
//!
//! Why the watchdog: with `-s none`, libFuzzer's own `-timeout` fires a SIGALRM handler that
//! allocates; when it interrupts tract inside malloc it deadlocks (seen: a child stuck in a futex
//! wait with an empty artifact, stalling the whole fork-mode run). The watchdog is an ordinary
//! thread: an input still running after `ZKINFER_FUZZ_TIMEOUT` seconds (default 10) is written
//! to `<artifact_prefix>timeout-watchdog-HASH` and the process exits with libFuzzer's timeout
//! exit code (70), which fork mode counts as a timeout. libFuzzer's `-timeout` stays as a
//! longer backstop.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

thread_local! { static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) }; }

/// The input being run and since when.
static CURRENT: Mutex<Option<(Instant, Vec<u8>)>> = Mutex::new(None);

fn watchdog() {
    let limit = std::env::var("ZKINFER_FUZZ_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(10u64);
    let prefix =
        std::env::args().find_map(|a| a.strip_prefix("-artifact_prefix=").map(str::to_owned)).unwrap_or_default();
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(200));
        let current = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((since, data)) = current.as_ref().filter(|(since, _)| since.elapsed().as_secs() >= limit) {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            data.hash(&mut h);
            let path = format!("{prefix}timeout-watchdog-{:016x}", h.finish());
            let _ = std::fs::write(&path, data);
            eprintln!(
                "==zkinfer-fuzz== timeout: one input ran {:?} (limit {limit} s), saved to {path}",
                since.elapsed()
            );
            unsafe { libc::_exit(70) };
        }
    });
}

/// Runs `f` on the input `data`; a panic that escapes it prints its message and aborts the
/// process, and a run longer than the watchdog's limit ends it as a timeout.
pub fn check<T>(data: &[u8], f: impl FnOnce() -> T) -> T {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let bt = std::backtrace::Backtrace::force_capture();
            LAST_PANIC.with(|p| *p.borrow_mut() = format!("{info}\n{bt}"));
        }));
        watchdog();
    });
    *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), data.to_vec()));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = None;
    match result {
        Ok(v) => v,
        Err(_) => {
            LAST_PANIC.with(|p| eprintln!("panic escaped zkinfer: {}", p.borrow()));
            std::process::abort()
        }
    }
}

/// This process's scratch directory, `/dev/shm/zkinfer-fuzz-PID/NAME` (created; `make fuzz`
/// removes them after each target, as fork mode starts many processes).
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

pub mod build_mutation;
pub mod onnx_mutation;
pub use onnx_mutation::input_lens;
