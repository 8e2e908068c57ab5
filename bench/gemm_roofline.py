"""The native limit for the roofline line of `./build.sh bench web --vs-ort`: what a plain f32
GEMM (numpy's OpenBLAS, one thread) reaches on this CPU, once on a large square product (the
machine's practical peak) and once on the matrix products of one full curve of the model at
their own shapes (n context points, Q queries; the same products the ONNX graph has), so the
report can say how far from the limit each runtime in the browser is.

  python bench/gemm_roofline.py --embd 64 --layers 4 --heads 4 --bins 500 --families 2 --dims 1 --n 40 --q 256
  python bench/gemm_roofline.py --arch target/bench-web/model.onnx.json --n 40 --q 256

Prints one JSON line: {"square": {"size", "gflops"}, "curve": {"n", "q", "flops", "ms",
"gflops"}, "numpy", "blas"}.
"""

import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread settings)


def best_seconds(fn, repeats, inner=1):
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - t0) / inner)
    return best


def curve_products(e, layers, heads, bins, families, dims, n, q, rng):
    """The (lhs, rhs) pairs of one curve, in graph order: read-in, per block the context's and
    the queries' projections and attention products (the last block's context needs only its
    keys and values), then the heads and the mean."""
    f = lambda *shape: rng.standard_normal(shape, dtype=np.float32)  # noqa: E731
    hd = e // heads
    pairs = [(f(n, dims + 1), f(dims + 1, e)), (f(q, dims + 1), f(dims + 1, e))]
    for layer in range(layers):
        last = layer == layers - 1
        for m, whole in ((n, not last), (q, True)):
            pairs.append((f(m, e), f(e, 3 * e)))
            if whole:
                pairs += [(f(m, e), f(e, e)), (f(m, e), f(e, 4 * e)), (f(m, 4 * e), f(4 * e, e))]
        for _ in range(heads):
            if not last:
                pairs += [(f(n, hd), f(hd, n)), (f(n, n), f(n, hd))]
            pairs += [(f(q, hd), f(hd, n)), (f(q, n), f(n, hd))]
    pairs += [(f(q, e), f(e, bins)), (f(q, e), f(e, families)), (f(q, bins), f(bins, 1))]
    return pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, default in [("embd", 64), ("layers", 4), ("heads", 4), ("bins", 500), ("families", 2), ("dims", 1), ("n", 40), ("q", 256), ("square", 1024)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--arch", help="the architecture from bench/export_onnx.py's <out>.json (overrides the sizes)")
    args = parser.parse_args()
    if args.arch:
        with open(args.arch) as f:
            side = json.load(f)
        c = side["config"]
        args.embd, args.layers, args.heads, args.dims = c["n_embd"], c["n_layer"], c["n_head"], c["n_dims"]
        args.bins, args.families = len(side["borders"]) - 1, len(c["families"])
    rng = np.random.default_rng(0)
    s = args.square
    a, b = rng.standard_normal((s, s), dtype=np.float32), rng.standard_normal((s, s), dtype=np.float32)
    square_s = best_seconds(lambda: a @ b, 5)
    pairs = curve_products(args.embd, args.layers, args.heads, args.bins, args.families, args.dims, args.n, args.q, rng)
    flops = sum(2 * l.shape[0] * l.shape[1] * r.shape[1] for l, r in pairs)
    curve_s = best_seconds(lambda: [l @ r for l, r in pairs], 20, inner=5)
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    except Exception:  # noqa: BLE001 (older numpy)
        blas = "unknown"
    print(json.dumps({
        "square": {"size": s, "gflops": 2 * s**3 / square_s / 1e9},
        "curve": {"n": args.n, "q": args.q, "flops": flops, "ms": curve_s * 1e3, "gflops": flops / curve_s / 1e9},
        "numpy": np.__version__,
        "blas": blas,
        "threads": os.environ["OPENBLAS_NUM_THREADS"],
    }))


if __name__ == "__main__":
    main()
