#!/usr/bin/env python3
"""zkinfer against EZKL, model by model, in one run on this machine (`make bench`).

For each model both systems compile, set up, prove and verify, one after the other, each stage
in its own process (so each peak RSS is that stage's alone); both Solidity verifiers are
deployed on one Anvil and called with their own calldata (gas = eth_estimateGas of
verifyProof: 21,000 + calldata + execution). Every figure is the median of --runs runs.
Prints one table with every zkinfer/EZKL ratio; writes JSON (and a PNG when matplotlib is
there) under bench/results/.

Usage: bench/run.py [--models a,b,...] [--runs 3] [--corpus ../shared/corpus]
                    [--timeout 1800] [--zkinfer target/release/zkinfer] [--ezkl-target resources]
       bench/run.py --merge bench/results/A.json B.json ...   (one table of earlier runs)
"""
import argparse, asyncio, inspect, json, os, shutil, signal, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.join(ROOT, "node_modules", ".bin")
MODELS = ["1l_mlp", "4l_relu_conv_fc", "lenet_5", "ltsf", "layernorm", "1l_softmax",
          "self_attention", "nanoGPT", "mnist_gan"]
# Anvil's first dev account (public knowledge; local chain only).
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
RPC = "http://127.0.0.1:8547"


class Failed(Exception):
    """A stage that did not finish: its message is the result for that system and model."""


def finished(stdout):
    """Whether an EZKL stage printed its result line (EZKL_STAGE's JSON)."""
    try:
        return "seconds" in json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return False


def run(cmd, timeout, cwd=None, done=None):
    """Runs one stage in its own process: (wall seconds, peak RSS in MiB, stdout). `done(stdout)`:
    the stage finished even if the process then exited non-zero (EZKL's module sometimes aborts
    while the interpreter shuts down, after its result is printed)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, start_new_session=True)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(child.pid, signal.SIGKILL)
                os.wait4(child.pid, 0)
                raise Failed(f"over {timeout} s: {' '.join(map(str, cmd[:3]))}")
            time.sleep(0.05)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0 and not (done and done(stdout)):
        last = (stderr.strip() or stdout.strip()).splitlines()[-1:] or ["no output"]
        raise Failed(f"{os.path.basename(str(cmd[0]))} {cmd[1] if len(cmd) > 1 else ''}: {last[0][:200]}")
    return wall, usage.ru_maxrss / 1024, stdout


def max_error(outputs, expected):
    """Worst |ours − reference| over every output element."""
    flat = lambda xs: [v for x in xs for v in (flat(x) if isinstance(x, list) else [x])]
    a, b = [float(v) for v in flat(outputs)], [float(v) for v in flat(expected)]
    return max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) and a else float("nan")


def expected_outputs(model_dir):
    e = json.load(open(os.path.join(model_dir, "expected.json")))
    return e.get("output_data", e) if isinstance(e, dict) else e


def gas(address, calldata):
    """eth_estimateGas of one call: the whole transaction, 21,000 and calldata included."""
    payload = json.dumps({"to": address, "data": calldata})
    out = subprocess.run([os.path.join(BIN, "cast"), "rpc", "--rpc-url", RPC, "eth_estimateGas", payload],
                         check=True, capture_output=True, text=True).stdout
    return int(json.loads(out), 16)


def code_size(address):
    out = subprocess.run([os.path.join(BIN, "cast"), "codesize", "--rpc-url", RPC, address],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def deploy(sol, contract, work):
    """Compiles and deploys a Solidity file (and the files beside it, which it may import) with
    forge, solc-js behind tools/solc."""
    project = os.path.join(work, "forge")
    shutil.copytree(os.path.dirname(sol), os.path.join(project, "src"))
    with open(os.path.join(project, "foundry.toml"), "w") as f:
        f.write(f'[profile.default]\nsrc = "src"\nsolc = "{os.path.join(ROOT, "tools", "solc")}"\n'
                'optimizer = true\noptimizer_runs = 1\noffline = true\n')
    out = subprocess.run([os.path.join(BIN, "forge"), "create", f"src/{os.path.basename(sol)}:{contract}", "--rpc-url", RPC,
                          "--private-key", KEY, "--broadcast", "--json"],
                         cwd=project, check=True, capture_output=True, text=True).stdout
    return json.JSONDecoder().raw_decode(out[out.index("{"):])[0]["deployedTo"]


def zkinfer(exe, model_dir, work, timeout, flags=()):
    onnx, data = os.path.join(model_dir, "network.onnx"), os.path.join(model_dir, "input.json")
    build, proof = os.path.join(work, "build"), os.path.join(work, "proof.json")
    r = {}
    r["compile_s"], _, _ = run([exe, "-q", "compile", onnx, "--input", data, "-o", build, *flags], timeout)
    r["setup_s"], r["setup_mb"], _ = run([exe, "-q", "setup", build], timeout)
    wall, r["prove_mb"], _ = run([exe, "-q", "prove", build, "--input", data, "-o", proof], timeout)
    p = json.load(open(proof))
    r["prove_s"], r["prove_wall_s"] = p["prove_seconds"], wall
    r["verify_s"], _, _ = run([exe, "-q", "verify", build, proof], timeout)
    settings = json.load(open(os.path.join(build, "settings.json")))
    r["k"], r["rows"] = settings["k"], settings["rows"]
    r["proof_bytes"] = (len(p["proof"]) - 2) // 2
    r["max_err"] = max_error(p["outputs"], expected_outputs(model_dir))
    sol_dir = os.path.join(work, "sol")
    run([exe, "-q", "solidity", build, "-o", sol_dir], timeout)
    address = deploy(os.path.join(sol_dir, "ZkinferVerifier.sol"), "ZkinferVerifier", work)
    calldata = subprocess.run([os.path.join(BIN, "cast"), "calldata", "verifyProof(bytes,uint256[])", p["proof"],
                               "[" + ",".join(str(int(v, 16)) for v in p["instances"]) + "]"],
                              check=True, capture_output=True, text=True).stdout.strip()
    r["gas"], r["verifier_bytes"] = gas(address, calldata), code_size(address)
    return r


EZKL_STAGE = """
import asyncio, inspect, json, sys, time, ezkl
stage, args = sys.argv[1], json.loads(sys.argv[2])
async def in_loop():
    out = getattr(ezkl, stage)(*args)
    return await out if inspect.isawaitable(out) else out
