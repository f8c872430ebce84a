//! Interrupted runs: a setup killed with SIGKILL at any point, or stopped with Ctrl-C or
//! SIGTERM, leaves no file a later command would load as this build's, and no temporary.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use zkinfer::compile::write_json;
use zkinfer::error::exit;
use zkinfer::onnx::write;

/// A model large enough that setup takes a while (k 12 or so), compiled into `dir/b`.
fn slow_build(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = common::scratch(name);
    let model = dir.join("m.onnx");
    write::save(&write::mlp_model(&[32, 64, 64, 4], 3), &model).unwrap();
    let input = dir.join("in.json");
    write_json(&input, &write::random_input(32, 3)).unwrap();
    let build = dir.join("b");
    zkinfer::pipeline::compile(&model, &input, &build, &Default::default()).unwrap();
    (dir, build, input)
}

fn zkinfer(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer")).args(args).output().unwrap()
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".zkinfer-tmp"))
        .collect()
}

/// `setup` killed with SIGKILL at points spread over its run, most near the end where it writes:
/// afterwards `prove` either works (setup had finished) or fails with one clear line; it never
/// loads a half-written key, and the next setup sweeps the temporaries a killed one leaves.
#[test]
fn a_killed_setup_leaves_no_key_that_loads() {
    let (_, build, input) = slow_build("kill-setup");
    let b = build.display().to_string();
    let proof = build.join("p.json").display().to_string();
    let start = std::time::Instant::now();
    assert!(zkinfer(&["setup", &b, "-q"]).status.success());
    let full = start.elapsed();
    let (mut worked, mut refused) = (0, 0);
    for fraction in [0.2, 0.5, 0.8, 0.9, 0.95, 0.97, 0.99, 1.0, 1.02] {
        for f in ["pk.bin", "kzg.srs", "srs.json"] {
            let _ = std::fs::remove_file(build.join(f));
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_zkinfer")).args(["setup", &b, "-q"]).spawn().unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        let _ = child.kill();
        let _ = child.wait();
        let out = zkinfer(&["prove", &b, "--input", &input.display().to_string(), "-o", &proof]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            worked += 1;
        } else {
            refused += 1;
            assert_eq!(out.status.code(), Some(exit::BAD_INPUT), "killed at {fraction}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "killed at {fraction}: {stderr}");
            assert!(stderr.contains("zkinfer setup"), "killed at {fraction}: {stderr}");
        }
    }
    assert!(refused > 0, "every kill came after setup finished ({worked} worked): the test kills too late");
    assert!(zkinfer(&["setup", &b, "-q"]).status.success());
    assert!(temporaries(&build).is_empty(), "{:?}", temporaries(&build));
    assert!(zkinfer(&["prove", &b, "--input", &input.display().to_string(), "-o", &proof]).status.success());
}

/// Ctrl-C (SIGINT) or SIGTERM during setup: exit 130 or 143 with one line, the temporary in
/// flight removed, nothing loadable left half-written.
#[test]
fn ctrl_c_during_setup_leaves_no_temporary() {
    interrupt_setup("ctrl-c-setup", "-INT", exit::INTERRUPTED);
}

#[test]
fn sigterm_during_setup_leaves_no_temporary() {
    interrupt_setup("sigterm-setup", "-TERM", exit::TERMINATED);
}

fn interrupt_setup(name: &str, signal: &str, code: i32) {
    let (_, build, input) = slow_build(name);
    let b = build.display().to_string();
    let start = std::time::Instant::now();
    assert!(zkinfer(&["setup", &b, "-q"]).status.success());
    let full = start.elapsed();
    let mut interrupted = 0;
    for fraction in [0.3, 0.9, 0.97, 0.99] {
        for f in ["pk.bin", "kzg.srs", "srs.json"] {
            let _ = std::fs::remove_file(build.join(f));
        }
        let child = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
            .args(["setup", &b, "-q"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            continue;
        }
        interrupted += 1;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(temporaries(&build).is_empty(), "{:?}", temporaries(&build));
        let proof = build.join("p.json").display().to_string();
        let out = zkinfer(&["prove", &b, "--input", &input.display().to_string(), "-o", &proof]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() || stderr.contains("zkinfer setup"), "{stderr}");
    }
    assert!(interrupted > 0, "no interrupt landed before setup finished");
}

/// A compile of another model over a set-up build, interrupted (SIGINT) at points spread over its
/// run: model.json and settings.json are renamed together, so the directory always holds one
/// compile's pair (the old build, which still proves, or the new compile), never a mix.
#[test]
fn an_interrupted_recompile_leaves_one_whole_build() {
    let (dir, build, input) = slow_build("recompile");
    let b = build.display().to_string();
    let inp = input.display().to_string();
    assert!(zkinfer(&["setup", &b, "-q"]).status.success());
    let other = dir.join("other.onnx");
    write::save(&write::mlp_model(&[32, 48, 4], 9), &other).unwrap();
    let o = other.display().to_string();
    let start = std::time::Instant::now();
    let copy = dir.join("timing");
    assert!(zkinfer(&["compile", &o, "--input", &inp, "-o", &copy.display().to_string(), "-q"]).status.success());
    let full = start.elapsed();
    let (mut old, mut new) = (0, 0);
    for fraction in [0.2, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0] {
        let before = std::fs::read(build.join("settings.json")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
            .args(["compile", &o, "--input", &inp, "-o", &b, "-q"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        child.wait_with_output().unwrap();
        assert!(temporaries(&build).is_empty(), "{:?}", temporaries(&build));
        // Whichever pair is there loads: the digests in settings.json match model.json.
        zkinfer::compile::Compiled::load(&build).expect("a whole build after the interrupt");
        if std::fs::read(build.join("settings.json")).unwrap() == before {
            old += 1;
            let proof = dir.join("p.json").display().to_string();
            assert!(zkinfer(&["prove", &b, "--input", &inp, "-o", &proof, "-q"]).status.success());
        } else {
            new += 1;
            // The new compile's pair; the keys are the old model's and are refused by name.
            assert!(zkinfer(&["setup", &b, "-q"]).status.success());
        }
    }
    eprintln!("interrupted recompiles: {old} left the old build, {new} finished");
    assert!(old > 0, "every interrupt came after the compile finished: the test interrupts too late");
}
