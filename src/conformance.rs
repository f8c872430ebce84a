//! `zkinfer conformance DIR`: every model folder (`network.onnx`, `input.json`, `expected.json`)
//! through compile → setup → prove → verify, outputs compared with the float reference; then a
//! second input the circuit was not calibrated on, compared with tract's float run of it, and
//! the differential import check's worst error over its random inputs (a compile that fails it
//! fails the model). One model's failure never stops the run.

use crate::compile::{read_input, read_json};
use crate::error::Error;
use crate::pipeline::{self, CompileOptions};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Every position within `TOLERANCE · max(1, max|ref|)` of the reference.
pub const TOLERANCE: f64 = 0.05;

/// One model's conformance result: a row of `docs/conformance.md`.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Outcome {
    /// The model folder's name.
    pub model: String,
    /// "passed", or "failed: " and the reason, as the table shows it.
    pub status: String,
    /// Whether the model met the tolerance on both inputs and every step succeeded.
    pub passed: bool,
    /// The circuit's k, once compiled.
    pub k: Option<u32>,
    /// Rows the layout uses, once compiled.
    pub rows: Option<usize>,
    /// Wall-clock time of the first proof.
    pub prove_seconds: Option<f64>,
    /// Worst absolute error of the proven outputs, over `expected.json` and the unseen input.
    pub max_abs_error: Option<f64>,
    /// Worst error relative to max(1, max|reference|), over the same two inputs; compared with `TOLERANCE`.
    pub max_rel_error: Option<f64>,
    /// The input file lists more arrays than the graph has inputs; they were matched by name.
    pub inputs_by_name: bool,
    /// Peak resident memory of the model's run (compile, setup, both proofs), in MiB.
    #[serde(default)]
    pub peak_mib: Option<f64>,
    /// The differential import check (`fidelity`): inputs the circuit accepted of those drawn,
    /// and the worst error over them relative to max(1, max|reference|). A model wrong on any
    /// of them fails at compile.
    #[serde(default)]
    pub random_accepted: Option<(usize, usize)>,
    /// The differential check's worst relative error over its accepted precision inputs.
    #[serde(default)]
    pub random_rel_error: Option<f64>,
}

impl Outcome {
    /// An outcome that stopped at `reason`, before any measurement.
    pub fn failed(model: &str, reason: &str) -> Outcome {
        Outcome::new(model, &format!("failed: {reason}"))
    }

    fn new(model: &str, status: &str) -> Outcome {
        Outcome {
            model: model.into(),
            status: status.into(),
            passed: false,
            k: None,
            inputs_by_name: false,
            peak_mib: None,
            random_accepted: None,
            random_rel_error: None,
            rows: None,
            prove_seconds: None,
            max_abs_error: None,
            max_rel_error: None,
        }
    }
}

/// Model folders under `dir`, sorted by name.
pub fn model_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("network.onnx").exists()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// The float reference of a corpus folder: `expected.json`'s `output_data`.
pub fn expected(dir: &Path) -> Result<Vec<Vec<f64>>, Error> {
    let v: serde_json::Value = read_json(&dir.join("expected.json"))?;
    let outs = v["output_data"].as_array().ok_or_else(|| Error::BadInput {
        path: dir.join("expected.json"),
        reason: "has no output_data array".into(),
    })?;
    Ok(outs
        .iter()
        .map(|o| o.as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).collect()).unwrap_or_default())
        .collect())
}

/// 0.9·x plus uniform noise of 2% of the input's largest magnitude, seeded: a second input of
/// the same distribution that calibration never saw. Integer and boolean inputs (`float` false)
/// keep their values: any change would leave their domain. `multiplicative` makes the noise
/// 0.85–0.95·x per element instead, which keeps every sign (for models defined only on part of
/// the line, such as a log, where additive noise can cross zero).
pub fn perturb(inputs: &[Vec<f32>], float: &[bool], multiplicative: bool) -> Vec<Vec<f32>> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0xca1b);
    inputs
        .iter()
        .zip(float)
        .map(|(x, &is_float)| {
            let m = x.iter().fold(0f32, |a, v| a.max(v.abs()));
            if !is_float {
                return x.clone();
            }
            x.iter()
                .map(|v| {
                    let u = rng.gen_range(-1.0f32..1.0);
                    if multiplicative {
                        v * (0.9 + 0.05 * u)
                    } else {
                        0.9 * v + 0.02 * m * u
                    }
                })
                .collect()
        })
        .collect()
}

