#!/usr/bin/env python3
"""A stand-in for vLLM's hidden-state export, for the Compose stack on machines without a GPU.

It writes one safetensors file per "request" in the format of vLLM's ExampleHiddenStatesConnector
(`extract_hidden_states` speculative method): tensors `token_ids` [seq] int64 and `hidden_states`
[seq, layers, hidden] (bf16 by default), written in place beside a `NAME.safetensors.lock` file that is
created (truncated) first and left behind, as the connector does. Python standard library only.

Ground truth is planted: every request is harmful-like or harmless-like. At each layer of the layer axis the
last prompt token is mu + noise (harmless) or mu + s * r + noise (harmful), noise ~ N(0, I), r a fixed unit
direction and s the separation (full at the last axis layer, half at the others); earlier tokens are noise around
mu. The request id (the file name) carries the label: `req-00000042-harmful`. Everything is seeded, so the training
set and the live traffic come from the same distribution.

Commands:
  serve      write a labelled training set once (--train-out DIR/{harmful,harmless}, then DIR/READY), then live
             files into --out at --rate per second with a harmful share read from --control-file (a number in
             [0, 1]; edit it to inject a refusal-rate shift) or --harmful-share
  write      write one live file now and print "written EPOCH_SECONDS REQUEST_ID" (latency probes)
  set-share  write a harmful share into the control file
"""
import argparse
import array
import json
import math
import os
import random
import sys
import time

LABELS = ("harmless", "harmful")


class Model:
    """The planted distribution: per axis layer a mean mu and a unit direction r."""

    def __init__(self, hidden, layers, separation, seed):
        rnd = random.Random(seed)
        self.hidden = hidden
        self.layers = layers
        self.mu = [[rnd.gauss(0.0, 0.5) for _ in range(hidden)] for _ in range(layers)]
        self.r = []
        for _ in range(layers):
            v = [rnd.gauss(0.0, 1.0) for _ in range(hidden)]
            n = math.sqrt(sum(x * x for x in v))
            self.r.append([x / n for x in v])
        # Full separation at the last axis layer, half at the others: the trainer should pick the last.
        self.sep = [separation * (1.0 if l == layers - 1 else 0.5) for l in range(layers)]

    def hidden_states(self, rnd, seq, harmful):
        """Row-major [seq, layers, hidden] values."""
        out = []
        for t in range(seq):
            last = t == seq - 1
            for l in range(self.layers):
                mu, r, s = self.mu[l], self.r[l], self.sep[l]
                shift = s if (last and harmful) else 0.0
                out.extend(mu[j] + shift * r[j] + rnd.gauss(0.0, 1.0) for j in range(self.hidden))
        return out


def _bf16_bytes(values):
    f = array.array("f", values)
    if sys.byteorder != "little":
        f.byteswap()
    u = array.array("I")
    u.frombytes(f.tobytes())
    if sys.byteorder != "little":
        u.byteswap()
    # Round to nearest even, keep the upper 16 bits (finite values only).
    h = array.array("H", (((b + 0x7FFF + ((b >> 16) & 1)) >> 16) & 0xFFFF for b in u))
    if sys.byteorder != "little":
        h.byteswap()
    return h.tobytes()


def _f32_bytes(values):
    f = array.array("f", values)
    if sys.byteorder != "little":
        f.byteswap()
    return f.tobytes()


def _i64_bytes(values):
    q = array.array("q", values)
    if sys.byteorder != "little":
        q.byteswap()
    return q.tobytes()


def safetensors_bytes(token_ids, hidden_states, shape, dtype):
    ids = _i64_bytes(token_ids)
    hs = _bf16_bytes(hidden_states) if dtype == "bf16" else _f32_bytes(hidden_states)
    header = {
        "__metadata__": {"format": "pt"},
        "hidden_states": {"dtype": "BF16" if dtype == "bf16" else "F32", "shape": list(shape),
                          "data_offsets": [0, len(hs)]},
        "token_ids": {"dtype": "I64", "shape": [len(token_ids)], "data_offsets": [len(hs), len(hs) + len(ids)]},
    }
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return len(text).to_bytes(8, "little") + text + hs + ids


def write_request(directory, request_id, model, rnd, harmful, seq_range, dtype, lock=True):
    """Writes DIR/REQUEST_ID.safetensors the way vLLM's connector does; returns its path."""
    seq = rnd.randint(seq_range[0], seq_range[1])
    token_ids = [rnd.randint(100, 32000) for _ in range(seq)]
    data = safetensors_bytes(token_ids, model.hidden_states(rnd, seq, harmful), (seq, model.layers, model.hidden), dtype)
    path = os.path.join(directory, request_id + ".safetensors")
    if lock:
        # The connector creates (O_TRUNC) and flocks NAME.safetensors.lock before writing, and never removes it.
        os.close(os.open(path + ".lock", os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o664))
    with open(path, "wb") as f:
        f.write(data)
    return path


def read_share(control_file, default):
    try:
        with open(control_file, encoding="utf-8") as f:
            v = float(f.read().strip())
        return v if 0.0 <= v <= 1.0 else default
    except (OSError, ValueError):
        return default


def pending(directory):
    try:
        return sum(1 for n in os.listdir(directory) if n.endswith(".safetensors"))
    except OSError:
        return 0


def model_of(args):
    return Model(args.hidden_size, args.layers, args.separation, args.seed)


