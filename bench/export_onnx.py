"""Exports a prefix-encoded incontext model (.safetensors) to ONNX, for the comparison with
onnxruntime-web in `./build.sh bench web --vs-ort` (bench-side only: nothing here is served by
the page or needed at run time).

The graph is the forward pass of the project's inference session (src/model/session.rs,
transformer.rs, tokens.rs), node for node:

  inputs   context_x [n, D], context_y [n], query_x [Q, D]   (float32; D = the model's n_dims;
           n >= 1: the comparison's contexts are never empty)
  tokens   context rows [x | y] + wtt[0], query rows [x | 0] + wtt[1], each through read_in
  blocks   pre-LN GPT-2: h + c_proj(attn(ln_1 h)), then h + mlp(ln_2 h), mlp = c_proj(gelu(c_fc))
           with tanh-GELU; LayerNorm eps 1e-5. Context tokens attend to every context token;
           each query token attends to every context token and to itself only (the prefix
           encoding of prior-fitted networks), so the context runs once per block and the
           queries are one batch against its keys and values, as the session does with its
           cache (the last block's context MLP is not needed and not built).
  heads    ln_f, then bar_head (K logits) and family_head (F logits) at the query tokens
  outputs  bar_logits [Q, K], family_logits [Q, F], probs [Q, K] (softmax), family_probs
           [Q, F] (softmax), mean [Q] (probs · the bar distribution's bin means: inner bins'
           mid-points, the half-normal tails' means, as BarDistribution::mean)

Weights stay f16 in the file (as in the .safetensors the page downloads) behind Cast nodes to
f32; onnxruntime folds the casts when it creates the session. The bar borders and the bin means
with the architecture are written to <out>.json for the JavaScript side (quantiles, FLOPs).

  python bench/export_onnx.py www/models/linear+sinusoid.safetensors target/bench-web/model.onnx
  python bench/export_onnx.py MODEL OUT --check   # also runs onnx's reference evaluator on a
                                                  # seeded context and prints the outputs' shapes
"""

import argparse
import json
import math
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # LayerNormalization
LN_EPS = 1e-5
HALF_NORMAL_MEDIAN = 0.6744897501960817


def read_safetensors(path):
    """The tensors (numpy arrays, f16 or f32) and the model metadata of a .safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    meta = json.loads(header.pop("__metadata__")["incontext"])
    dtypes = {"F16": np.float16, "F32": np.float32}
    body = data[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in dtypes:
            sys.exit(f"export_onnx: tensor {name} has dtype {info['dtype']}; only F16 and F32 are supported")
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors, meta


def bin_means(borders):
    """Each bin's mean under the bar distribution (src/predictive.rs, BarDistribution::mean)."""
    b = np.asarray(borders, dtype=np.float64)
    k = len(b) - 1
    sl = (b[2] - b[1]) / HALF_NORMAL_MEDIAN
    sr = (b[k - 1] - b[k - 2]) / HALF_NORMAL_MEDIAN
    m1 = math.sqrt(2.0 / math.pi)
    means = 0.5 * (b[:-1] + b[1:])
    means[0] = b[1] - sl * m1
    means[k - 1] = b[k - 1] + sr * m1
    return means


class Graph:
    """A small builder: unique names, f16 initializers behind casts, constants."""

    def __init__(self, tensors):
        self.tensors = tensors
        self.nodes = []
        self.initializers = []
        self.count = 0
        self.weights = {}

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def op(self, op_type, inputs, hint=None, **attrs):
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def ops(self, op_type, inputs, n_out, hint=None, **attrs):
        outs = [self.name(hint or op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, **attrs))
        return outs

    def weight(self, key, array=None):
        """The stored tensor `key` as f32 (cast from f16 when stored so), once per key."""
        if key in self.weights:
            return self.weights[key]
        value = self.tensors[key] if array is None else array
        stored = key.replace(".", "_")
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), stored))
        out = stored if value.dtype == np.float32 else self.op("Cast", [stored], stored + "_f32", to=TensorProto.FLOAT)
        self.weights[key] = out
        return out

    def const(self, hint, value, dtype=np.float32):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name