/// For a classifier-shaped model (one output, a vector): whether our argmax is the reference's.
/// Classes whose reference scores differ by less than `resolution` (the circuit's output step,
/// 2^-s, or the error its compile measured if larger) cannot be told apart in fixed point, so
/// such a near-tie (or a tie) accepts either; any wider margin must be kept, even where the
/// tolerance alone would let the classes swap.
/// Other models pass trivially.
pub fn same_argmax(got: &[Vec<f64>], want: &[Vec<f64>], resolution: f64) -> bool {
    let ([g], [w]) = (got, want) else { return true };
    if w.len() < 2 || g.len() != w.len() {
        return true;
    }
    let top = w.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let ours = (0..g.len()).fold(0, |best, i| if g[i] > g[best] { i } else { best });
    w[ours] >= top - resolution
}

/// Max absolute error and max error relative to max(1, max|ref|), per the whole model.
pub fn compare(got: &[Vec<f64>], want: &[Vec<f64>]) -> Option<(f64, f64)> {
    if got.len() != want.len() || got.iter().zip(want).any(|(g, w)| g.len() != w.len()) {
        return None;
    }
    let (mut abs, mut rel) = (0f64, 0f64);
    for (g, w) in got.iter().zip(want) {
        let scale = w.iter().fold(1f64, |m, v| m.max(v.abs()));
        for (a, b) in g.iter().zip(w) {
            abs = abs.max((a - b).abs());
            rel = rel.max((a - b).abs() / scale);
        }
    }
    Some((abs, rel))
}