def cmd_serve(args):
    model = model_of(args)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(os.path.dirname(args.control_file) or ".", exist_ok=True)
    seq_range = (args.seq_min, args.seq_max)
    if args.train_out:
        ready = os.path.join(args.train_out, "READY")
        if not os.path.exists(ready):
            rnd = random.Random(args.seed + 1)
            for label in LABELS:
                d = os.path.join(args.train_out, label)
                os.makedirs(d, exist_ok=True)
                for i in range(args.train_per_class):
                    write_request(d, "train-%06d-%s" % (i, label), model, rnd, label == "harmful", seq_range,
                                  args.dtype, lock=False)
            with open(ready, "w", encoding="utf-8") as f:
                f.write("%d per class\n" % args.train_per_class)
            print("vllm-standin: training set written to %s (%d per class)" % (args.train_out, args.train_per_class),
                  flush=True)
    if args.rate <= 0:
        # Idle: keeps the shared volume's folders (and ownership) in place next to a real vLLM server.
        print("vllm-standin: rate 0, writing no live files", flush=True)
        while True:
            time.sleep(3600)
    rnd = random.Random(args.seed + 2 + int(time.time()))
    share = read_share(args.control_file, args.harmful_share)
    print("vllm-standin: started; writing %s files of d = %d, %d layers, %.1f per second into %s, harmful share %.2f"
          % (args.dtype, args.hidden_size, args.layers, args.rate, args.out, share), flush=True)
    n = 0
    next_check = 0.0
    interval = 1.0 / args.rate
    next_write = time.monotonic()
    written = {label: 0 for label in LABELS}
    while args.count <= 0 or n < args.count:
        now = time.monotonic()
        if now >= next_check:
            s = read_share(args.control_file, args.harmful_share)
            if s != share:
                print("vllm-standin: harmful share %.2f -> %.2f (%s)" % (share, s, args.control_file), flush=True)
                share = s
            if pending(args.out) >= args.max_pending:
                print("vllm-standin: %d files not yet taken by the bridge; pausing" % args.max_pending, flush=True)
                while pending(args.out) >= args.max_pending:
                    time.sleep(1.0)
                next_write = time.monotonic()
            next_check = now + 1.0
        if now < next_write:
            time.sleep(min(next_write - now, 0.2))
            continue
        harmful = rnd.random() < share
        label = LABELS[1] if harmful else LABELS[0]
        write_request(args.out, "req-%09d-%s" % (n, label), model, rnd, harmful, seq_range, args.dtype)
        written[label] += 1
        n += 1
        next_write += interval
        if n % args.report_every == 0:
            print("vllm-standin: %d files written (%d harmful, %d harmless)" % (n, written["harmful"],
                                                                             written["harmless"]), flush=True)
    return 0


def cmd_write(args):
    model = model_of(args)
    os.makedirs(args.out, exist_ok=True)
    rnd = random.Random()
    write_request(args.out, args.request_id, model, rnd, args.label == "harmful", (args.seq_min, args.seq_max), args.dtype)
    print("written %.6f %s" % (time.time(), args.request_id), flush=True)
    return 0


def cmd_set_share(args):
    os.makedirs(os.path.dirname(args.control_file) or ".", exist_ok=True)
    tmp = args.control_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("%s\n" % args.share)
    os.replace(tmp, args.control_file)
    print("harmful share set to %s in %s" % (args.share, args.control_file))
    return 0


def env(name, default):
    return os.environ.get("STANDIN_" + name, default)


def main(argv=None):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", default=env("OUT", "/shared/hidden"), help="live folder the bridge watches")
    common.add_argument("--hidden-size", type=int, default=int(env("HIDDEN_SIZE", "64")))
    common.add_argument("--layers", type=int, default=int(env("LAYERS", "2")),
                        help="length of the layer axis (the bridge's --axis-layers names them)")
    common.add_argument("--separation", type=float, default=float(env("SEPARATION", "4.0")),
                        help="harmful shift along r at the last axis layer, in noise standard deviations")
    common.add_argument("--seed", type=int, default=int(env("SEED", "7")), help="seed of mu and r (the 'model')")
    common.add_argument("--seq-min", type=int, default=4)
    common.add_argument("--seq-max", type=int, default=16)
    common.add_argument("--dtype", choices=("bf16", "f32"), default=env("DTYPE", "bf16"))
    common.add_argument("--control-file", default=env("CONTROL_FILE", "/shared/control/harmful-share"))

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", parents=[common], help="training set, then live files")
    s.add_argument("--train-out", default=env("TRAIN_OUT", ""), help="write the labelled training set here first")
    s.add_argument("--train-per-class", type=int, default=int(env("TRAIN_PER_CLASS", "300")))
    s.add_argument("--rate", type=float, default=float(env("RATE", "20")), help="live files per second (0: none)")
    s.add_argument("--harmful-share", type=float, default=float(env("HARMFUL_SHARE", "0.1")),
                   help="share of harmful requests while the control file is absent")
    s.add_argument("--count", type=int, default=int(env("COUNT", "0")), help="stop after this many (0 = never)")
    s.add_argument("--max-pending", type=int, default=int(env("MAX_PENDING", "2000")),
                   help="pause while this many files wait for the bridge")
    s.add_argument("--report-every", type=int, default=int(env("REPORT_EVERY", "1000")))
    s.set_defaults(run=cmd_serve)
    w = sub.add_parser("write", parents=[common], help="one file now (latency probe)")
    w.add_argument("--request-id", required=True)
    w.add_argument("--label", choices=LABELS, default="harmless")
    w.set_defaults(run=cmd_write)
    c = sub.add_parser("set-share", parents=[common], help="set the harmful share of live traffic")
    c.add_argument("share", type=float)
    c.set_defaults(run=cmd_set_share)
    args = p.parse_args(argv)
    if args.command == "set-share" and not 0.0 <= args.share <= 1.0:
        p.error("the share must be in [0, 1]")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
