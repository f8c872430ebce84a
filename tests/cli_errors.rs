//! Every bad input a user can give the CLI, run through the `zkinfer` binary: each must exit
//! non-zero with the documented code and one line naming the file, node, flag or value and what
//! to do, never panic, and leave every file under the scratch directory byte-identical. The run
//! writes `docs/errors.md`, the table of those cases and their exact messages.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use zkinfer::compile::write_json;
use zkinfer::error::exit;
use zkinfer::onnx::write;

/// One bad input: what it is, the command line, extra environment, the exit code it must give.
struct Case {
    group: &'static str,
    what: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    code: i32,
}

/// Every file under `dir` with its bytes: the "untouched" check compares two of these.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.insert(p.clone(), zkinfer::artifact::digest(&std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out
}

struct Fixture {
    dir: PathBuf,
    /// A set-up build of the example MLP 4→3→2, its model and input.
    build: PathBuf,
    model: PathBuf,
    input: PathBuf,
    /// A second set-up build of another MLP, for "another build's" artifacts.
    other: PathBuf,
    /// A proof of `build`.
    proof: PathBuf,
}

fn fixture() -> Fixture {
    use zkinfer::pipeline;
    let dir = common::scratch("cli-errors");
    let model = dir.join("m.onnx");
    write::save(&write::mlp_model(&[4, 3, 2], 1), &model).unwrap();
    let input = dir.join("in.json");
    write_json(&input, &write::random_input(4, 1)).unwrap();
    let build = dir.join("b");
    pipeline::compile(&model, &input, &build, &Default::default()).unwrap();
    pipeline::setup(&build, None).unwrap();
    let other_model = dir.join("other.onnx");
    write::save(&write::mlp_model(&[4, 5, 2], 2), &other_model).unwrap();
    let other = dir.join("other");
    pipeline::compile(&other_model, &input, &other, &Default::default()).unwrap();
    pipeline::setup(&other, None).unwrap();
    let proof = dir.join("proof.json");
    write_json(&proof, &pipeline::prove(&build, &input).unwrap()).unwrap();
    Fixture { dir, build, model, input, other, proof }
}