/// Runs one model folder through compile, setup, prove and verify in `work`; never panics on a model's failure.
pub fn run_one(model_dir: &Path, work: &Path) -> Outcome {
    let model = model_dir.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let mut o = Outcome::new(&model, "");
    let build = work.join(&model);
    let mut input = model_dir.join("input.json");
    let result = (|| -> Result<(), Error> {
        if let Some(aligned) = align_inputs(model_dir, &build)? {
            input = aligned;
            o.inputs_by_name = true;
        }
        let c = pipeline::compile(&model_dir.join("network.onnx"), &input, &build, &CompileOptions::default())?;
        o.k = Some(c.settings.k);
        o.rows = Some(c.settings.rows);
        if let Some(f) = &c.settings.fidelity {
            o.random_accepted = Some((f.accepted, f.samples + f.corners + f.calibration));
            o.random_rel_error = Some(f.worst_rel_error);
        }
        pipeline::setup(&build, None)?;
        let start = Instant::now();
        let proof = pipeline::prove(&build, &input)?;
        o.prove_seconds = Some(start.elapsed().as_secs_f64());
        pipeline::verify(&build, &proof)?;
        let want = expected(model_dir)?;
        let Some((abs, rel)) = compare(&proof.outputs, &want) else {
            o.status = "failed: output shapes differ from expected.json".into();
            return Ok(());
        };
        // Generalisation: an input the circuit was not calibrated on, same distribution
        // (0.9·x plus a little noise), against tract's float inference of it.
        let unseen = build.join("unseen_input.json");
        let x = read_input(&input)?;
        let typed =
            crate::onnx::load_typed(&model_dir.join("network.onnx"), &x.iter().map(|v| v.len()).collect::<Vec<_>>())?;
        let float: Vec<bool> =
            (0..x.len()).map(|i| typed.input_fact(i).map(|f| f.datum_type.is_float()).unwrap_or(true)).collect();
        // Where additive noise leaves the model's domain (a non-finite reference), keep signs.
        let mut x2 = perturb(&x, &float, false);
        let mut reference = crate::onnx::tract_run(&typed, &x2)?;
        if reference.iter().flatten().any(|v| !v.is_finite()) {
            x2 = perturb(&x, &float, true);
            reference = crate::onnx::tract_run(&typed, &x2)?;
        }
        crate::compile::write_json(&unseen, &serde_json::json!({ "input_data": x2 }))?;
        let want2: Vec<Vec<f64>> = reference.into_iter().map(|v| v.into_iter().map(f64::from).collect()).collect();
        let proof2 = pipeline::prove(&build, &unseen).map_err(|e| Error::BadInput {
            path: unseen.clone(),
            reason: format!("the unseen input is refused: {e}"),
        })?;
        pipeline::verify(&build, &proof2)?;
        let (abs2, rel2) = compare(&proof2.outputs, &want2).unwrap_or((f64::INFINITY, f64::INFINITY));
        o.max_abs_error = Some(abs.max(abs2));
        o.max_rel_error = Some(rel.max(rel2));
        let within = (rel <= TOLERANCE, rel2 <= TOLERANCE);
        // Scores closer than the circuit can tell apart: its output step, or the error its own
        // compile measured on random calibrated inputs (a lookup's grid can be coarser than 2^-s).
        let measured = c.settings.fidelity.as_ref().map_or(0.0, |f| f.worst_abs_error);
        let step = (-(c.settings.scale_bits as f64)).exp2().max(measured);
        let classes = (same_argmax(&proof.outputs, &want, step), same_argmax(&proof2.outputs, &want2, step));
        o.passed = within == (true, true) && classes == (true, true);
        o.status = match (within, classes) {
            ((true, true), (true, true)) => "ok".into(),
            ((false, _), _) => "out of tolerance".into(),
            ((true, false), _) => "out of tolerance (unseen input)".into(),
            (_, (false, _)) => "argmax differs from the reference".into(),
            (_, (true, false)) => "argmax differs from the reference (unseen input)".into(),
        };
        Ok(())
    })();
    if let Err(e) = result {
        o.status = match e {
            Error::Unsupported { ops, .. } => {
                let mut names: Vec<String> = vec![];
                for op in &ops {
                    let name = op.split(' ').next().unwrap_or(op).to_string();
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                format!("unsupported: {}", names.join(", "))
            }
            e => format!("failed: {e}"),
        };
    }
    o
}

/// Some corpus input files list every input of the original (PyTorch) model while the exported
/// graph dropped the unused ones: `bitwise_ops` has 4 arrays for inputs named `input2, input3`,
/// `arange` one empty array and no inputs. EZKL's export names inputs `input, input1, input2…`
/// by position, so the arrays are matched to the graph by those names; any other mismatch is
/// left for compile to report. Returns the aligned file, written into `build`.
pub fn align_inputs(model_dir: &Path, build: &Path) -> Result<Option<std::path::PathBuf>, Error> {
    let x = read_input(&model_dir.join("input.json"))?;
    let names = crate::onnx::input_names(&model_dir.join("network.onnx"))?;
    if names.len() >= x.len() {
        return Ok(None);
    }
    let position = |n: &str| match n.strip_prefix("input") {
        Some("") => Some(0),
        Some(k) => k.parse::<usize>().ok(),
        None => None,
    };
    let Some(picked) = names.iter().map(|n| position(n).and_then(|i| x.get(i).cloned())).collect::<Option<Vec<_>>>()
    else {
        return Ok(None);
    };
    crate::artifact::create_dir(build)?;
    let path = build.join("input.json");
    crate::compile::write_json(&path, &serde_json::json!({ "input_data": picked }))?;
    Ok(Some(path))
}

/// Runs one model in a child process (`zkinfer conformance-one`), so that a model over the time
/// limit is stopped, a crash stays contained, memory is returned between models, and the peak
/// memory of each model is measured on its own.
fn run_isolated(model_dir: &Path, work: &Path, timeout: std::time::Duration) -> Result<Outcome, Error> {
    let name = model_dir.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    crate::artifact::create_dir(work)?;
    let out = work.join(format!("{name}.outcome.json"));
    let _ = std::fs::remove_file(&out);
    let exe = std::env::current_exe().map_err(|e| Error::io("the zkinfer binary", e))?;
    let child = std::process::Command::new(&exe)
        .arg("conformance-one")
        .arg(model_dir)
        .arg("--work")
        .arg(work)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| Error::io(&exe, e))?;
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 only writes into it and `status`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if start.elapsed() > timeout {
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::wait4(pid, &mut status, 0, &mut usage);
            }
            let mut o = Outcome::new(&name, &format!("failed: over the {} s limit", timeout.as_secs()));
            o.peak_mib = Some(usage.ru_maxrss as f64 / 1024.0);
            return Ok(o);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut o: Outcome = crate::compile::read_json(&out)
        .unwrap_or_else(|_| Outcome::new(&name, "failed: the model's run crashed (out of memory, or a zkinfer bug)"));
    o.peak_mib = Some(usage.ru_maxrss as f64 / 1024.0);
    Ok(o)
}

