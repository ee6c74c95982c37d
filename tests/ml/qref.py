#!/usr/bin/env python3
"""qref.py: an independent reference implementation of qmodel v1 inference
(docs/qmodel.md), written from the spec with Python's unbounded integers -- the same
arithmetic the Solidity twin does on int256. It reads the vectors that
`test_qvectors --emit` prints (one JSON object per line, on stdin or a file), recomputes
every case and reports any difference. Exit status 0 when all cases agree.

Usage: qref.py [VECTORS.jsonl]
"""
import json
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_tables  # noqa: E402  (the spec's tables, derived with decimal arithmetic)

SIG, TANH, EXP2, LOG2E_Q24 = gen_tables.tables()
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def rshr(v, s):
    return v if s == 0 else (v + (1 << (s - 1))) >> s  # >> floors in Python


def sat32(v):
    return max(I32_MIN, min(I32_MAX, v))


def interp(t, k, f, b):
    return t[k] + rshr((t[k + 1] - t[k]) * f, b)


def sigmoid(v):
    def pos(u):
        if u >= 16 << 16:
            return SIG[512]
        return interp(SIG, u >> 11, u & 0x7FF, 11)
    return pos(v) if v >= 0 else 65536 - pos(-v)


def tanh(v):
    def pos(u):
        if u >= 8 << 16:
            return TANH[512]
        return interp(TANH, u >> 10, u & 0x3FF, 10)
    return pos(v) if v >= 0 else -pos(-v)


def softmax(q):
    m = max(q)
    E = []
    for qj in q:
        d = m - qj
        t = rshr(d * LOG2E_Q24, 24)
        e, r = t >> 16, t & 0xFFFF
        g = interp(EXP2, r >> 8, r & 0xFF, 8)
        E.append(0 if e >= 31 else rshr(g, e))
    S = sum(E)
    return [(Ej * 65536 + S // 2) // S for Ej in E]


class Reader:
    def __init__(self, b):
        self.b, self.pos = b, 0

    def take(self, n):
        if self.pos + n > len(self.b):
            raise ValueError("truncated")
        v = self.b[self.pos:self.pos + n]
        self.pos += n
        return v

    def u(self, n):
        return int.from_bytes(self.take(n), "big")

    def i(self, n):
        return int.from_bytes(self.take(n), "big", signed=True)


def parse(b):
    r = Reader(b)
    assert r.take(4) == b"M2CQ"
    m = {}
    m["version"], m["kind"], m["frac"], m["transform"] = r.u(1), r.u(1), r.u(1), r.u(1)
    m["d_in"], m["d_out"] = r.u(1), r.u(1)
    m["n_in"], m["n_out"], m["count"] = r.u(2), r.u(2), r.u(2)
    assert m["version"] == 1 and m["frac"] == 16
    m["in"] = [(r.i(32), r.u(4), r.u(1)) for _ in range(m["n_in"])]
    if m["kind"] == 4:
        m["base"] = [r.i(4) for _ in range(m["n_out"])]
        trees = []
        for _ in range(m["count"]):
            out, n = r.u(2), r.u(2)
            nodes = [(r.u(2), r.i(4), r.u(2)) for _ in range(n)]
            trees.append((out, nodes))
        m["trees"] = trees
    else:
        layers, fan_in = [], m["n_in"]
        for _ in range(m["count"]):
            width, act = r.u(2), r.u(1)
            w = [[r.i(4) for _ in range(fan_in)] for _ in range(width)]
            bias = [r.i(4) for _ in range(width)]
            layers.append((act, w, bias))
            fan_in = width
        m["layers"] = layers
    m["out"] = [(r.i(32), r.u(1), r.i(32)) for _ in range(m["n_out"])]
    assert r.pos == len(b), "trailing bytes"
    return m


ACT = {0: lambda v: v, 1: lambda v: max(v, 0), 2: tanh, 3: sigmoid}


def predict(m, x):
    for xi in x:
        if not -(1 << 191) <= xi < (1 << 191):
            return None
    z = [sat32(rshr((xi - mean) * mul, sh)) for xi, (mean, mul, sh) in zip(x, m["in"])]
    if m["kind"] == 4:
        s = list(m["base"])
        for out, nodes in m["trees"]:
            k = 0
            while nodes[k][0] != 0xFFFF:
                f, thr, right = nodes[k]
                k = k + 1 if z[f] < thr else right
            s[out] += nodes[k][1]
        q = [sat32(v) for v in s]
    else:
        a = z
        for act, w, bias in m["layers"]:
            a = [ACT[act](sat32(rshr(bj * 65536 + sum(wj * ai for wj, ai in zip(row, a)), 16)))
                 for row, bj in zip(w, bias)]
        q = a
    t = m["transform"]
    if t == 1:
        p = [sigmoid(q[0])]
    elif t == 2:
        p = softmax(q)
    else:
        p = q
    y = [rshr(pj * mul, sh) + add for pj, (mul, sh, add) in zip(p, m["out"])]
    if t == 1:
        label = 1 if p[0] >= 32768 else 0
    elif t == 2:
        label = p.index(max(p))  # first maximum: lowest index on ties
    else:
        label = None
    return p, y, label


def main():
    f = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    models = cases = bad = 0
    for line in f:
        if not line.strip():
            continue
        v = json.loads(line)
        m = parse(bytes.fromhex(v["model"][2:]))
        models += 1
        for c in v["cases"]:
            cases += 1
            x = [int(s) for s in c["x"]]
            got = predict(m, x)
            if got is None:
                ok = c.get("error") == "range"
            else:
                p, y, label = got
                ok = ("error" not in c and c["q"] == p and [int(s) for s in c["y"]] == y
                      and c["label"] == label)
            if not ok:
                bad += 1
                if bad <= 5:
                    print("mismatch: model %d (%s) case %s: reference %r" %
                          (models, v["kind"], json.dumps(c)[:300], got), file=sys.stderr)
    print("qref: %d models, %d cases, %d mismatches" % (models, cases, bad))
    return 1 if bad or cases == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
