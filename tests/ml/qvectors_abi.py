#!/usr/bin/env python3
"""qvectors_abi.py: converts the qmodel test vectors (docs/qmodel.md section 10, one JSON object
per line from `test_qvectors --emit`) into the file the Solidity twin's forge test replays
(contracts/test/verify/QModelVectors.t.sol):

    {"models": ["0x<model bytes>", ...],
     "cases":  ["0x<abi.encode(uint256 model, int256[] x, bool rangeError, int256[] q, int256[] y)>", ...],
     "mutants": ["0x<abi.encode(bool valid, bytes model, int256[] y)>", ...]}

The mutants (optional second argument: the output of `test_qvectors --mutants`) are model files
the C loader accepts or rejects; `y` is the C output for an all-zero input when it accepts.

Every number is carried over exactly (Python integers); nothing is recomputed here.

usage: qvectors_abi.py [MUTANTS.jsonl] < vectors.jsonl > vectors.json
"""
import json
import sys


def word(v):
    if not -(1 << 255) <= v < (1 << 255):
        raise ValueError("value does not fit int256: %d" % v)
    return (v % (1 << 256)).to_bytes(32, "big")


def arr(vals):
    return word(len(vals)) + b"".join(word(v) for v in vals)


def encode_case(model, x, err, q, y):
    tails = [arr(x), arr(q), arr(y)]
    head_len = 5 * 32
    off_x = head_len
    off_q = off_x + len(tails[0])
    off_y = off_q + len(tails[1])
    head = word(model) + word(off_x) + word(1 if err else 0) + word(off_q) + word(off_y)
    return "0x" + (head + b"".join(tails)).hex()


def encode_mutant(valid, model, y):
    raw = bytes.fromhex(model[2:])
    padded = raw + b"\0" * (-len(raw) % 32)
    tail_model = word(len(raw)) + padded
    head = word(1 if valid else 0) + word(96) + word(96 + len(tail_model))
    return "0x" + (head + tail_model + arr(y)).hex()


def main():
    models, cases = [], []
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        obj = json.loads(line)
        mi = len(models)
        models.append(obj["model"])
        for c in obj["cases"]:
            x = [int(s) for s in c["x"]]
            if c.get("error"):
                if c["error"] != "range":
                    raise ValueError("unknown error kind %r" % c["error"])
                cases.append(encode_case(mi, x, True, [], []))
            else:
                q = [int(v) for v in c["q"]]
                y = [int(s) for s in c["y"]]
                cases.append(encode_case(mi, x, False, q, y))
    mutants = []
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as f:
            for line in f:
                if line.strip():
                    obj = json.loads(line)
                    y = [int(v) for v in obj.get("y", [])]
                    mutants.append(encode_mutant(obj["valid"], obj["model"], y))
    json.dump({"models": models, "cases": cases, "mutants": mutants}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