/// Runs every model, each in its own process with a time limit, with a progress bar on stderr.
pub fn run(dir: &Path, work: &Path, timeout: std::time::Duration) -> Vec<Outcome> {
    let dirs = model_dirs(dir);
    let pb = indicatif::ProgressBar::new(dirs.len() as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut out = vec![];
    for d in dirs {
        let name = d.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        pb.set_message(name.clone());
        let o = run_isolated(&d, work, timeout).unwrap_or_else(|e| Outcome::new(&name, &format!("failed: {e}")));
        out.push(o);
        pb.inc(1);
    }
    pb.finish_and_clear();
    out
}

/// The outcomes as the markdown table of `docs/conformance.md`.
pub fn markdown(outcomes: &[Outcome]) -> String {
    let mut s = String::from(
        "| model | status | k | rows | prove s | peak MiB | max abs err | max rel err | random inputs accepted | random max rel err |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    let f = |v: Option<f64>, p: usize| v.map_or("-".to_string(), |x| format!("{x:.p$}"));
    for o in outcomes {
        s += &format!(
            "| {}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            o.model,
            if o.inputs_by_name { " ¹" } else { "" },
            o.status.replace('|', "/"),
            o.k.map_or("-".into(), |k| k.to_string()),
            o.rows.map_or("-".into(), |r| r.to_string()),
            f(o.prove_seconds, 2),
            f(o.peak_mib, 0),
            f(o.max_abs_error, 4),
            f(o.max_rel_error, 4),
            o.random_accepted.map_or("-".into(), |(a, n)| format!("{a} / {n}")),
            f(o.random_rel_error, 4)
        );
    }
    let passed = outcomes.iter().filter(|o| o.passed).count();
    s += &format!("\n{passed} passed, {} failed\n", outcomes.len() - passed);
    s += "\nRandom inputs: the differential import check (docs/fidelity.md) compares each compiled model with \
          tract's float run on its calibration input, 64 seeded random inputs (over the calibrated range, that \
          range widened 4×, and mixed magnitudes up to the accepted range) and the corners of both ranges; inputs \
          the circuit refuses (a range check or a table bound) have no proof and are not compared. The error column \
          is the worst over the calibrated and widened ones; any of them outside the tolerance fails the model.\n";
    if outcomes.iter().any(|o| o.inputs_by_name) {
        s += "\n¹ The input file lists inputs the exported graph dropped; arrays were matched to the graph's inputs by name (`input`, `input1`, … are positions).\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::same_argmax;

    #[test]
    fn classifier_outputs_must_pick_the_reference_class() {
        let r = 1.0 / 512.0;
        assert!(same_argmax(&[vec![0.12, 0.69, 0.19]], &[vec![0.1, 0.7, 0.2]], r));
        // Within the 0.05 tolerance everywhere, but the class is lost: rejected.
        assert!(!same_argmax(&[vec![0.1, 0.66, 0.67]], &[vec![0.1, 0.7, 0.65]], r));
        // A tie, or a margin below the output step, accepts either class.
        assert!(same_argmax(&[vec![0.0, 0.5, 0.51]], &[vec![0.0, 0.5, 0.5]], r));
        assert!(same_argmax(&[vec![0.0, 0.5, 0.502]], &[vec![0.0, 0.501, 0.5]], r));
        // Several outputs are not a classifier.
        assert!(same_argmax(&[vec![1.0], vec![0.0, 9.0]], &[vec![1.0], vec![9.0, 0.0]], r));
    }
}