/// Writes `text` to `dir/name` and returns the path as a string.
fn file(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// A copy of the build `src` at `dir/name` with `edit` applied to it.
fn variant(src: &Path, dir: &Path, name: &str, edit: impl FnOnce(&Path)) -> String {
    let dst = dir.join(name);
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten().filter(|e| e.path().is_file()) {
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    edit(&dst);
    dst.display().to_string()
}

/// A named pipe at `dir/name`: reading it would block until a writer came.
fn fifo(dir: &Path, name: &str) -> String {
    let p = dir.join(name);
    if !p.exists() {
        assert!(Command::new("mkfifo").arg(&p).status().unwrap().success());
    }
    p.display().to_string()
}

/// A symbolic link at `dir/name` to `target`.
fn link(dir: &Path, name: &str, target: &str) -> String {
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    std::os::unix::fs::symlink(target, &p).unwrap();
    p.display().to_string()
}

/// Flips one hex digit inside the fourth word of a proof file's proof.
fn flip_proof_digit(v: &mut serde_json::Value) {
    let s = v["proof"].as_str().unwrap().to_string();
    let i = 2 + 64 * 3 + 5;
    let c = if &s[i..i + 1] == "0" { "1" } else { "0" };
    v["proof"] = format!("{}{c}{}", &s[..i], &s[i + 1..]).into();
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn case(group: &'static str, what: &'static str, a: &[&str], code: i32) -> Case {
    Case { group, what, args: args(a), env: vec![], code }
}

fn with_env(mut c: Case, k: &'static str, v: &str) -> Case {
    c.env.push((k, v.to_string()));
    c
}

/// The ONNX front end: files that are not models, models zkinfer cannot take.
fn onnx_cases(f: &Fixture) -> Vec<Case> {
    let d = &f.dir;
    let input = f.input.display().to_string();
    let out = d.join("never").display().to_string();
    let good = std::fs::read(&f.model).unwrap();
    let compile =
        |what, model: String, code| case("ONNX model", what, &["compile", &model, "--input", &input, "-o", &out], code);
    let unsupported = d.join("unsupported.onnx");
    let ops: [(&str, &[&str]); 3] = [("Pow", &["a", "b"]), ("Sigmoid", &["a"]), ("Mod", &["a", "b"])];
    write::save(&write::branches_model(4, &ops), &unsupported).unwrap();
    let mut symbolic = write::mlp_model(&[4, 3, 2], 1);
    if let Some(t) = symbolic.graph.as_mut().and_then(|g| g.input.first_mut()).and_then(|i| i.r#type.as_mut()) {
        use tract_onnx::pb::{tensor_shape_proto::dimension::Value, type_proto::Value as T};
        if let Some(T::TensorType(tt)) = t.value.as_mut() {
            for dim in tt.shape.as_mut().unwrap().dim.iter_mut() {
                dim.value = Some(Value::DimParam("n".into()));
            }
        }
    }
    let symbolic_path = d.join("symbolic.onnx");
    write::save(&symbolic, &symbolic_path).unwrap();
    let mut external = write::mlp_model(&[4, 3, 2], 1);
    if let Some(t) = external.graph.as_mut().and_then(|g| g.initializer.first_mut()) {
        t.raw_data.clear();
        t.float_data.clear();
        t.data_location = Some(1); // EXTERNAL
        t.external_data =
            vec![tract_onnx::pb::StringStringEntryProto { key: "location".into(), value: "weights.bin".into() }];
    }
    let external_path = d.join("external.onnx");
    write::save(&external, &external_path).unwrap();
    let mut nan = write::mlp_model(&[4, 3, 2], 1);
    if let Some(t) = nan.graph.as_mut().and_then(|g| g.initializer.first_mut()) {
        t.float_data[0] = f32::NAN;
    }
    let nan_path = d.join("nan_weight.onnx");
    write::save(&nan, &nan_path).unwrap();
    let gather_path = d.join("gather_oob.onnx");
    {
        use write::{dims, GraphBuilder};
        let mut g = GraphBuilder::new(13);
        let x = g.input(&dims(&[4]));
        let idx = g.constant_i64(&[2], vec![1, 99]);
        let y = g.op("Gather", &[&x, &idx], vec![write::attr_int("axis", 0)]);
        g.output(&y, &dims(&[2]));
        write::save(&g.build(), &gather_path).unwrap();
    }
    let two = file(d, "two_inputs.json", r#"{"input_data": [[0.5, 1.0, 2.0, 0.25], [1.5, 2.0, 0.5, 3.0]]}"#);
    let odd = file(d, "odd_len.json", r#"{"input_data": [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]}"#);
    vec![
        compile("the model file does not exist", d.join("missing.onnx").display().to_string(), exit::BAD_INPUT),
        compile("the model path is a directory", d.display().to_string(), exit::BAD_INPUT),
        compile("an empty file", file(d, "empty.onnx", b""), exit::BAD_INPUT),
        compile("text, not protobuf", file(d, "text.onnx", b"this is not protobuf"), exit::BAD_INPUT),
        compile("a model cut in half", file(d, "half.onnx", &good[..good.len() / 2]), exit::BAD_INPUT),
        compile("a named pipe", fifo(d, "pipe.onnx"), exit::BAD_INPUT),
        compile("a NaN weight", nan_path.display().to_string(), exit::UNSUPPORTED_MODEL),
        compile("a Gather index past its axis", gather_path.display().to_string(), exit::UNSUPPORTED_MODEL),
        compile("a link to a device (/dev/zero)", link(d, "zero.onnx", "/dev/zero"), exit::BAD_INPUT),
        compile("weights in an external file that is missing", external_path.display().to_string(), exit::BAD_INPUT),
        case(
            "ONNX model",
            "unsupported ops (listed together, with their nodes)",
            &["compile", &unsupported.display().to_string(), "--input", &two, "-o", &out],
            exit::UNSUPPORTED_MODEL,
        ),
        case(
            "ONNX model",
            "symbolic dimensions the input cannot fix",
            &["compile", &symbolic_path.display().to_string(), "--input", &odd, "-o", &out],
            exit::BAD_INPUT,
        ),
    ]
}

/// Input files: malformed JSON, wrong shapes, values the circuit cannot take.
/// A model whose input is int32 (cast to float, then a MatMul), as exporters write index or
/// count inputs.
fn int_input_model(path: &Path) {
    use write::{dims, GraphBuilder};
    let mut g = GraphBuilder::new(13);
    let x = g.input(&dims(&[1, 4]));
    let xf = g.op("Cast", &[&x], vec![write::attr_int("to", 1)]);
    let w = g.constant(&[4, 2], vec![0.5, -0.25, 0.125, 1.0, -1.0, 0.75, 0.25, 0.5]);
    let y = g.op("MatMul", &[&xf, &w], vec![]);
    g.output(&y, &dims(&[1, 2]));
    let mut m = g.build();
    if let Some(tract_onnx::pb::type_proto::Value::TensorType(t)) = m
        .graph
        .as_mut()
        .and_then(|g| g.input.first_mut())
        .and_then(|i| i.r#type.as_mut())
        .and_then(|t| t.value.as_mut())
    {
        t.elem_type = 6; // INT32
    }
    write::save(&m, path).unwrap();
}

fn input_cases(f: &Fixture) -> Vec<Case> {
    let d = &f.dir;
    let int_model = d.join("int_input.onnx");
    int_input_model(&int_model);
    let int_model = int_model.display().to_string();
    let model = f.model.display().to_string();
    let build = f.build.display().to_string();
    let out = d.join("never").display().to_string();
    let proof_out = d.join("never.json").display().to_string();
    let compile =
        |what, input: String, code| case("input file", what, &["compile", &model, "--input", &input, "-o", &out], code);
    let prove = |what, input: String, code| {
        case("input file", what, &["prove", &build, "--input", &input, "-o", &proof_out], code)
    };
    vec![
        compile("does not exist", d.join("missing.json").display().to_string(), exit::BAD_INPUT),
        compile("empty", file(d, "empty.json", b""), exit::BAD_INPUT),
        compile("not JSON", file(d, "notjson.json", b"input_data = 1, 2"), exit::BAD_INPUT),
        compile("no input_data", file(d, "nokey.json", r#"{"inputs": [[1, 2, 3, 4]]}"#), exit::BAD_INPUT),
        compile("input_data empty", file(d, "noinputs.json", r#"{"input_data": []}"#), exit::BAD_INPUT),
        compile("NaN", file(d, "nan.json", r#"{"input_data": [[NaN, 1, 2, 3]]}"#), exit::BAD_INPUT),
        compile("Infinity", file(d, "inf.json", r#"{"input_data": [[1, Infinity, 2, 3]]}"#), exit::BAD_INPUT),
        compile(
            "a number beyond f64 (1e999)",
            file(d, "e999.json", r#"{"input_data": [[1, 2, 1e999, 3]]}"#),
            exit::BAD_INPUT,
        ),
        compile(
            "a number beyond f32 (1e39)",
            file(d, "e39.json", r#"{"input_data": [[1, 2, 3, 1e39]]}"#),
            exit::BAD_INPUT,
        ),
        compile(
            "a string among the numbers",
            file(d, "str.json", r#"{"input_data": [[1, "2", 3, 4]]}"#),
            exit::BAD_INPUT,
        ),
        compile(
            "one level of nesting too many",
            file(d, "nested.json", r#"{"input_data": [[[1, 2, 3, 4]]]}"#),
            exit::BAD_INPUT,
        ),
        compile(
            "a flat array, not one per input",
            file(d, "flat.json", r#"{"input_data": [1, 2, 3, 4]}"#),
            exit::BAD_INPUT,
        ),
        compile("a named pipe", fifo(d, "pipe.json"), exit::BAD_INPUT),
        compile("too few values", file(d, "short.json", r#"{"input_data": [[1, 2]]}"#), exit::BAD_INPUT),
        case(
            "input file",
            "a fraction for an integer-typed input",
            &[
                "compile",
                &int_model,
                "--input",
                &file(d, "frac.json", r#"{"input_data": [[1.5, 2, -3, 0]]}"#),
                "-o",
                &out,
            ],
            exit::BAD_INPUT,
        ),
        prove("too few values", d.join("short.json").display().to_string(), exit::BAD_INPUT),
        prove("a link to a device (/dev/zero)", link(d, "zero.json", "/dev/zero"), exit::BAD_INPUT),
        prove(
            "two inputs for a one-input model",
            file(d, "two.json", r#"{"input_data": [[1, 2, 3, 4], [1, 2, 3, 4]]}"#),
            exit::BAD_INPUT,
        ),
        prove(
            "a value outside the calibrated range",
            file(d, "huge.json", r#"{"input_data": [[0.5, -9000, 0.5, 0.5]]}"#),
            exit::BAD_INPUT,
        ),
    ]
}

/// Flags: combinations that prove nothing, values that do not parse.
fn usage_cases(f: &Fixture) -> Vec<Case> {
    let model = f.model.display().to_string();
    let input = f.input.display().to_string();
    let build = f.build.display().to_string();
    let proof = f.proof.display().to_string();
    let out = f.dir.join("never").display().to_string();
    let c = |what, a: &[&str], code| case("flags", what, a, code);
    let corpus = f.dir.join("corpus");
    std::fs::create_dir_all(corpus.join("m1")).unwrap();
    std::fs::copy(&f.model, corpus.join("m1/network.onnx")).unwrap();
    std::fs::copy(&f.input, corpus.join("m1/input.json")).unwrap();
    let inside = corpus.join("work").display().to_string();
    let corpus = corpus.display().to_string();
    vec![
        c("an unknown flag", &["compile", &model, "--input", &input, "--lanez", "4"], exit::USAGE),
        c("a missing argument", &["prove", &build], exit::USAGE),
        c("--salt with nothing hashed", &["compile", &model, "--input", &input, "-o", &out, "--salt"], exit::USAGE),
        c(
            "--output-visibility private",
            &["compile", &model, "--input", &input, "-o", &out, "--output-visibility", "private"],
            exit::USAGE,
        ),
        c("--lanes 1", &["compile", &model, "--input", &input, "-o", &out, "--lanes", "1"], exit::USAGE),
        c("--scale-bits 0", &["compile", &model, "--input", &input, "-o", &out, "--scale-bits", "0"], exit::USAGE),
        c("--scale-bits 64", &["compile", &model, "--input", &input, "-o", &out, "--scale-bits", "64"], exit::USAGE),
        c(
            "--check-samples 100000000",
            &["compile", &model, "--input", &input, "-o", &out, "--check-samples", "100000000"],
            exit::USAGE,
        ),
        c("--name that is not an identifier", &["solidity", &build, "-o", &out, "--name", "1-bad"], exit::USAGE),
        c(
            "--name of zkinfer's own contract",
            &["solidity", &build, "-o", &out, "--name", "VerifiedInference"],
            exit::USAGE,
        ),
        c("no command", &[], exit::USAGE),
        c(
            "compile -o into a directory holding another program's settings.json",
            &["compile", &model, "--input", &input, "-o", &{
                let foreign = f.dir.join("foreign");
                std::fs::create_dir_all(&foreign).unwrap();
                std::fs::write(foreign.join("settings.json"), r#"{"theme": "dark"}"#).unwrap();
                foreign.display().to_string()
            }],
            exit::USAGE,
        ),
        c(
            "deploy --vault-move-bps 0",
            &[
                "deploy",
                &build,
                "--feed",
                "0x000000000000000000000000000000000000dEaD",
                "--price-unit",
                "100",
                "--vault-move-bps",
                "0",
            ],
            exit::USAGE,
        ),
        c("--name that is a type (uint256)", &["solidity", &build, "-o", &out, "--name", "uint256"], exit::USAGE),
        c("example --sizes too large to hold", &["example", "-o", &out, "--sizes", "100000,100000"], exit::USAGE),
        c(
            "feed-input -o onto the build's settings.json",
            &["feed-input", &build, "-o", &f.build.join("settings.json").display().to_string()],
            exit::USAGE,
        ),
        c("prove -o onto the input file", &["prove", &build, "--input", &input, "-o", &input], exit::USAGE),
        c(
            "deploy --feed with --price-unit 0",
            &["deploy", &build, "--feed", "0x000000000000000000000000000000000000dEaD", "--price-unit", "0"],
            exit::USAGE,
        ),
        c(
            "submit --round beyond 2^80",
            &["submit", &build, &proof, "--round", "99999999999999999999999999"],
            exit::USAGE,
        ),
        with_env(c("ZKINFER_RPC_TIMEOUT=0", &["deploy", &build], exit::USAGE), "ZKINFER_RPC_TIMEOUT", "0"),
        c("conformance --work inside the corpus", &["conformance", &corpus, "--work", &inside], exit::USAGE),
        c("conformance of a directory that does not exist", &["conformance", &out], exit::BAD_INPUT),
        c(
            "conformance of a directory with no model folders",
            &["conformance", &f.build.display().to_string()],
            exit::BAD_INPUT,
        ),
        c("example -o onto a file", &["example", "-o", &input], exit::BAD_INPUT),
        c("--feed that is not an address", &["deploy", &build, "--feed", "0x12", "--price-unit", "100"], exit::USAGE),
        c("--address that is not an address", &["submit", &build, &proof, "--address", "consumer"], exit::USAGE),
        c("--rpc-url that is not a URL", &["deploy", &build, "--rpc-url", "not a url"], exit::USAGE),
        with_env(c("ETH_CHAIN_ID that is not a number", &["deploy", &build], exit::USAGE), "ETH_CHAIN_ID", "mainnet"),
    ]
}

/// Build directories: steps out of order, files edited, truncated, or of another build.
fn build_cases(f: &Fixture) -> Vec<Case> {
    let d = &f.dir;
    let input = f.input.display().to_string();
    let out = d.join("never.json").display().to_string();
    let prove = |what, build: String, code| {
        case("build directory", what, &["prove", &build, "--input", &input, "-o", &out], code)
    };
    let b = &f.build;
    let other = f.other.clone();
    let edit_settings = |from: &str, to: &str| {
        let (from, to) = (from.to_string(), to.to_string());
        move |p: &Path| {
            let s = std::fs::read_to_string(p.join("settings.json")).unwrap();
            assert!(s.contains(&from), "{from}");
            std::fs::write(p.join("settings.json"), s.replacen(&from, &to, 1)).unwrap();
        }
    };
    let truncate = |name: &'static str, keep: usize| {
        move |p: &Path| {
            let bytes = std::fs::read(p.join(name)).unwrap();
            std::fs::write(p.join(name), &bytes[..keep.min(bytes.len())]).unwrap();
        }
    };
    let from_other = |name: &'static str| {
        let other = other.clone();
        move |p: &Path| {
            std::fs::copy(other.join(name), p.join(name)).unwrap();
        }
    };
    let compiled_only = variant(b, d, "compiled_only", |p| {
        for n in ["pk.bin", "kzg.srs", "srs.json"] {
            std::fs::remove_file(p.join(n)).unwrap();
        }
    });
    let flip_at = |name: &'static str, at: f64| {
        move |p: &Path| {
            let mut bytes = std::fs::read(p.join(name)).unwrap();
            let i = (bytes.len() as f64 * at) as usize;
            bytes[i] ^= 0x10;
            std::fs::write(p.join(name), &bytes).unwrap();
        }
    };
    let ceremony = d.join("ceremony.srs");
    let k = zkinfer::compile::Compiled::load(b).unwrap().settings.k;
    zkinfer::prove::write_srs(&zkinfer::prove::dev_srs(k + 1), &ceremony).unwrap();
    flip_at("ceremony.srs", 0.2)(d);
    let small_srs = d.join("small.srs");
    zkinfer::prove::write_srs(&zkinfer::prove::dev_srs(4), &small_srs).unwrap();
    let setup = |what, a: &[&str], code| case("build directory", what, a, code);
    vec![
        prove("not a build directory", d.join("nowhere").display().to_string(), exit::BAD_INPUT),
        setup("setup before compile", &["setup", &d.join("nowhere").display().to_string()], exit::BAD_INPUT),
        prove("prove before setup", compiled_only.clone(), exit::BAD_INPUT),
        prove(
            "settings.json edited by hand (k)",
            variant(b, d, "edited_k", edit_settings("\"k\": ", "\"k\": 1")),
            exit::BAD_INPUT,
        ),
        prove(
            "settings.json edited by hand (lanes)",
            variant(b, d, "edited_lanes", edit_settings("\"lanes\": ", "\"lanes\": 1")),
            exit::BAD_INPUT,
        ),
        prove(
            "settings.json not JSON",
            variant(b, d, "settings_junk", |p| std::fs::write(p.join("settings.json"), "{").unwrap()),
            exit::BAD_INPUT,
        ),
        prove(
            "settings.json of an older zkinfer (no format)",
            variant(
                b,
                d,
                "settings_old",
                edit_settings(&format!("\"format\": {}", zkinfer::artifact::FORMAT), "\"format\": 0"),
            ),
            exit::BAD_INPUT,
        ),
        prove("model.json of another build", variant(b, d, "model_other", from_other("model.json")), exit::BAD_INPUT),
        prove(
            "model.json missing",
            variant(b, d, "model_missing", |p| std::fs::remove_file(p.join("model.json")).unwrap()),
            exit::BAD_INPUT,
        ),
        prove("pk.bin truncated", variant(b, d, "pk_short", truncate("pk.bin", 5000)), exit::BAD_INPUT),
        prove("pk.bin cut inside its stamp", variant(b, d, "pk_stub", truncate("pk.bin", 20)), exit::BAD_INPUT),
        prove("pk.bin of another build", variant(b, d, "pk_other", from_other("pk.bin")), exit::BAD_INPUT),
        prove(
            "pk.bin with a byte flipped inside a polynomial",
            variant(b, d, "pk_flip", flip_at("pk.bin", 0.8)),
            exit::BAD_INPUT,
        ),
        case(
            "build directory",
            "its lock file is a named pipe",
            &[
                "verify",
                &variant(b, d, "lock_fifo", |p| {
                    let _ = std::fs::remove_file(p.join(".zkinfer.lock"));
                    fifo(p, ".zkinfer.lock");
                }),
                &f.proof.display().to_string(),
            ],
            exit::BAD_INPUT,
        ),
        prove("kzg.srs with one byte flipped", variant(b, d, "srs_flip", flip_at("kzg.srs", 0.3)), exit::BAD_INPUT),
        prove(
            "srs.json not JSON",
            variant(b, d, "srs_json_junk", |p| std::fs::write(p.join("srs.json"), "{\"k\": ").unwrap()),
            exit::BAD_INPUT,
        ),
        prove(
            "srs.json missing",
            variant(b, d, "srs_json_missing", |p| std::fs::remove_file(p.join("srs.json")).unwrap()),
            exit::BAD_INPUT,
        ),
        prove(
            "pk.bin of another SRS",
            variant(b, d, "pk_srs", |p| {
                // Another SRS of the same size, recorded as setup records one: only pk.bin is stale.
                let seeded = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(7);
                let digest = zkinfer::prove::write_srs(&zkinfer::prove::Srs::setup(k, seeded), &p.join("kzg.srs"));
                let mut info: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(p.join("srs.json")).unwrap()).unwrap();
                info["digest"] = digest.unwrap().into();
                std::fs::write(p.join("srs.json"), serde_json::to_vec(&info).unwrap()).unwrap();
            }),
            exit::BAD_INPUT,
        ),
        prove("kzg.srs truncated", variant(b, d, "srs_short", truncate("kzg.srs", 1000)), exit::BAD_INPUT),
        prove(
            "kzg.srs too small",
            variant(b, d, "srs_small", |p| {
                std::fs::copy(d.join("small.srs"), p.join("kzg.srs")).unwrap();
            }),
            exit::BAD_INPUT,
        ),
        setup(
            "setup --srs of junk",
            &["setup", &compiled_only, "--srs", &file(d, "junk.srs", b"nope")],
            exit::BAD_INPUT,
        ),
        setup(
            "setup --srs too small",
            &["setup", &compiled_only, "--srs", &small_srs.display().to_string()],
            exit::BAD_INPUT,
        ),
        setup(
            "setup --srs with one byte flipped",
            &["setup", &compiled_only, "--srs", &ceremony.display().to_string()],
            exit::BAD_INPUT,
        ),
        setup(
            "setup --srs that does not exist",
            &["setup", &compiled_only, "--srs", "/nonexistent.srs"],
            exit::BAD_INPUT,
        ),
    ]
}

/// Proof files: another build's, cut, padded, edited.
/// A build with hashed, salted inputs and outputs, and a proof of it whose opening file has an
/// edited output: (build, proof).
fn hashed_build(f: &Fixture) -> (String, String) {
    use zkinfer::circuit::privacy::{Privacy, Visibility, WeightsMode};
    let privacy =
        Privacy { weights: WeightsMode::Fixed, input: Visibility::Hashed, output: Visibility::Hashed, salted: true };
    let build = f.dir.join("hashed");
    let opts = zkinfer::pipeline::CompileOptions { privacy, ..Default::default() };
    zkinfer::pipeline::compile(&f.model, &f.input, &build, &opts).unwrap();
    zkinfer::pipeline::setup(&build, None).unwrap();
    let p = zkinfer::pipeline::prove(&build, &f.input).unwrap();
    let proof = f.dir.join("hashed_proof.json");
    write_json(&proof, &p).unwrap();
    let mut opening = p.opening.clone();
    opening.outputs[0][0] += 0.5;
    write_json(&proof.with_extension("opening.json"), &opening).unwrap();
    (build.display().to_string(), proof.display().to_string())
}

fn proof_cases(f: &Fixture) -> Vec<Case> {
    let d = &f.dir;
    let (hashed, hashed_proof) = hashed_build(f);
    let build = f.build.display().to_string();
    let other = f.other.display().to_string();
    let proof = f.proof.display().to_string();
    let text = std::fs::read_to_string(&f.proof).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let edited = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = json.clone();
        edit(&mut v);
        file(d, name, serde_json::to_string_pretty(&v).unwrap())
    };
    let verify = |what, p: String, code| case("proof file", what, &["verify", &build, &p], code);
    vec![
        case("proof file", "a proof of another build", &["verify", &other, &proof], exit::BAD_INPUT),
        verify("does not exist", d.join("nope.json").display().to_string(), exit::BAD_INPUT),
        verify("truncated", file(d, "proof_cut.json", &text[..text.len() / 2]), exit::BAD_INPUT),
        verify("with an extra field", edited("proof_extra.json", &|v| v["signature"] = "0x00".into()), exit::BAD_INPUT),
        verify(
            "a proof that is not hex",
            edited("proof_nothex.json", &|v| v["proof"] = "0xzz".into()),
            exit::BAD_INPUT,
        ),
        verify(
            "a public value not below the field modulus",
            edited("proof_bigfield.json", &|v| v["instances"][0] = format!("0x{}", "f".repeat(64)).into()),
            exit::BAD_INPUT,
        ),
        verify(
            "`outputs` edited beside valid public values",
            edited("proof_outputs.json", &|v| v["outputs"] = serde_json::json!([[5.0, -3.0]])),
            exit::BAD_INPUT,
        ),
        case(
            "proof file",
            "an opening file with an edited output",
            &["verify", &hashed, &hashed_proof],
            exit::BAD_INPUT,
        ),
        case(
            "proof file",
            "deploy --feed for a build whose inputs are hashed",
            &["deploy", &hashed, "--feed", "0x000000000000000000000000000000000000dEaD", "--price-unit", "100"],
            exit::USAGE,
        ),
        verify("with k edited", edited("proof_k.json", &|v| v["k"] = 25.into()), exit::BAD_INPUT),
        verify("a flipped proof byte", edited("proof_flipped.json", &flip_proof_digit), exit::VERIFICATION_FAILED),
        verify(
            "an extra public value",
            edited("proof_more.json", &|v| {
                v["instances"].as_array_mut().unwrap().push(format!("0x{}", "0".repeat(64)).into())
            }),
            exit::VERIFICATION_FAILED,
        ),
        verify(
            "an edited output value",
            edited("proof_out.json", &|v| {
                let s = v["instances"][4].as_str().unwrap().to_string();
                let last = if s.ends_with('1') { "2" } else { "1" };
                v["instances"][4] = format!("{}{last}", &s[..s.len() - 1]).into();
            }),
            exit::VERIFICATION_FAILED,
        ),
    ]
}

/// Programs zkinfer needs that are missing.
fn tool_cases(f: &Fixture) -> Vec<Case> {
    let build = f.build.display().to_string();
    let out = f.dir.join("never").display().to_string();
    let demo = f.dir.join("demo").display().to_string();
    vec![
        with_env(
            case(
                "tools",
                "solc missing (ZKINFER_SOLC points nowhere)",
                &["solidity", &build, "-o", &out],
                exit::MISSING_TOOL,
            ),
            "ZKINFER_SOLC",
            "/nonexistent/solc",
        ),
        with_env(
            case("tools", "solc that does not run (/bin/false)", &["solidity", &build, "-o", &out], exit::MISSING_TOOL),
            "ZKINFER_SOLC",
            "/bin/false",
        ),
        with_env(
            case("tools", "ANVIL that is not anvil (/usr/bin/yes)", &["demo", "-o", &demo], exit::MISSING_TOOL),
            "ANVIL",
            "/usr/bin/yes",
        ),
        with_env(
            case("tools", "anvil missing (ANVIL points nowhere)", &["demo", "-o", &demo], exit::MISSING_TOOL),
            "ANVIL",
            "/nonexistent/anvil",
        ),
    ]
}

/// The chain: nodes down, slow or of another chain; keys that do not parse or cannot pay; reverts.
fn chain_cases(f: &Fixture, anvil: &str, deployed: &str, slow: &str) -> Vec<Case> {
    let build = f.build.display().to_string();
    let proof = f.proof.display().to_string();
    let text = std::fs::read_to_string(&f.proof).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    flip_proof_digit(&mut v);
    let bad = file(&f.dir, "proof_onchain_bad.json", serde_json::to_string(&v).unwrap());
    let c = |what, a: &[&str], code| case("chain", what, a, code);
    let fresh = variant(&f.build, &f.dir, "never_deployed", |p| {
        let _ = std::fs::remove_file(p.join("deployment.json"));
    });
    let damaged =
        variant(&f.build, &f.dir, "deployment_junk", |p| std::fs::write(p.join("deployment.json"), "{").unwrap());
    let fresh_key = "0x1111111111111111111111111111111111111111111111111111111111111111";
    vec![
        c("no node at the RPC URL", &["deploy", &build, "--rpc-url", "http://127.0.0.1:9"], exit::CHAIN),
        with_env(
            c("a node that never answers", &["deploy", &build, "--rpc-url", slow], exit::CHAIN),
            "ZKINFER_RPC_TIMEOUT",
            "1",
        ),
        with_env(
            c("a node of another chain (ETH_CHAIN_ID)", &["deploy", &build, "--rpc-url", anvil], exit::CHAIN),
            "ETH_CHAIN_ID",
            "1",
        ),
        with_env(
            c("a private key that does not parse", &["deploy", &build, "--rpc-url", anvil], exit::BAD_INPUT),
            "PRIVATE_KEY",
            "0xnotakey",
        ),
        with_env(
            c(
                "a private key of 64 hex digits above the curve order",
                &["deploy", &build, "--rpc-url", anvil],
                exit::BAD_INPUT,
            ),
            "PRIVATE_KEY",
            &"f".repeat(64),
        ),
        with_env(
            c(
                "a failed deploy into a build never deployed (nothing written)",
                &["deploy", &fresh, "--rpc-url", anvil],
                exit::BAD_INPUT,
            ),
            "PRIVATE_KEY",
            "0xnotakey",
        ),
        c("deployment.json not JSON", &["submit", &damaged, &proof, "--rpc-url", anvil], exit::BAD_INPUT),
        with_env(
            c("a keystore that does not exist", &["deploy", &build, "--rpc-url", anvil], exit::BAD_INPUT),
            "ETH_KEYSTORE",
            "/nonexistent.json",
        ),
        with_env(
            c("an account without funds", &["deploy", &build, "--rpc-url", anvil], exit::CHAIN),
            "PRIVATE_KEY",
            fresh_key,
        ),
        c(
            "a proof the contract rejects (revert decoded)",
            &["submit", &build, &bad, "--rpc-url", anvil, "--address", deployed],
            exit::CHAIN,
        ),
        c(
            "a consumer address with no contract",
            &["submit", &build, &proof, "--rpc-url", anvil, "--address", "0x000000000000000000000000000000000000dEaD"],
            exit::CHAIN,
        ),
        c(
            "feed-input for a deployment without a feed",
            &["feed-input", &build, "--rpc-url", anvil, "-o", &f.dir.join("never.json").display().to_string()],
            exit::BAD_INPUT,
        ),
    ]
}

/// Gas prices and balances change from run to run: runs of 7 or more digits become "N…", so the
/// generated table changes only when a message does.
fn long_numbers(s: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        out.push_str(if digits.len() >= 7 { "N…" } else { &digits });
        digits.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Runs one case; returns its message (stderr without "error: ") after checking the contract.
fn run(c: &Case, root: &Path) -> String {
    let before = snapshot(root);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zkinfer"));
    cmd.args(&c.args).env_remove("RUST_BACKTRACE").env_remove("PRIVATE_KEY").env_remove("ETH_KEYSTORE");
    cmd.env_remove("ETH_CHAIN_ID").env_remove("ETH_RPC_URL");
    for (k, v) in &c.env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code().unwrap_or(-1);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let ctx = format!("case `{}: {}` ({:?}) exit {code}, stderr:\n{stderr}", c.group, c.what, c.args);
    assert_eq!(code, c.code, "{ctx}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{ctx}");
    assert_eq!(lines.len(), 1, "{ctx}");
    assert!(lines[0].starts_with("error: "), "{ctx}");
    let after = snapshot(root);
    let changed: Vec<_> = after.keys().chain(before.keys()).filter(|k| after.get(*k) != before.get(*k)).collect();
    assert!(changed.is_empty(), "{ctx}: files changed: {changed:?}");
    lines[0].trim_start_matches("error: ").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_is_one_line_a_documented_exit_code_and_no_change() {
    let f = fixture();
    let anvil = zkinfer::chain::spawn_anvil().unwrap();
    let url = anvil.endpoint();
    let cfg = zkinfer::chain::ClientConfig::new(&url);
    let (d, _) =
        zkinfer::pipeline::deploy(&f.build, &cfg, &zkinfer::chain::build::DeployOptions::plain()).await.unwrap();
    let deployed = d.consumer.to_string();
    // A node that accepts connections and never answers.
    let slow = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let slow_url = format!("http://{}", slow.local_addr().unwrap());
    let mut cases = onnx_cases(&f);
    cases.extend(input_cases(&f));
    cases.extend(usage_cases(&f));
    cases.extend(build_cases(&f));
    cases.extend(proof_cases(&f));
    cases.extend(tool_cases(&f));
    cases.extend(chain_cases(&f, &url, &deployed, &slow_url));
    let root = f.dir.clone();
    let rows: Vec<(usize, &Case, String)> =
        tokio::task::block_in_place(|| cases.iter().enumerate().map(|(i, c)| (i + 1, c, run(c, &root))).collect());
    drop(slow);
    assert!(rows.len() >= 40, "{} cases", rows.len());
    let clean = |s: &str| {
        let s = s.replace(&root.display().to_string(), "$DIR").replace(&url, "$ANVIL").replace(&slow_url, "$SLOW");
        long_numbers(&s.replace(&deployed, "$CONSUMER").replace('|', "\\|"))
    };
    let mut md = String::from(HEADER);
    let mut group = "";
    for (i, c, msg) in &rows {
        if c.group != group {
            group = c.group;
            md.push_str(&format!("\n## {group}\n\n| # | case | command | exit | message |\n|---|---|---|---|---|\n"));
        }
        let env: String = c.env.iter().map(|(k, v)| format!("{k}={} ", clean(v))).collect();
        let cmd = format!("{env}zkinfer {}", clean(&c.args.join(" ")));
        md.push_str(&format!("| {i} | {} | `{cmd}` | {} | {} |\n", c.what, c.code, clean(msg)));
    }
    std::fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors.md"), md).unwrap();
}

const HEADER: &str = "# Errors: every bad input, its exit code and its message

Generated by `tests/cli_errors.rs` (`cargo test --test cli_errors`), which runs each case below
through the `zkinfer` binary and checks that it exits with the code shown, prints exactly one
line (`error: …`) and no panic or backtrace, and leaves every file of the build directories
byte-identical. `$DIR` is the test's scratch directory, `$ANVIL` a local Anvil it starts.

## Exit codes

| code | meaning |
|---|---|
| 0 | success |
| 1 | `zkinfer conformance`: some model failed |
| 2 | usage: a flag (or the environment variable standing for one) is wrong or missing |
| 3 | bad input: a file you gave (model, input, proof, key, build directory) is wrong, missing or another build's |
| 4 | unsupported model: ops with no circuit, values the fixed point cannot hold, a circuit or contract too large |
| 5 | verification failed: the proof was checked and rejected |
| 6 | chain: the node is down, slow or of another chain, the account cannot pay, or the contract reverted |
| 7 | a program zkinfer needs (solc, anvil) is missing |
| 70 | internal: a zkinfer bug (a panic included); please report it |
| 130 | interrupted (Ctrl-C); no half-written file is left |
| 143 | terminated (SIGTERM); no half-written file is left |

Every write goes to a temporary name and is renamed into place, and a build directory is locked
while `compile` or `setup` writes it, so an interrupted or concurrent run never leaves a file a
later command would load as this build's (`tests/interrupts.rs`).
";
