#!/usr/bin/env python3
"""Re-derives the qmodel v1 nonlinearity tables (docs/qmodel.md section 6) with 60-digit
decimal arithmetic, independent of any float library, and prints them as C arrays, or as
the spec's text with --md, or checks that a C header (src/ml/qmodel_tables.h) holds exactly
these values with --check FILE. Rounding is half-up; no entry is a tie."""
import sys
from decimal import Decimal, getcontext, ROUND_HALF_UP

getcontext().prec = 60
ONE = Decimal(1)


def rnd(x):
    q = x.quantize(ONE, rounding=ROUND_HALF_UP)
    frac = abs(x - x.to_integral_value(rounding="ROUND_FLOOR"))
    assert abs(frac - Decimal("0.5")) > Decimal("1e-30"), "tie"
    return int(q)


def tables():
    sig = [rnd(Decimal(65536) / (ONE + (Decimal(-k) / 32).exp())) for k in range(513)]
    tanh = []
    for k in range(513):
        e2 = (Decimal(2 * k) / 64).exp()
        tanh.append(rnd(Decimal(65536) * (e2 - ONE) / (e2 + ONE)))
    ln2 = Decimal(2).ln()
    exp2 = [rnd(Decimal(2**30) * (-(Decimal(k) / 256) * ln2).exp()) for k in range(257)]
    log2e = rnd(Decimal(2**24) / ln2)
    return sig, tanh, exp2, log2e


def c_array(name, v):
    rows = [", ".join(str(x) for x in v[i:i + 8]) for i in range(0, len(v), 8)]
    return "static const int32_t %s[%d] = {\n    %s};\n" % (name, len(v), ",\n    ".join(rows))


def main():
    sig, tanh, exp2, log2e = tables()
    if len(sys.argv) > 2 and sys.argv[1] == "--check":
        import re
        text = open(sys.argv[2]).read()
        ok = True
        for name, v in (("M2C_Q_SIG", sig), ("M2C_Q_TANH", tanh), ("M2C_Q_EXP2", exp2)):
            m = re.search(r"%s\[\d+\] = \{([^}]*)\}" % name, text)
            got = [int(x) for x in m.group(1).replace("\n", " ").split(",")] if m else None
            if got != v:
                print("%s: %s differs from the spec's table" % (sys.argv[2], name))
                ok = False
        m = re.search(r"M2C_Q_LOG2E_Q24 (\d+)", text)
        if not m or int(m.group(1)) != log2e:
            print("%s: M2C_Q_LOG2E_Q24 differs" % sys.argv[2])
            ok = False
        print("tables: %s" % ("match" if ok else "MISMATCH"))
        sys.exit(0 if ok else 1)
    if len(sys.argv) > 1 and sys.argv[1] == "--md":
        for name, v in (("SIG", sig), ("TANH", tanh), ("EXP2", exp2)):
            print("%s[0..%d] =" % (name, len(v) - 1))
            for i in range(0, len(v), 8):
                print("  %3d: %s" % (i, " ".join("%d" % x for x in v[i:i + 8])))
            print()
        print("LOG2E_Q24 =", log2e)
        return
    print(c_array("M2C_Q_SIG", sig))
    print(c_array("M2C_Q_TANH", tanh))
    print(c_array("M2C_Q_EXP2", exp2))
    print("#define M2C_Q_LOG2E_Q24 %d" % log2e)


if __name__ == "__main__":
    main()
