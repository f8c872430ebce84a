//! The cases of the files a user gives: ONNX models, input files, flags.

use super::*;

/// The ONNX front end: files that are not models, models zkinfer cannot take.
pub(super) fn onnx_cases(f: &Fixture) -> Vec<Case> {
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

/// Input files: malformed JSON, wrong shapes, values the circuit cannot take.
pub(super) fn input_cases(f: &Fixture) -> Vec<Case> {
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
            file(d, "huge.json", r#"{"input_data": [[0.5, -9000000, 0.5, 0.5]]}"#),
            exit::BAD_INPUT,
        ),
    ]
}

/// Flags: combinations that prove nothing, values that do not parse.
pub(super) fn usage_cases(f: &Fixture) -> Vec<Case> {
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