def build(tensors, meta):
    cfg = meta["config"]
    if cfg.get("encoding") != "prefix":
        sys.exit(f"export_onnx: only the prefix encoding is exported (this model is {cfg.get('encoding', 'interleaved')})")
    e, n_head, n_layer, d = cfg["n_embd"], cfg["n_head"], cfg["n_layer"], cfg["n_dims"]
    hd = e // n_head
    k_bins, n_fam = cfg["bins"], len(cfg["families"])
    g = Graph(tensors)

    def linear(x, prefix):  # x [m, in] → [m, out]: x·Wᵀ + b (W is [out, in])
        return g.op("Gemm", [x, g.weight(f"{prefix}.weight"), g.weight(f"{prefix}.bias")], prefix.replace(".", "_"), transB=1)

    def layer_norm(x, prefix):
        return g.op("LayerNormalization", [x, g.weight(f"{prefix}.weight"), g.weight(f"{prefix}.bias")], prefix.replace(".", "_"), axis=-1, epsilon=LN_EPS)

    def gelu(x):  # ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        x3 = g.op("Mul", [g.op("Mul", [x, x]), x])
        inner = g.op("Mul", [g.op("Add", [x, g.op("Mul", [x3, g.const("gelu_c", 0.044715)])]), g.const("gelu_s", math.sqrt(2.0 / math.pi))])
        return g.op("Mul", [g.op("Mul", [x, g.const("half", 0.5)]), g.op("Add", [g.op("Tanh", [inner]), g.const("one", 1.0)])], "gelu")

    heads_shape = g.const("heads_shape", [-1, n_head, hd], np.int64)
    merged_shape = g.const("merged_shape", [-1, e], np.int64)
    scale = g.const("scale", 1.0 / math.sqrt(hd))

    def split_heads(qkv):  # [m, 3E] → three [H, m, hd]
        parts = g.ops("Split", [qkv, g.const("split3", [e, e, e], np.int64)], 3, "qkv", axis=-1)
        return [g.op("Transpose", [g.op("Reshape", [p, heads_shape])], perm=[1, 0, 2]) for p in parts]

    def merge_heads(y):  # [H, m, hd] → [m, E]
        return g.op("Reshape", [g.op("Transpose", [y], perm=[1, 0, 2]), merged_shape])

    # Tokens: [x | y] for the context, [x | 0] for the queries; read_in, plus the token type row.
    wtt = tensors["wtt"]
    ctx_rows = g.op("Concat", ["context_x", g.op("Unsqueeze", ["context_y", g.const("axis1", [1], np.int64)])], axis=1)
    q_rows = g.op("Pad", ["query_x", g.const("pad_y", [0, 0, 0, 1], np.int64)])  # a zero column
    hc = g.op("Add", [linear(ctx_rows, "read_in"), g.weight("wtt.context", wtt[0])], "embed_context")
    hq = g.op("Add", [linear(q_rows, "read_in"), g.weight("wtt.query", wtt[1])], "embed_query")

    for i in range(n_layer):
        p = f"h.{i}"
        last = i == n_layer - 1
        # Attention: the context among itself; each query against the context and itself.
        qc, kc, vc = split_heads(linear(layer_norm(hc, f"{p}.ln_1"), f"{p}.attn.c_attn"))  # [H, n, hd]
        qq, kq, vq = split_heads(linear(layer_norm(hq, f"{p}.ln_1"), f"{p}.attn.c_attn"))  # [H, Q, hd]
        kc_t = g.op("Transpose", [kc], perm=[0, 2, 1])  # [H, hd, n]
        qq = g.op("Mul", [qq, scale])
        prefix_scores = g.op("MatMul", [qq, kc_t])  # [H, Q, n]
        self_score = g.op("ReduceSum", [g.op("Mul", [qq, kq]), g.const("axis_last", [-1], np.int64)], keepdims=1)  # [H, Q, 1]
        att = g.op("Softmax", [g.op("Concat", [prefix_scores, self_score], axis=-1)], axis=-1)  # [H, Q, n + 1]
        n_ctx = g.op("Shape", [kc], start=1, end=2)  # [1]: n
        att_prefix, att_self = g.ops("Split", [att, g.op("Concat", [n_ctx, g.const("one_i", [1], np.int64)], axis=0)], 2, "att", axis=-1)
        yq = g.op("Add", [g.op("MatMul", [att_prefix, vc]), g.op("Mul", [att_self, vq])])  # [H, Q, hd]
        hq = g.op("Add", [hq, linear(merge_heads(yq), f"{p}.attn.c_proj")], f"{p}_q_attn")
        hq = g.op("Add", [hq, linear(gelu(linear(layer_norm(hq, f"{p}.ln_2"), f"{p}.mlp.c_fc")), f"{p}.mlp.c_proj")], f"{p}_q_out")
        if not last:
            qc = g.op("Mul", [qc, scale])
            att_c = g.op("Softmax", [g.op("MatMul", [qc, kc_t])], axis=-1)  # [H, n, n]
            hc = g.op("Add", [hc, linear(merge_heads(g.op("MatMul", [att_c, vc])), f"{p}.attn.c_proj")], f"{p}_c_attn")
            hc = g.op("Add", [hc, linear(gelu(linear(layer_norm(hc, f"{p}.ln_2"), f"{p}.mlp.c_fc")), f"{p}.mlp.c_proj")], f"{p}_c_out")

    h = layer_norm(hq, "ln_f")
    outputs = {
        "bar_logits": linear(h, "bar_head"),
        "family_logits": linear(h, "family_head"),
    }
    outputs["probs"] = g.op("Softmax", [outputs["bar_logits"]], axis=-1)
    outputs["family_probs"] = g.op("Softmax", [outputs["family_logits"]], axis=-1)
    means = g.const("bin_means", bin_means(meta["borders"]).reshape(k_bins, 1))
    outputs["mean"] = g.op("Reshape", [g.op("MatMul", [outputs["probs"], means]), g.const("flat", [-1], np.int64)])
    for name, src in outputs.items():
        g.nodes.append(helper.make_node("Identity", [src], [name]))

    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        g.nodes,
        "incontext",
        [
            helper.make_tensor_value_info("context_x", f32, ["n", d]),
            helper.make_tensor_value_info("context_y", f32, ["n"]),
            helper.make_tensor_value_info("query_x", f32, ["Q", d]),
        ],
        [
            helper.make_tensor_value_info("bar_logits", f32, ["Q", k_bins]),
            helper.make_tensor_value_info("family_logits", f32, ["Q", n_fam]),
            helper.make_tensor_value_info("probs", f32, ["Q", k_bins]),
            helper.make_tensor_value_info("family_probs", f32, ["Q", n_fam]),
            helper.make_tensor_value_info("mean", f32, ["Q"]),
        ],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="incontext bench/export_onnx.py")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a prefix-encoded .safetensors file")
    parser.add_argument("out", help="where to write the .onnx file (and <out>.json: borders, bin means, families)")
    parser.add_argument("--check", action="store_true", help="run onnx's reference evaluator once on a seeded context")
    args = parser.parse_args()
    tensors, meta = read_safetensors(args.model)
    model = build(tensors, meta)
    onnx.save(model, args.out)
    side = {
        "borders": meta["borders"],
        "bin_means": bin_means(meta["borders"]).tolist(),
        "families": meta["config"]["families"],
        "config": meta["config"],
    }
    with open(args.out + ".json", "w") as f:
        json.dump(side, f)
    print(f"export_onnx: {args.out} ({len(model.SerializeToString())} bytes, {len(model.graph.node)} nodes, opset {OPSET})", file=sys.stderr)
    if args.check:
        from onnx.reference import ReferenceEvaluator

        rng = np.random.default_rng(0)
        d = meta["config"]["n_dims"]
        feeds = {
            "context_x": rng.normal(size=(7, d)).astype(np.float32),
            "context_y": rng.normal(size=7).astype(np.float32),
            "query_x": np.linspace(-3, 3, 5, dtype=np.float32).reshape(5, 1).repeat(d, axis=1),
        }
        outs = ReferenceEvaluator(model).run(None, feeds)
        for name, value in zip(["bar_logits", "family_logits", "probs", "family_probs", "mean"], outs):
            print(f"  {name} {value.shape} e.g. {value.reshape(-1)[:3]}", file=sys.stderr)


if __name__ == "__main__":
    main()
