//! The cases of what zkinfer made or talks to: build directories, proof files, tools, the chain.

use super::*;

/// Build directories: steps out of order, files edited, truncated, or of another build.
pub(super) fn build_cases(f: &Fixture) -> Vec<Case> {
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

/// Proof files: another build's, cut, padded, edited.
pub(super) fn proof_cases(f: &Fixture) -> Vec<Case> {
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
                // The last public value: the outputs' (packed) word.
                let i = v["instances"].as_array().unwrap().len() - 1;
                let s = v["instances"][i].as_str().unwrap().to_string();
                let last = if s.ends_with('1') { "2" } else { "1" };
                v["instances"][i] = format!("{}{last}", &s[..s.len() - 1]).into();
            }),
            exit::VERIFICATION_FAILED,
        ),
    ]
}

/// Programs zkinfer needs that are missing.
pub(super) fn tool_cases(f: &Fixture) -> Vec<Case> {
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
pub(super) fn chain_cases(f: &Fixture, anvil: &str, deployed: &str, slow: &str) -> Vec<Case> {
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
