# Generates tests/data/u256_vectors.txt with Python integers: python3 tests/data/u256_vectors.py > tests/data/u256_vectors.txt
import random
random.seed(20261125)
M = 1 << 256
H = 1 << 255
special = [0, 1, 2, 3, 10, (1<<64)-1, 1<<64, (1<<64)+1, (1<<128)-1, 1<<128, H-1, H, H+1,
           M-1, M-2, M-3, 10**77, 10**19, 10**19-1, (1<<192)+12345]
def rnd():
    r = random.random()
    if r < 0.25: return random.choice(special)
    if r < 0.35: return (M - random.getrandbits(random.randint(1, 100))) % M  # small negative
    return random.getrandbits(random.randint(0, 256))
def s(x): return x - M if x >= H else x
def tw(x): return x % M
def hx(x): return hex(x)
def sdiv(a, b):
    sa, sb = s(a), s(b)
    q = abs(sa) // abs(sb)
    if (sa < 0) != (sb < 0): q = -q
    return tw(q)
def smod(a, b):
    sa, sb = s(a), s(b)
    r = abs(sa) % abs(sb)
    return tw(-r if sa < 0 else r)
print("# u256 vectors computed with Python integers (independent of the C code).")
print("# a b | a+b carry | a-b borrow | a*b overflow | a/b a%b sdiv smod (- when b = 0)")
print("# | signed overflow of add sub mul. a and b decimal, results hex.")
# Divisions where algorithm D's first quotient digit estimate is one too large and the
# divisor must be added back (the 64-bit-digit analogue of Hacker's Delight's divmnu cases).
addback = [((1 << 191) + 3, (1 << 189) + 1), ((1 << 255) + (3 << 64), (1 << 253) + (1 << 64)),
           ((1 << 255) + 3, (1 << 189) + 1), ((1 << 192) - 1, (1 << 128) - 1)]
pairs = ([(x, y) for x in special for y in special[:8]] + addback
         + [(rnd(), rnd()) for _ in range(300)])
for a, b in pairs:
    add = a + b; sub = a - b; mul = a * b
    sa, sb = s(a), s(b)
    iao = int(not (-H <= sa + sb < H)); iso = int(not (-H <= sa - sb < H)); imo = int(not (-H <= sa * sb < H))
    if b:
        d = f"{hx(a // b)} {hx(a % b)} {hx(sdiv(a, b))} {hx(smod(a, b))}"
    else:
        d = "- - - -"
    print(f"{a} {b} {hx(tw(add))} {int(add >= M)} {hx(tw(sub))} {int(sub < 0)} {hx(tw(mul))} {int(mul >= M)} {d} {iao} {iso} {imo}")
