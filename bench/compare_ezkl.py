#!/usr/bin/env python3
"""Same model, same run, same machine: EZKL (the pip package, a benchmark-only peer) against
zkinfer. Prints k, prove seconds, proof bytes and peak memory of each, and the ratios.

Usage: bench/compare_ezkl.py MODEL.onnx INPUT.json [MODEL.onnx INPUT.json ...]
       (run through `make bench-ezkl`, which installs ezkl into build/ezkl-venv)
"""
import json, os, resource, subprocess, sys, tempfile, time

ZKINFER = os.environ.get("ZKINFER", "target/debug/zkinfer")


def ezkl_run(model, data, work):
    import ezkl
    p = lambda n: os.path.join(work, n)
    ezkl.gen_settings(model, p("settings.json"))
    ezkl.calibrate_settings(data, model, p("settings.json"), "resources")
    ezkl.compile_circuit(model, p("network.ezkl"), p("settings.json"))
    logrows = json.load(open(p("settings.json")))["run_args"]["logrows"]
    ezkl.gen_srs(p("kzg.srs"), logrows)
    ezkl.gen_witness(data, p("network.ezkl"), p("witness.json"))
    ezkl.setup(p("network.ezkl"), p("vk.key"), p("pk.key"), p("kzg.srs"))
    t = time.perf_counter()
    ezkl.prove(p("witness.json"), p("network.ezkl"), p("pk.key"), p("proof.json"), p("kzg.srs"))
    seconds = time.perf_counter() - t
    assert ezkl.verify(p("proof.json"), p("settings.json"), p("vk.key"), p("kzg.srs"))
    proof = json.load(open(p("proof.json")))
    hexproof = proof.get("hex_proof") or ""
    nbytes = (len(hexproof) - 2) // 2 if hexproof else len(proof["proof"])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"k": logrows, "prove_s": seconds, "proof_bytes": nbytes, "peak_mb": rss}


def zkinfer_run(model, data, work):
    build = os.path.join(work, "build")
    run = lambda *a: subprocess.run([ZKINFER, *a], check=True, capture_output=True, text=True)
    run("compile", model, "--input", data, "-o", build)
    run("setup", build)
    proof = os.path.join(work, "proof.json")
    # wait4 gives this one child's peak RSS (RUSAGE_CHILDREN would be the max over all children).
    child = subprocess.Popen([ZKINFER, "prove", build, "--input", data, "-o", proof],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    assert status == 0, "zkinfer prove failed"
    rss = usage.ru_maxrss / 1024
    run("verify", build, proof)
    p = json.load(open(proof))
    k = json.load(open(os.path.join(build, "settings.json")))["k"]
    return {"k": k, "prove_s": p["prove_seconds"], "proof_bytes": (len(p["proof"]) - 2) // 2, "peak_mb": rss}


def main(args):
    if len(args) < 2 or len(args) % 2:
        sys.exit(__doc__)
    print("| model | EZKL k | ours k | EZKL prove s | ours prove s | speed-up | EZKL proof B | ours proof B | EZKL peak MB (python process) | ours peak MB (prove) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    pairs = list(zip(args[::2], args[1::2]))
    # All zkinfer runs first: once ezkl is imported, a forked child inherits the Python
    # process's resident pages in its peak RSS, which would blur our memory figure.
    ours = []
    for model, data in pairs:
        with tempfile.TemporaryDirectory() as w:
            ours.append(zkinfer_run(model, data, w))
    for (model, data), o in zip(pairs, ours):
        name = os.path.basename(os.path.dirname(os.path.abspath(model)))
        with tempfile.TemporaryDirectory() as w:
            try:
                t = ezkl_run(os.path.abspath(model), os.path.abspath(data), w)
            except Exception as e:  # EZKL failing on a model is a result too
                print(f"| {name} | failed: {e} | {o['k']} | - | {o['prove_s']:.3f} | - | - | {o['proof_bytes']} | - | {o['peak_mb']:.0f} |")
                continue
        print(f"| {name} | {t['k']} | {o['k']} | {t['prove_s']:.3f} | {o['prove_s']:.3f} | "
              f"{t['prove_s'] / o['prove_s']:.1f}× | {t['proof_bytes']} | {o['proof_bytes']} | "
              f"{t['peak_mb']:.0f} | {o['peak_mb']:.0f} |")

if __name__ == "__main__":
    main(sys.argv[1:])
