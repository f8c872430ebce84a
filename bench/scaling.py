#!/usr/bin/env python3
"""Scaling study: prove time and peak memory of zkinfer and EZKL on MLPs and convolution nets of
growing size (2^12 … 2^22 multiply-adds, `examples/scaling_models.rs`), one after the other on
this machine, and the growth exponent of each (least squares of log prove time on log
multiply-adds). `make scaling`; docs/performance.md has the last run.

Each stage runs in its own process (its peak RSS is its own), as in bench/run.py, whose helpers
this reuses. A stage over --timeout seconds (or out of memory) ends that system's family: the
next size would only take longer.

Usage: bench/scaling.py [--models build/scaling/models] [--steps 12,14,16,18,20] [--timeout 900]
                        [--ours-only] [--out bench/results]
"""
import argparse, json, math, os, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as bench  # noqa: E402  (bench/run.py: stage runner, EZKL stage script)


def multiply_adds(name):
    """The exact multiply-adds of a generated model, from its size parameter."""
    family, m = name.split("_")
    m = int(m)
    if family == "mlp":
        n = round(2 ** ((m - 1) / 2))
        return 2 * n * n
    c = max(1, round(2 ** ((m - 11.17) / 2)))
    return 9 * c * c * 16 * 16


def zkinfer(exe, model_dir, work, timeout):
    onnx, data = os.path.join(model_dir, "network.onnx"), os.path.join(model_dir, "input.json")
    build, proof = os.path.join(work, "build"), os.path.join(work, "proof.json")
    bench.run([exe, "-q", "compile", onnx, "--input", data, "-o", build], timeout)
    bench.run([exe, "-q", "setup", build], timeout)
    wall, mb, _ = bench.run([exe, "-q", "prove", build, "--input", data, "-o", proof], timeout)
    k = json.load(open(os.path.join(build, "settings.json")))["k"]
    return {"k": k, "prove_s": json.load(open(proof))["prove_seconds"], "prove_wall_s": wall, "prove_mb": mb}


def ezkl(python, model_dir, work, timeout):
    p = lambda n: os.path.join(work, n)
    onnx, data = os.path.join(model_dir, "network.onnx"), os.path.join(model_dir, "input.json")
    stage = lambda name, *args: bench.run([python, "-c", bench.EZKL_STAGE, name, json.dumps(list(args))], timeout,
                                          done=bench.finished)
    stage("gen_settings", onnx, p("settings.json"))
    stage("calibrate_settings", data, onnx, p("settings.json"), "resources")
    stage("compile_circuit", onnx, p("network.ezkl"), p("settings.json"))
    k = json.load(open(p("settings.json")))["run_args"]["logrows"]
    stage("gen_srs", p("kzg.srs"), k)
    stage("gen_witness", data, p("network.ezkl"), p("witness.json"))
    stage("setup", p("network.ezkl"), p("vk.key"), p("pk.key"), p("kzg.srs"))
    wall, mb, out = stage("prove", p("witness.json"), p("network.ezkl"), p("pk.key"), p("proof.json"), p("kzg.srs"))
    return {"k": k, "prove_s": json.loads(out.strip().splitlines()[-1])["seconds"], "prove_wall_s": wall,
            "prove_mb": mb}


def exponent(points):
    """Least-squares slope of log(prove s) on log(multiply-adds), over at least three points."""
    if len(points) < 3:
        return None
    xs, ys = [math.log(x) for x, _ in points], [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=os.path.join(bench.ROOT, "build", "scaling", "models"))
    ap.add_argument("--steps", default="12,14,16,18,20")
    ap.add_argument("--families", default="mlp,conv")
    ap.add_argument("--timeout", type=int, default=900, help="seconds one stage may take")
    ap.add_argument("--zkinfer", default=os.path.join(bench.ROOT, "target", "release", "zkinfer"))
    ap.add_argument("--ezkl-python", default=os.path.join(bench.ROOT, "build", "ezkl-venv", "bin", "python"))
    ap.add_argument("--ours-only", action="store_true")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    a = ap.parse_args()
    if not os.path.isdir(a.models):
        sys.exit(f"scaling: {a.models} is missing: run `cargo run --release --example scaling_models` first")
    systems = ("zkinfer",) + (() if a.ours_only else ("ezkl",))
    rows, gave_up = [], set()
    for family in a.families.split(","):
        for m in a.steps.split(","):
            name = f"{family}_{m}"
            row = {"model": name, "multiply_adds": multiply_adds(name)}
            for system in systems:
                if (family, system) in gave_up:
                    row[system] = {"failed": "a smaller model already exceeded the limits"}
                    continue
                print(f"scaling: {name}, {system}", file=sys.stderr, flush=True)
                with tempfile.TemporaryDirectory(prefix="scaling-") as work:
                    try:
                        go = zkinfer if system == "zkinfer" else ezkl
                        exe = a.zkinfer if system == "zkinfer" else a.ezkl_python
                        row[system] = go(exe, os.path.join(a.models, name), work, a.timeout)
                    except Exception as e:  # over the limit, out of memory, refused: a result too
                        row[system] = {"failed": f"{type(e).__name__}: {str(e).strip()[:200]}"}
                        if str(e).startswith("over ") or "Killed" in str(e) or "memory" in str(e).lower():
                            gave_up.add((family, system))
            rows.append(row)
    print("| model | multiply-adds | " + " | ".join(f"{s} k | {s} prove s | {s} peak MiB" for s in systems)
          + (" | prove ratio |" if len(systems) == 2 else " |"))
    print("|---|---|" + "---|---|---|" * len(systems) + ("---|" if len(systems) == 2 else ""))
    for r in rows:
        cells = []
        for s in systems:
            x = r[s]
            cells += [str(x.get("k", "-")), f"{x['prove_s']:.3f}" if "prove_s" in x else x["failed"][:40],
                      f"{x['prove_mb']:.0f}" if "prove_mb" in x else "-"]
        ratio = ""
        if len(systems) == 2:
            o, e = r["zkinfer"], r["ezkl"]
            ratio = f" {o['prove_s'] / e['prove_s']:.3f} |" if "prove_s" in o and "prove_s" in e else " - |"
        print(f"| {r['model']} | {r['multiply_adds']:,} | " + " | ".join(cells) + " |" + ratio)
    fits = {}
    for family in a.families.split(","):
        for s in systems:
            pts = [(r["multiply_adds"], r[s]["prove_s"]) for r in rows
                   if r["model"].startswith(family + "_") and "prove_s" in r[s]]
            # Over every size, and over the largest three: small sizes are mostly fixed cost (process
            # start, key loading, a k floor), so the last three show the growth that remains.
            e, top = exponent(pts), exponent(pts[-3:])
            fits[f"{family} {s}"] = e
            fits[f"{family} {s} largest 3"] = top
            print(f"growth exponent, {family}, {s}: " + (f"{e:.2f} over {len(pts)} sizes" if e else "too few sizes")
                  + (f", {top:.2f} over the largest 3" if top else ""))
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, time.strftime("%Y-%m-%d-%H%M") + "-scaling.json")
    json.dump({"rows": rows, "exponents": fits}, open(path, "w"), indent=1)
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    main()
