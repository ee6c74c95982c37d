#!/usr/bin/env python3
"""qmodel_gen.py: writes synthetic qmodel v1 files (docs/qmodel.md) for the gas benchmark.

  qmodel_gen.py mlp N_IN H1[,H2...] N_OUT ACT     dense MLP, hidden activation ACT (0..3)
  qmodel_gen.py gbdt N_IN TREES DEPTH             full binary trees of DEPTH splits, 1 output

Prints the model as 0x-hex. Weights are seeded pseudo-random small Q16 values; the file is
valid for the loader (the benchmark checks the call succeeds)."""
import random
import sys

rng = random.Random(0x6761730a)


def be(v, n):
    return (v % (1 << (8 * n))).to_bytes(n, "big")


def header(kind, transform, n_in, n_out, count):
    return b"M2CQ" + bytes([1, kind, 16, transform, 18, 18]) + be(n_in, 2) + be(n_out, 2) + be(count, 2)


def in_recs(n_in):
    # mean 0, mul/2^shift ~ 2^16/1e18 (the worked example of docs/qmodel.md section 11)
    return b"".join(be(0, 32) + be(2475880079, 4) + be(75, 1) for _ in range(n_in))


def out_recs(n_out):
    return b"".join(be(10**18, 32) + be(16, 1) + be(0, 32) for _ in range(n_out))


def mlp(n_in, hidden, n_out, act):
    widths = hidden + [n_out]
    body = b""
    fan = n_in
    for i, w in enumerate(widths):
        a = act if i + 1 < len(widths) else 0
        body += be(w, 2) + bytes([a])
        body += b"".join(be(rng.randint(-65536, 65536), 4) for _ in range(w * fan))
        body += b"".join(be(rng.randint(-65536, 65536), 4) for _ in range(w))
        fan = w
    return header(3, 0, n_in, n_out, len(widths)) + in_recs(n_in) + body + out_recs(n_out)


def tree(n_in, depth):
    nodes = []

    def sub(d):
        me = len(nodes)
        nodes.append(None)
        if d == depth:
            nodes[me] = be(0xFFFF, 2) + be(rng.randint(-65536, 65536), 4) + be(0, 2)
            return
        sub(d + 1)
        right = len(nodes)
        sub(d + 1)
        nodes[me] = be(rng.randrange(n_in), 2) + be(rng.randint(-131072, 131072), 4) + be(right, 2)

    sub(0)
    return be(0, 2) + be(len(nodes), 2) + b"".join(nodes)


def gbdt(n_in, trees, depth):
    body = be(0, 4) + b"".join(tree(n_in, depth) for _ in range(trees))
    return header(4, 0, n_in, 1, trees) + in_recs(n_in) + body + out_recs(1)


def main():
    a = sys.argv[1:]
    if a and a[0] == "mlp" and len(a) == 5:
        m = mlp(int(a[1]), [int(v) for v in a[2].split(",")], int(a[3]), int(a[4]))
    elif a and a[0] == "gbdt" and len(a) == 4:
        m = gbdt(int(a[1]), int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)
    print("0x" + m.hex())


if __name__ == "__main__":
    main()
