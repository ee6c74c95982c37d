# gen_abi_cases.awk: random ABI types and values in the text form `cast abi-encode` takes, for
# tests/integration/test_abi_vs_cast.sh. Usage: awk -v seed=N -v n=CASES -f gen_abi_cases.awk
# Prints one case per line: the comma-joined types, then each argument, separated by \037
# (ASCII unit separator: not whitespace, so empty arguments survive `read`).
function hex(k,   s, i) {
    s = ""
    for (i = 0; i < k; i++) s = s substr("0123456789abcdef", int(rand() * 16) + 1, 1)
    return s
}
function pick(list,   a, m) {
    m = split(list, a, " ")
    return a[int(rand() * m) + 1]
}
function gentype(depth,   r, n, i, s) {
    r = rand()
    if (depth <= 0 || r < 0.55) {
        return pick("uint8 uint16 uint32 uint64 uint128 uint256 uint int8 int16 int40 int64 int128 int256 int address bool bytes1 bytes4 bytes20 bytes31 bytes32 bytes string string")
    }
    if (r < 0.75) {
        n = int(rand() * 3) + 1
        s = "("
        for (i = 0; i < n; i++) s = s (i ? "," : "") gentype(depth - 1)
        return s ")"
    }
    if (r < 0.9) return gentype(depth - 1) "[]"
    return gentype(depth - 1) "[" (int(rand() * 3) + 1) "]"
}
# Splits a tuple type "(a,b[],(c,d))" into its components (global COMP[1..], returns count).
function split_tuple(t,   i, c, d, cur, n) {
    n = 0; d = 0; cur = ""
    for (i = 2; i < length(t); i++) {
        c = substr(t, i, 1)
        if (c == "(") d++
        if (c == ")") d--
        if (c == "," && d == 0) { COMP[++n] = cur; cur = "" } else cur = cur c
    }
    COMP[++n] = cur
    return n
}
function genint(bits, signed,   r, digits, v, lim) {
    r = rand()
    lim = bits >= 24 ? 200000 : 2 ^ (signed ? bits - 1 : bits)
    if (signed) {
        if (r < 0.15) return "-0x8" substr("000000000000000000000000000000000000000000000000000000000000000", 1, bits / 4 - 1)
        if (r < 0.3) return "0x7" substr("fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 1, bits / 4 - 1)
        if (r < 0.5) return "-" int(rand() * lim)
        if (r < 0.65) return int(rand() * lim)
        digits = int(rand() * (bits / 4 - 1)) + 1
        v = "0x" substr("1234567", int(rand() * 7) + 1, 1) hex(digits - 1)
        return (rand() < 0.5 ? "-" : "") v
    }
    if (r < 0.15) return "0x" substr("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 1, bits / 4)
    if (r < 0.25) return "0"
    if (r < 0.5) return int(rand() * lim)
    if (r < 0.55 && bits >= 64) return int(rand() * 9 + 1) "e" int(rand() * 18)
    if (r < 0.6 && bits >= 64) return int(rand() * 9 + 1) " gwei"
    digits = int(rand() * (bits / 4)) + 1
    return "0x" hex(digits)
}
function genstr(nested,   n, i, s, a) {
    n = int(rand() * 12)
    s = ""
    for (i = 0; i < n; i++) {
        a = rand()
        if (a < 0.7) s = s substr("abcdefghijklmnopqrstuvwxyzABCDEF0123456789", int(rand() * 42) + 1, 1)
        else if (a < 0.8) s = s " "
        else if (a < 0.9) s = s substr(".-_:;!?@#$%^&*=+/<>{}|~`'", int(rand() * 25) + 1, 1)
        else s = s pick("é ü ß € 日本 \\ \\n")
    }
    if (nested) {
        # inside [..] and (..): quoted, so commas are fine; or bare, trimmed of spaces
        if (rand() < 0.5) return "\"" s ",x\""
        gsub(/^ +| +$/, "", s)
        return s == "" ? "\"\"" : s # a bare empty string would read as no element
    }
    gsub(/ +$/, "", s)
    return s
}
function genval(t, nested,   m, e, k, n, i, s, base) {
    if (t ~ /\]$/) {
        m = match(t, /\[[0-9]*\]$/)
        e = substr(t, 1, m - 1)
        k = substr(t, m + 1, RLENGTH - 2)
        n = (k == "") ? int(rand() * 4) : k + 0
        s = "["
        for (i = 0; i < n; i++) s = s (i ? ", " : "") genval(e, 1)
        return s "]"
    }
    if (t ~ /^\(/) {
        n = split_tuple(t)
        base = ++KEY # awk has no local arrays: each frame keeps its components under a key
        for (i = 1; i <= n; i++) PART[base, i] = COMP[i]
        s = "("
        for (i = 1; i <= n; i++) s = s (i > 1 ? ", " : "") genval(PART[base, i], 1)
        return s ")"
    }
    if (t == "uint" || t == "int") t = t "256"
    if (t ~ /^uint/) return genint(substr(t, 5) + 0, 0)
    if (t ~ /^int/) return genint(substr(t, 4) + 0, 1)
    if (t == "address") return "0x" hex(40)
    if (t == "bool") return rand() < 0.5 ? "true" : "false"
    if (t == "bytes") return "0x" hex(2 * int(rand() * 40))
    if (t ~ /^bytes/) return "0x" hex(2 * substr(t, 6))
    if (t == "string") return genstr(nested)
    return "?"
}
BEGIN {
    srand(seed)
    for (c = 0; c < n; c++) {
        k = int(rand() * 4) + 1
        types = ""; vals = ""
        for (j = 0; j < k; j++) {
            t = gentype(3)
            types = types (j ? "," : "") t
            vals = vals "\037" genval(t, 0)
        }
        print types vals
    }
}