t = time.perf_counter()
# Most ezkl calls run their own runtime and abort inside a running event loop; the verifier
# generator is a coroutine that needs one.
out = asyncio.run(in_loop()) if stage in ("create_evm_verifier",) else getattr(ezkl, stage)(*args)
print(json.dumps({"seconds": time.perf_counter() - t, "result": out if isinstance(out, (bool, int, str)) else None}))
"""


def ezkl(python, model_dir, work, timeout, target):
    p = lambda n: os.path.join(work, n)
    onnx, data = os.path.join(model_dir, "network.onnx"), os.path.join(model_dir, "input.json")
    def stage(name, *args):
        try:
            return run([python, "-c", EZKL_STAGE, name, json.dumps(list(args))], timeout, done=finished)
        except Failed as e:  # name the stage: "python -c" says nothing
            raise Failed(f"ezkl.{name}: {e}") from None
    timed = lambda name, *args: json.loads(stage(name, *args)[2].strip().splitlines()[-1])["seconds"]
    r = {}
    t0 = time.perf_counter()
    stage("gen_settings", onnx, p("settings.json"))
    stage("calibrate_settings", data, onnx, p("settings.json"), target)
    stage("compile_circuit", onnx, p("network.ezkl"), p("settings.json"))
    r["compile_s"] = time.perf_counter() - t0
    k = json.load(open(p("settings.json")))["run_args"]["logrows"]
    stage("gen_srs", p("kzg.srs"), k)
    stage("gen_witness", data, p("network.ezkl"), p("witness.json"))
    _, r["setup_mb"], out = stage("setup", p("network.ezkl"), p("vk.key"), p("pk.key"), p("kzg.srs"))
    r["setup_s"] = json.loads(out.strip().splitlines()[-1])["seconds"]
    wall, r["prove_mb"], out = stage("prove", p("witness.json"), p("network.ezkl"), p("pk.key"), p("proof.json"),
                                     p("kzg.srs"))
    r["prove_s"], r["prove_wall_s"] = json.loads(out.strip().splitlines()[-1])["seconds"], wall
    r["verify_s"] = timed("verify", p("proof.json"), p("settings.json"), p("vk.key"), p("kzg.srs"))
    r["k"] = k
    settings = json.load(open(p("settings.json")))
    r["rows"] = settings.get("num_rows")
    proof = json.load(open(p("proof.json")))
    hexproof = proof.get("hex_proof") or ""
    r["proof_bytes"] = (len(hexproof) - 2) // 2 if hexproof else len(proof["proof"])
    witness = json.load(open(p("witness.json")))
    r["max_err"] = max_error(witness["pretty_elements"]["rescaled_outputs"], expected_outputs(model_dir))
    os.makedirs(p("sol"))
    stage("create_evm_verifier", p("vk.key"), p("settings.json"), p("sol/Verifier.sol"), p("abi.json"), p("kzg.srs"))
    address = deploy(p("sol/Verifier.sol"), "Halo2Verifier", work)
    stage("encode_evm_calldata", p("proof.json"), p("calldata.bin"))
    calldata = "0x" + open(p("calldata.bin"), "rb").read().hex()
    r["gas"], r["verifier_bytes"] = gas(address, calldata), code_size(address)
    return r


FIELDS = [("k", "k", "{}"), ("rows", "rows", "{}"), ("setup_s", "setup s", "{:.2f}"), ("prove_s", "prove s", "{:.3f}"),
          ("verify_s", "verify s", "{:.2f}"), ("prove_mb", "prove peak MiB", "{:.0f}"),
          ("proof_bytes", "proof B", "{}"), ("gas", "verify gas", "{}"), ("verifier_bytes", "verifier B", "{}"),
          ("max_err", "max err", "{:.1e}")]


def median_of(runs):
    """Per field, the median over the runs that finished (the first failure when none did)."""
    done = [r for r in runs if "failed" not in r]
    if not done:
        return runs[0]
    out = {}
    for key in done[0]:
        values = [r[key] for r in done if isinstance(r.get(key), (int, float))]
        out[key] = statistics.median(values) if values else done[0][key]
    out["runs"] = len(done)
    return out


def cell(r, key, fmt):
    v = r.get(key)
    return "-" if v is None or "failed" in r else fmt.format(v)


def ratio(ours, theirs, key):
    a, b = ours.get(key), theirs.get(key)
    if "failed" in ours or "failed" in theirs or not a or not b:
        return "-"
    return f"{a / b:.2f}"


def table(results):
    head = ["model"] + [f"{label} (ours / EZKL / ratio)" for _, label, _ in FIELDS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in results.items():
        ours, theirs = r["zkinfer"], r.get("ezkl", {"failed": "not run"})
        cells = [name]
        for key, _, fmt in FIELDS:
            cells.append(f"{cell(ours, key, fmt)} / {cell(theirs, key, fmt)} / {ratio(ours, theirs, key)}")
        lines.append("| " + " | ".join(cells) + " |")
    for name, r in results.items():
        for system in r:
            if "failed" in r[system]:
                lines.append(f"\n{name}, {system}: {r[system]['failed']}")
    return "\n".join(lines)


def plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = list(results)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, key, label in ((axes[0], "prove_s", "prove seconds (log)"), (axes[1], "gas", "verifyProof gas")):
        for i, system in enumerate(("zkinfer", "ezkl")):
            ys = [results[n].get(system, {}).get(key) or 0 for n in names]
            ax.bar([x + 0.4 * i for x in range(len(names))], [y or 0 for y in ys], width=0.4, label=system)
        ax.set_xticks([x + 0.2 for x in range(len(names))], names, rotation=30, ha="right")
        ax.set_title(label)
        if key == "prove_s":
            ax.set_yscale("log")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def write(results, meta, out):
    """The table on stdout; JSON and plot under `out`, named by the time."""
    os.makedirs(out, exist_ok=True)
    stamp = meta["date"]
    json.dump({"meta": meta, "results": results}, open(os.path.join(out, f"{stamp}.json"), "w"), indent=1)
    print(table(results))
    png = os.path.join(out, f"{stamp}.png")
    print(f"\nJSON: {os.path.join(out, stamp + '.json')}" + (f"; plot: {png}" if plot(results, png) else ""))


def merge(paths, out):
    """Results of several runs in one table: the big models run once, on their own, after the
    small ones ran three times; each file's meta is kept with the models it gave."""
    results, sources = {}, []
    for path in paths:
        d = json.load(open(path))
        results.update(d["results"])
        sources.append({"file": os.path.basename(path), "models": list(d["results"]), **d["meta"]})
    write(results, {"date": time.strftime("%Y-%m-%d-%H%M") + "-merged", "sources": sources}, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--timeout", type=int, default=1800, help="seconds one stage may take")
    ap.add_argument("--zkinfer", default=os.path.join(ROOT, "target", "release", "zkinfer"))
    ap.add_argument("--ezkl-python", default=os.path.join(ROOT, "build", "ezkl-venv", "bin", "python"))
    ap.add_argument("--ezkl-target", default="resources", choices=["resources", "accuracy"])
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--zkinfer-flags", default="", help="extra `zkinfer compile` flags, e.g. "
                    "\"--input-visibility public --output-visibility public\" for one value per public value")
    ap.add_argument("--ours-only", action="store_true", help="skip EZKL (ratios then show '-')")
    ap.add_argument("--merge", nargs="+", metavar="JSON", help="run nothing: one table, JSON and plot of earlier "
                    "runs' results (a model in several files: the last file's)")
    a = ap.parse_args()
    if a.merge:
        return merge(a.merge, a.out)
    for path, what in ((a.zkinfer, "cargo build --release"), (a.ezkl_python, "make bench"),
                       (os.path.join(BIN, "anvil"), "make deps")):
        if not os.path.exists(path):
            sys.exit(f"bench: {path} is missing: run `{what}` first")
    # EZKL compiles its verifier with solc 0.8.20, which it would download (svm) and cannot here:
    # give it the project's offline solc-js front where svm looks, unless a real one is there.
    svm = os.path.expanduser("~/.svm/0.8.20/solc-0.8.20")
    if not os.path.exists(svm):
        os.makedirs(os.path.dirname(svm), exist_ok=True)
        os.symlink(os.path.join(ROOT, "tools", "solc"), svm)
        print(f"bench: {svm} -> tools/solc (EZKL's verifier compiler, offline)", file=sys.stderr)
    anvil = subprocess.Popen([os.path.join(BIN, "anvil"), "--port", RPC.rsplit(":", 1)[1], "--code-size-limit",
                              "1000000", "--gas-limit", "1000000000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    results = {}
    try:
        for name in a.models.split(","):
            model_dir = os.path.join(a.corpus, name)
            results[name] = {}
            for system in ("zkinfer",) + (() if a.ours_only else ("ezkl",)):
                runs = []
                for i in range(a.runs):
                    print(f"bench: {name}, {system}, run {i + 1} of {a.runs}", file=sys.stderr, flush=True)
                    with tempfile.TemporaryDirectory(prefix="bench-") as work:
                        try:
                            if system == "zkinfer":
                                runs.append(zkinfer(a.zkinfer, model_dir, work, a.timeout, a.zkinfer_flags.split()))
                            else:
                                runs.append(ezkl(a.ezkl_python, model_dir, work, a.timeout, a.ezkl_target))
                        except Exception as e:  # a system failing on a model is a result too
                            detail = e.stderr if isinstance(e, subprocess.CalledProcessError) and e.stderr else e
                            runs.append({"failed": f"{type(e).__name__}: {str(detail).strip()[:300]}"})
                            break  # a failure repeats; do not spend the timeout twice
                results[name][system] = median_of(runs)
    finally:
        anvil.terminate()
    meta = {"date": time.strftime("%Y-%m-%d-%H%M"), "runs": a.runs, "ezkl_target": a.ezkl_target,
            "cores": os.cpu_count(), "zkinfer_flags": a.zkinfer_flags}
    write(results, meta, a.out)


if __name__ == "__main__":
    main()
