"""PyTorch reference for the training-speed benchmark.

The same model and the same training step as the Rust trainer on the `bench` preset
(presets/bench.toml): Garg et al.'s interleaved x/y encoding on a pre-LN GPT-2 backbone
(4 layers, 128 wide, 4 heads, tanh-GELU MLP, learned positions, final LayerNorm), a K = 64 bar
distribution head and a family head read at the x-tokens; batch 64 prompts of 40 points
(80 tokens), d = 5 dense linear tasks y = w.x / sqrt(5), w, x ~ N(0, I); loss = bar NLL +
family cross-entropy; backward; global-norm clipping at 1.0; AdamW (betas 0.9/0.999, eps 1e-8,
weight decay 0.01 on matrices) with the linear warm-up learning rate. A fresh batch every step.

Differences that do not change the cost: the bar borders are empirical quantiles of y and the
tails' half-normal shape term is replaced by the tail bins' width (both constants per target).

Run through bench/run_torch.sh (installs torch into a throw-away venv). Prints seconds per
step (median of the timed steps, after warm-up), the phase split, and peak RSS; `--json` adds
one machine-readable line; `--profile` prints the top ops by self CPU time.
"""

import argparse
import json
import math
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# presets/bench.toml
N_DIMS, MAX_POINTS, N_EMBD, N_LAYER, N_HEAD, BINS, FAMILIES = 5, 40, 128, 4, 4, 64, 1
BATCH, LR, WARMUP, BETAS, EPS, WEIGHT_DECAY, GRAD_CLIP = 64, 5e-4, 1000, (0.9, 0.999), 1e-8, 0.01, 1.0
INIT_STD, LN_EPS = 0.02, 1e-5


class Block(nn.Module):
    """Pre-LN GPT-2 block: x + attn(ln_1(x)), then + mlp(ln_2(.))."""

    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(N_EMBD, eps=LN_EPS)
        self.c_attn = nn.Linear(N_EMBD, 3 * N_EMBD)
        self.attn_proj = nn.Linear(N_EMBD, N_EMBD)
        self.ln_2 = nn.LayerNorm(N_EMBD, eps=LN_EPS)
        self.c_fc = nn.Linear(N_EMBD, 4 * N_EMBD)
        self.mlp_proj = nn.Linear(4 * N_EMBD, N_EMBD)

    def forward(self, x):
        b, t, e = x.shape
        hd = e // N_HEAD
        qkv = self.c_attn(self.ln_1(x))  # [b, t, 3E]
        q, k, v = qkv.view(b, t, 3, N_HEAD, hd).permute(2, 0, 3, 1, 4)  # 3 x [b, H, t, hd]
        scores = (q / math.sqrt(hd)) @ k.transpose(-1, -2)  # [b, H, t, t]
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        att = scores.masked_fill(mask, float("-inf")).softmax(-1)  # [b, H, t, t]
        y = (att @ v).transpose(1, 2).reshape(b, t, e)  # [b, t, E]
        x = x + self.attn_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class IclTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.read_in = nn.Linear(N_DIMS, N_EMBD)
        self.wpe = nn.Parameter(torch.randn(2 * MAX_POINTS, N_EMBD) * (INIT_STD / 2))
        self.h = nn.ModuleList(Block() for _ in range(N_LAYER))
        self.ln_f = nn.LayerNorm(N_EMBD, eps=LN_EPS)
        self.bar_head = nn.Linear(N_EMBD, BINS)
        self.family_head = nn.Linear(N_EMBD, FAMILIES)
        proj_std = INIT_STD / math.sqrt(2 * N_LAYER)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() == 2 and name != "wpe":
                nn.init.normal_(p, 0.0, proj_std if name.endswith("_proj.weight") else INIT_STD)

    def forward(self, xs, ys):
        b, n, d = xs.shape
        ytok = F.pad(ys.unsqueeze(-1), (0, N_DIMS - 1))  # [b, n, d]
        tokens = torch.stack([xs, ytok], 2).reshape(b, 2 * n, N_DIMS)  # [b, 2n, d]
        h = self.read_in(tokens) + self.wpe[: 2 * n]  # [b, 2n, E]
        for block in self.h:
            h = block(h)
        h = self.ln_f(h)[:, 0::2]  # [b, n, E] at the x-tokens
        return self.bar_head(h), self.family_head(h)  # [b, n, K], [b, n, F]


def sample_batch(gen):
    xs = torch.randn(BATCH, MAX_POINTS, N_DIMS, generator=gen)  # [b, n, d]
    w = torch.randn(BATCH, N_DIMS, 1, generator=gen)  # [b, d, 1]
    ys = (xs @ w).squeeze(-1) / math.sqrt(N_DIMS)  # [b, n]
    families = torch.zeros(BATCH, dtype=torch.long)  # one family: linear
    return xs, ys, families


def bar_borders(gen):
    samples = torch.cat([sample_batch(gen)[1].flatten() for _ in range(40)])
    return torch.quantile(samples, torch.linspace(0, 1, BINS + 1))


def loss_fn(model, borders, log_widths, xs, ys, families):
    bar_logits, family_logits = model(xs, ys)
    bins = (torch.bucketize(ys, borders) - 1).clamp(0, BINS - 1)  # [b, n]
    log_p = F.log_softmax(bar_logits, -1).gather(-1, bins.unsqueeze(-1)).squeeze(-1)  # [b, n]
    bar_nll = -(log_p - log_widths[bins]).mean()
    b, n, f = family_logits.shape
    family_ce = F.cross_entropy(family_logits.reshape(b * n, f), families.repeat_interleave(n))
    return bar_nll + family_ce


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20, help="timed steps")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="also print one JSON line")
    ap.add_argument("--profile", action="store_true", help="print top ops by self CPU time")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(1)
    model = IclTransformer()
    borders = bar_borders(gen)
    log_widths = torch.log(borders[1:] - borders[:-1])
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
        lr=LR, betas=BETAS, eps=EPS,
    )

    phases = {"sample": [], "forward": [], "backward": [], "optimizer": []}
    totals, losses = [], []
    for step in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        xs, ys, families = sample_batch(gen)
        t1 = time.perf_counter()
        loss = loss_fn(model, borders, log_widths, xs, ys, families)
        t2 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t3 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        for g in opt.param_groups:
            g["lr"] = LR * (step + 1) / WARMUP
        opt.step()
        t4 = time.perf_counter()
        losses.append(loss.item())
        if step >= args.warmup:
            for key, dt in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                phases[key].append(dt)
            totals.append(t4 - t0)

    med = statistics.median(totals)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    params = sum(p.numel() for p in model.parameters())
    print(f"pytorch {torch.__version__}, {args.threads} threads, {params} parameters")
    print(f"pytorch: {med:.4f} s/step (median of {len(totals)}; min {min(totals):.4f}, "
          f"mean {statistics.mean(totals):.4f}), peak RSS {rss_mib:.0f} MiB")
    print("pytorch phases (median s): " + ", ".join(f"{k} {statistics.median(v):.4f}" for k, v in phases.items()))
    print(f"pytorch loss: first {losses[0]:.3f}, last {losses[-1]:.3f}")
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(3):
                xs, ys, families = sample_batch(gen)
                loss = loss_fn(model, borders, log_widths, xs, ys, families)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
                opt.step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
    if args.json:
        print(json.dumps({
            "framework": "pytorch", "version": torch.__version__, "threads": args.threads,
            "parameters": params, "s_per_step_median": med, "s_per_step_min": min(totals),
            "steps": len(totals), "peak_rss_mib": rss_mib,
            "phases_median_s": {k: statistics.median(v) for k, v in phases.items()},
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
