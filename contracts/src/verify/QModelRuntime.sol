// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title QModelRuntime: the Solidity twin of the qmodel v1 runtime (docs/qmodel.md).
/// @notice `predict(model, x)` loads a qmodel file from calldata with the same validation as
/// the C loader (src/ml/qmodel.c: every file the C loader rejects reverts with QModelInvalid)
/// and returns exactly the output integers `Y` (and the Q16 outputs `p`) that the C runtime
/// returns for the request integers `x`. Weights are read straight from calldata (packed
/// big-endian i32, eight per word); the nonlinearity tables are code constants copied to
/// memory only when a model uses them. Section numbers below refer to docs/qmodel.md.
/// @dev Arithmetic is unchecked on purpose: section 7 of the spec bounds every intermediate
/// inside int256 once the loader's caps hold, and the caps are checked before any arithmetic
/// that depends on them.
library QModelRuntime {
    /// The model bytes are not a valid qmodel v1 file; `offset` is the byte offset of the
    /// offending field (as in the C loader's message) and `code` names the rule (E_* below).
    error QModelInvalid(uint256 offset, uint256 code);
    /// The request has `got` inputs but the model reads `want`.
    error QModelInputCount(uint256 got, uint256 want);
    /// Input `index` lies outside the int192 range (docs/encoding.md "value out of range").
    error QModelInputOutOfRange(uint256 index);

    uint256 internal constant E_SIZE = 1; // file larger than 2^24 bytes
    uint256 internal constant E_TRUNCATED = 2; // the file ends inside a field
    uint256 internal constant E_MAGIC = 3;
    uint256 internal constant E_VERSION = 4;
    uint256 internal constant E_KIND = 5;
    uint256 internal constant E_FRAC = 6;
    uint256 internal constant E_TRANSFORM = 7; // unknown, or not allowed with kind / n_out
    uint256 internal constant E_DECIMALS = 8;
    uint256 internal constant E_N_IN = 9;
    uint256 internal constant E_N_OUT = 10;
    uint256 internal constant E_COUNT = 11;
    uint256 internal constant E_I192 = 12; // an i192w word outside the int192 range
    uint256 internal constant E_WIDTH = 13;
    uint256 internal constant E_ACTIVATION = 14; // unknown, or not identity on the last layer
    uint256 internal constant E_LAST_WIDTH = 15;
    uint256 internal constant E_TREE_OUTPUT = 16;
    uint256 internal constant E_NODES = 17; // a tree with no nodes, or over 2^21 in all
    uint256 internal constant E_TREE = 18; // feature, depth, leaf or pre-order rule broken
    uint256 internal constant E_TRAILING = 19;

    uint256 internal constant MAX_BYTES = 1 << 24;
    uint256 internal constant MAX_TOTAL_NODES = 1 << 21;
    int256 internal constant LOG2E_Q24 = 24204406;

    // Section 6.6 tables, big-endian: SIG and TANH as 3-byte entries, EXP2 as 4-byte entries
    // (generated from src/ml/qmodel_tables.h; the differential tests check every entry used).
    bytes internal constant SIG =
        hex"0080000082000084000085ff0087fd0089fb008bf7008df2008feb0091e20093d70095c90097b90099a6009b90009d76009f5900a13900a31400a4ec00a6bf00a88e00aa5800ac1e00addf00af9a00b15100b30200b4ae00b65500b7f600b99100bb2700bcb600be4000bfc400c14200c2ba00c42c00c59800c6fd00c85d00c9b600cb0900cc5600cd9d00cedd00d01800d14d00d27b00d3a300d4c600d5e200d6f900d80a00d91400da1a00db1900dc1300dd0700ddf600dedf00dfc400e0a200e17c00e25000e32000e3ea00e4b000e57100e62d00e6e400e79700e84600e8f000e99500ea3700ead400eb6e00ec0300ec9500ed2200edac00ee3300eeb500ef3500efb000f02900f09e00f11000f17f00f1eb00f25400f2ba00f31e00f37e00f3dc00f43700f49000f4e600f53a00f58b00f5da00f62700f67200f6ba00f70100f74500f78800f7c800f80700f84400f87f00f8b800f8f000f92600f95b00f98e00f9bf00f9ef00fa1e00fa4b00fa7700faa200facb00faf400fb1b00fb4100fb6500fb8900fbab00fbcd00fbee00fc0d00fc2c00fc4900fc6600fc8200fc9d00fcb800fcd100fcea00fd0200fd1900fd3000fd4600fd5b00fd7000fd8400fd9700fdaa00fdbc00fdce00fddf00fdf000fe0000fe0f00fe1f00fe2d00fe3c00fe4900fe5700fe6400fe7000fe7d00fe8800fe9400fe9f00feaa00feb400febf00fec800fed200fedb00fee400feed00fef500fefd00ff0500ff0d00ff1400ff1c00ff2300ff2900ff3000ff3600ff3d00ff4300ff4800ff4e00ff5400ff5900ff5e00ff6300ff6800ff6c00ff7100ff7500ff7a00ff7e00ff8200ff8600ff8900ff8d00ff9100ff9400ff9700ff9b00ff9e00ffa100ffa400ffa600ffa900ffac00ffae00ffb100ffb300ffb600ffb800ffba00ffbc00ffbe00ffc000ffc200ffc400ffc600ffc800ffca00ffcb00ffcd00ffce00ffd000ffd100ffd300ffd400ffd600ffd700ffd800ffd900ffdb00ffdc00ffdd00ffde00ffdf00ffe000ffe100ffe200ffe300ffe400ffe500ffe500ffe600ffe700ffe800ffe900ffe900ffea00ffeb00ffeb00ffec00ffed00ffed00ffee00ffee00ffef00ffef00fff000fff000fff100fff100fff200fff200fff300fff300fff300fff400fff400fff500fff500fff500fff600fff600fff600fff700fff700fff700fff700fff800fff800fff800fff800fff900fff900fff900fff900fffa00fffa00fffa00fffa00fffa00fffa00fffb00fffb00fffb00fffb00fffb00fffb00fffc00fffc00fffc00fffc00fffc00fffc00fffc00fffc00fffd00fffd00fffd00fffd00fffd00fffd00fffd00fffd00fffd00fffd00fffd00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000";
    bytes internal constant TANH =
        hex"0000000004000007ff000bfe000ffb0013f60017ee001be4001fd60023c40027ad002b92002f7200334c003720003aed003eb30042720046290049d8004d7e00511c0054b100583c005bbd005f350062a200660500695d006caa006fec00732200764d00796d007c81007f88008284008574008858008b2f008dfa0090b900936c0096120098ac009b3a009dbb00a03000a29900a4f600a74700a98c00abc400adf200b01300b22900b43300b63200b82600ba0e00bbec00bdbf00bf8700c14500c2f800c4a100c64000c7d500c96000cae100cc5a00cdc900cf2e00d08b00d1df00d32b00d46e00d5a900d6db00d80600d92900da4400db5800dc6500dd6b00de6900df6100e05200e13c00e22000e2fe00e3d600e4a800e57500e63b00e6fc00e7b800e86e00e92000e9cc00ea7300eb1600ebb400ec4e00ece300ed7500ee0100ee8a00ef0f00ef9000f00e00f08800f0fe00f17100f1e000f24d00f2b600f31c00f37f00f3df00f43c00f49700f4ef00f54400f59700f5e700f63500f68100f6cb00f71200f75700f79a00f7db00f81a00f85800f89300f8cd00f90500f93b00f96f00f9a300f9d400fa0400fa3300fa6000fa8c00fab600fae000fb0700fb2e00fb5400fb7800fb9c00fbbe00fbdf00fc0000fc1f00fc3d00fc5b00fc7700fc9300fcae00fcc800fce100fcf900fd1100fd2800fd3e00fd5400fd6900fd7d00fd9100fda400fdb600fdc800fdda00fdeb00fdfb00fe0b00fe1a00fe2900fe3700fe4500fe5300fe6000fe6d00fe7900fe8500fe9100fe9c00fea700feb200febc00fec600fecf00fed900fee200feeb00fef300fefb00ff0300ff0b00ff1300ff1a00ff2100ff2800ff2f00ff3500ff3b00ff4100ff4700ff4d00ff5200ff5800ff5d00ff6200ff6700ff6b00ff7000ff7400ff7900ff7d00ff8100ff8500ff8900ff8c00ff9000ff9300ff9700ff9a00ff9d00ffa000ffa300ffa600ffa900ffab00ffae00ffb000ffb300ffb500ffb800ffba00ffbc00ffbe00ffc000ffc200ffc400ffc600ffc800ffc900ffcb00ffcd00ffce00ffd000ffd100ffd300ffd400ffd500ffd700ffd800ffd900ffda00ffdc00ffdd00ffde00ffdf00ffe000ffe100ffe200ffe300ffe400ffe400ffe500ffe600ffe700ffe800ffe800ffe900ffea00ffeb00ffeb00ffec00ffec00ffed00ffee00ffee00ffef00ffef00fff000fff000fff100fff100fff200fff200fff300fff300fff300fff400fff400fff500fff500fff500fff600fff600fff600fff600fff700fff700fff700fff800fff800fff800fff800fff900fff900fff900fff900fff900fffa00fffa00fffa00fffa00fffa00fffb00fffb00fffb00fffb00fffb00fffb00fffc00fffc00fffc00fffc00fffc00fffc00fffc00fffc00fffd00fffd00fffd00fffd00fffd00fffd00fffd00fffd00fffd00fffd00fffd00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00fffe00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff00ffff010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000010000";
    bytes internal constant EXP2 =
        hex"400000003fd3b2d63fa784573f7b746d3f4f83033f23b0043ef7fb5b3ecc64f33ea0ecb73e7592923e4a566f3e1f38393df437dd3dc955443d9e905b3d73e90d3d495f453d1ef2f03cf4a3f83cca72493ca05dcf3c7666763c4c8c2a3c22ced63bf92e673bcfaac83ba643e63b7cf9ac3b53cc083b2abae43b01c62e3ad8edd13ab031ba3a8791d63a5f0e103a36a6563a0e5a9439e62ab739be16ab39961e5d396e41ba394680af391edb2838f7511338cfe25d38a88ef2388156c0385a39b4383337bb380c50c337e584b837bed38837983d213771c16f374b6061372519e436feede636d8dc5436b2e51c368d082b3667457136419cd9361c0e5335f699cc35d13f3335abfe743586d7803561ca42353cd6ab3517fca834f33c2634ce951634aa076434859301346137d9343cf5db3418ccf733f4bd1a33d0c63433ace833338923053365769b3341e2e2331e67c932fb054032d7bb3532b4899832917057326e6f62324b86a73228b6173205fda031e35d3231c0d4bc319e642d317c0b763159ca843137a14931158fb330f395b230d1b33730afe82f308e348c306c983d304b13333029a55c30084ea82fe70f092fc5e66e2fa4d4c62f83da022f62f6132f4228e82f2172712f00d2a02ee049632ebfd6ad2e9f7a6c2e7f34912e5f050e2e3eebd22e1ee8ce2dfefbf32ddf25312dbf64792d9fb9bc2d8024ea2d60a5f52d413ccd2d21e9632d02aba92ce3838e2cc471052ca573fd2c868c6a2c67ba3a2c48fd602c2a55ce2c0bc3732bed46422bcede2b2bb08b212b924d152b7423f72b560fbb2b3810502b1a25a92afc4fb82ade8e6d2ac0e1bc2aa349952a85c5ea2a6856ad2a4afbd02a2db5462a1082ff29f364ed29d65b0429b96534299c8370297fb5aa2962fbd5294655e22929c3c3290d456c28f0dacd28d483da28b84085289c10c1287ff47f2863ebb32847f64e282c14442810458727f48a0927d8e1be27bd4c9827a1ca8a27865b86276aff80274fb66a2734803727195cda26fe4c4626e34e6e26c8634626ad8abf2692c4ce26781165265d70772642e1f9262865dc260dfc1425f3a49525d95f5225bf2c3f25a50b4e258afc732570ffa2255714ce253d3bea252374eb2509bfc424f01c6824d68acc24bd0ae224a39c9f248a3ff72470f4dd2457bb45243e932324257c6b240c771123f3830823daa04623c1cebd23a90e6323905f2a2377c108235f33f02346b7d7232e4cb02315f27122fda90d22e5707922cd48a922b53191229d2b272285355d226d502a22557b81223db757222603a0220e605221f6cd6021df4ac021c7d86621b07646219924572181e28c216ab0da21538f36213c7d9621257bed210e8a3120f7a85720e0d65420ca141c20b361a6209cbee620862bd1206fa85c2059347d2042d028202c7b54201635f520000000";

    /// Runs model `m` (the qmodel file bytes) on request integers `x` (10^d_in fixed point).
    /// Returns the outputs `y` (10^d_out fixed point, what goes on chain) and the Q16 outputs
    /// `p` after the transform (section 6.5). Reverts on an invalid model or input.
    function predict(bytes calldata m, int256[] memory x) internal pure returns (int256[] memory y, int256[] memory p) {
        unchecked {
            uint256 base;
            assembly {
                base := m.offset
            }
            uint256 h = _header(base, m.length);
            if (x.length != uint16(h >> 160)) revert QModelInputCount(x.length, uint16(h >> 160));
            (int256[] memory q, uint256 pos) = _body(base, m.length, h, x);
            p = _transform(uint8(h >> 192), q);
            // Section 3: output scaling; then nothing may follow.
            y = _scaleOut(base, m.length, pos, p);
            pos += p.length * 65;
            if (pos != m.length) revert QModelInvalid(pos, E_TRAILING);
        }
    }

    /// Checks the 16-byte header (section 8, rule 1 and 5); returns its first word.
    function _header(uint256 base, uint256 len) private pure returns (uint256 h) {
        if (len > MAX_BYTES) revert QModelInvalid(MAX_BYTES, E_SIZE);
        if (len < 16) revert QModelInvalid(0, E_TRUNCATED);
        h = _word(base, 0);
        if (h >> 224 != 0x4d324351) revert QModelInvalid(0, E_MAGIC);
        uint256 kind = uint8(h >> 208);
        uint256 transform = uint8(h >> 192);
        uint256 nIn = uint16(h >> 160);
        uint256 nOut = uint16(h >> 144);
        uint256 count = uint16(h >> 128);
        if (uint8(h >> 216) != 1) revert QModelInvalid(4, E_VERSION);
        if (kind < 1 || kind > 4) revert QModelInvalid(5, E_KIND);
        if (uint8(h >> 200) != 16) revert QModelInvalid(6, E_FRAC);
        if (transform > 2) revert QModelInvalid(7, E_TRANSFORM);
        if (uint8(h >> 184) > 36) revert QModelInvalid(8, E_DECIMALS);
        if (uint8(h >> 176) > 36) revert QModelInvalid(9, E_DECIMALS);
        if (nIn < 1 || nIn > 4096) revert QModelInvalid(10, E_N_IN);
        if (nOut < 1 || nOut > 256) revert QModelInvalid(12, E_N_OUT);
        uint256 cmin = kind == 3 ? 2 : 1;
        uint256 cmax = kind == 3 ? 16 : kind == 4 ? 8192 : 1;
        if (count < cmin || count > cmax) revert QModelInvalid(14, E_COUNT);
        if (transform == 1 && nOut != 1) revert QModelInvalid(7, E_TRANSFORM);
        if (transform == 2 && nOut < 2) revert QModelInvalid(7, E_TRANSFORM);
        if (kind == 1 && transform != 0) revert QModelInvalid(7, E_TRANSFORM);
        if (kind == 2 && transform == 0) revert QModelInvalid(7, E_TRANSFORM);
    }

    /// Input scaling then the body; returns the scores q and the offset of the output records.
    function _body(uint256 base, uint256 len, uint256 h, int256[] memory x)
        private
        pure
        returns (int256[] memory q, uint256 pos)
    {
        unchecked {
            int256[] memory z = _scaleIn(base, len, 16, x);
            pos = 16 + x.length * 37;
            if (uint8(h >> 208) == 4) {
                (q, pos) = _trees(base, len, pos, z, uint16(h >> 144), uint16(h >> 128));
            } else {
                (q, pos) = _dense(base, len, pos, z, uint16(h >> 144), uint16(h >> 128));
            }
        }
    }

    /// Section 6.5: the output transform.
    function _transform(uint256 transform, int256[] memory q) private pure returns (int256[] memory p) {
        if (transform == 1) {
            p = new int256[](1);
            p[0] = _sigmoid(SIG, q[0]);
        } else if (transform == 2) {
            p = _softmax(q);
        } else {
            p = q;
        }
    }

    /// keccak-256 of the model bytes: the model's identity on chain (docs/qmodel.md).
    function hashOf(bytes calldata m) internal pure returns (bytes32 h) {
        assembly {
            let ptr := mload(0x40)
            calldatacopy(ptr, m.offset, m.length)
            h := keccak256(ptr, m.length)
        }
    }

    // ------------------------------------------------------------------ scaling (section 3)

    /// The input records at `pos` (all checked before any input, as the C loader reads the
    /// model before the request), then z_i = sat32(rshr((X_i - mean_i) * mul_i, shift_i)).
    function _scaleIn(uint256 base, uint256 len, uint256 pos, int256[] memory x)
        private
        pure
        returns (int256[] memory z)
    {
        unchecked {
            uint256 nIn = x.length;
            _need(len, pos, nIn * 37);
            for (uint256 i = 0; i < nIn; i++) {
                int256 mean = int256(_word(base, pos + i * 37));
                if (!_fitsI192(mean)) revert QModelInvalid(pos + i * 37, E_I192);
            }
            z = new int256[](nIn);
            for (uint256 i = 0; i < nIn; i++) {
                int256 xi = x[i];
                if (!_fitsI192(xi)) revert QModelInputOutOfRange(i);
                uint256 at = pos + i * 37;
                uint256 tail = _word(base, at + 32);
                z[i] = _sat32(_rshr((xi - int256(_word(base, at))) * int256(tail >> 224), uint8(tail >> 216)));
            }
        }
    }

    /// The output records at `pos`: Y_j = rshr(p_j * omul_j, oshift_j) + oadd_j.
    function _scaleOut(uint256 base, uint256 len, uint256 pos, int256[] memory p)
        private
        pure
        returns (int256[] memory y)
    {
        unchecked {
            uint256 nOut = p.length;
            _need(len, pos, nOut * 65);
            y = new int256[](nOut);
            for (uint256 j = 0; j < nOut; j++) {
                uint256 at = pos + j * 65;
                int256 omul = int256(_word(base, at));
                if (!_fitsI192(omul)) revert QModelInvalid(at, E_I192);
                int256 oadd = int256(_word(base, at + 33));
                if (!_fitsI192(oadd)) revert QModelInvalid(at + 33, E_I192);
                y[j] = _rshr(p[j] * omul, _word(base, at + 32) >> 248) + oadd;
            }
        }
    }

    // ------------------------------------------------------------------ dense (section 4)

    function _dense(uint256 base, uint256 len, uint256 pos, int256[] memory z, uint256 nOut, uint256 count)
        private
        pure
        returns (int256[] memory a, uint256)
    {
        unchecked {
            a = z;
            for (uint256 l = 0; l < count; l++) {
                _need(len, pos, 3);
                uint256 width = _word(base, pos) >> 240;
                uint256 act = uint8(_word(base, pos) >> 232);
                if (width < 1 || width > 4096) revert QModelInvalid(pos, E_WIDTH);
                if (act > 3) revert QModelInvalid(pos + 2, E_ACTIVATION);
                if (l + 1 == count) {
                    if (act != 0) revert QModelInvalid(pos + 2, E_ACTIVATION);
                    if (width != nOut) revert QModelInvalid(pos, E_LAST_WIDTH);
                }
                pos += 3;
                _need(len, pos, (width * a.length + width) * 4);
                uint256 next = pos + (width * a.length + width) * 4;
                a = _layer(base + pos, a, width, act);
                pos = next;
            }
            return (a, pos);
        }
    }

    /// One dense layer whose weights start at calldata offset wp (biases follow them):
    /// a'_j = act(sat32(rshr(b_j * 2^16 + sum_i w_ji * a_i, 16))).
    function _layer(uint256 wp, int256[] memory a, uint256 width, uint256 act)
        private
        pure
        returns (int256[] memory o)
    {
        unchecked {
            bytes memory T;
            if (act == 2) T = TANH;
            if (act == 3) T = SIG;
            uint256 fanIn = a.length;
            uint256 bp = wp + width * fanIn * 4;
            o = new int256[](width);
            for (uint256 j = 0; j < width; j++) {
                int256 acc = _dot(wp + j * fanIn * 4, a, fanIn);
                int256 b;
                assembly {
                    b := signextend(3, shr(224, calldataload(add(bp, mul(j, 4)))))
                }
                int256 v = _sat32((acc + b * 65536 + 32768) >> 16);
                if (act == 1) {
                    if (v < 0) v = 0;
                } else if (act == 2) {
                    v = _tanh(T, v);
                } else if (act == 3) {
                    v = _sigmoid(T, v);
                }
                o[j] = v;
            }
        }
    }

    /// sum_k w[k] * a[k] for the n packed big-endian i32 weights at calldata offset wp.
    function _dot(uint256 wp, int256[] memory a, uint256 n) private pure returns (int256 acc) {
        assembly {
            let ap := add(a, 32)
            let end8 := add(wp, mul(and(n, not(7)), 4))
            for {} lt(wp, end8) {} {
                let w := calldataload(wp)
                acc := add(acc, mul(signextend(3, shr(224, w)), mload(ap)))
                acc := add(acc, mul(signextend(3, shr(192, w)), mload(add(ap, 32))))
                acc := add(acc, mul(signextend(3, shr(160, w)), mload(add(ap, 64))))
                acc := add(acc, mul(signextend(3, shr(128, w)), mload(add(ap, 96))))
                acc := add(acc, mul(signextend(3, shr(96, w)), mload(add(ap, 128))))
                acc := add(acc, mul(signextend(3, shr(64, w)), mload(add(ap, 160))))
                acc := add(acc, mul(signextend(3, shr(32, w)), mload(add(ap, 192))))
                acc := add(acc, mul(signextend(3, w), mload(add(ap, 224))))
                wp := add(wp, 32)
                ap := add(ap, 256)
            }
            let end := add(end8, mul(and(n, 7), 4))
            for {} lt(wp, end) {} {
                acc := add(acc, mul(signextend(3, shr(224, calldataload(wp))), mload(ap)))
                wp := add(wp, 4)
                ap := add(ap, 32)
            }
        }
    }

    // ------------------------------------------------------------------ trees (section 5)

    function _trees(uint256 base, uint256 len, uint256 pos, int256[] memory z, uint256 nOut, uint256 count)
        private
        pure
        returns (int256[] memory q, uint256)
    {
        unchecked {
            _need(len, pos, nOut * 4);
            int256[] memory s = new int256[](nOut);
            for (uint256 j = 0; j < nOut; j++) {
                s[j] = int256(int32(uint32(_word(base, pos + j * 4) >> 224)));
            }
            pos += nOut * 4;
            uint256 total = 0;
            for (uint256 t = 0; t < count; t++) {
                (uint256 output, int256 v, uint256 n) = _tree(base, len, pos, z, nOut, total);
                s[output] += v;
                total += n;
                pos += 4 + n * 8;
            }
            q = new int256[](nOut);
            for (uint256 j = 0; j < nOut; j++) {
                q[j] = _sat32(s[j]);
            }
            return (q, pos);
        }
    }

    /// Checks the tree record at `pos` (with `total` nodes before it) and walks it with z.
    function _tree(uint256 base, uint256 len, uint256 pos, int256[] memory z, uint256 nOut, uint256 total)
        private
        pure
        returns (uint256 output, int256 v, uint256 n)
    {
        unchecked {
            _need(len, pos, 4);
            uint256 hw = _word(base, pos);
            output = hw >> 240;
            n = uint16(hw >> 224);
            if (output >= nOut) revert QModelInvalid(pos, E_TREE_OUTPUT);
            if (n < 1) revert QModelInvalid(pos + 2, E_NODES);
            if (total + n > MAX_TOTAL_NODES) revert QModelInvalid(pos + 2, E_NODES);
            _need(len, pos + 4, n * 8);
            _checkTree(base + pos + 4, n, z.length, pos + 4);
            v = _walk(base + pos + 4, z);
        }
    }

    /// The leaf value reached by z in the (checked) tree whose nodes start at calldata np.
    function _walk(uint256 np, int256[] memory z) private pure returns (int256 v) {
        assembly {
            let zp := add(z, 32)
            let k := 0
            for {} 1 {} {
                let w := calldataload(add(np, mul(k, 8)))
                let f := shr(240, w)
                v := signextend(3, and(shr(208, w), 0xffffffff))
                if eq(f, 0xffff) { break }
                switch slt(mload(add(zp, mul(f, 32))), v)
                case 1 { k := add(k, 1) }
                default { k := and(shr(192, w), 0xffff) }
            }
        }
    }

    /// Section 5's pre-order check, with the C loader's explicit stack (depth <= 32).
    /// Stack entries: k | depth << 16 | rightDone << 32.
    function _checkTree(uint256 np, uint256 n, uint256 nIn, uint256 nodesAt) private pure {
        unchecked {
            uint256[32] memory st;
            uint256 sp = 0;
            uint256 k = 0;
            uint256 depth = 0;
            while (true) {
                if (k >= n) revert QModelInvalid(nodesAt, E_TREE);
                uint256 w;
                assembly {
                    w := calldataload(add(np, mul(k, 8)))
                }
                uint256 f = w >> 240;
                if (f != 0xffff) {
                    if (f >= nIn) revert QModelInvalid(nodesAt + k * 8, E_TREE);
                    if (depth >= 32) revert QModelInvalid(nodesAt + k * 8, E_TREE);
                    st[sp++] = k | (depth << 16);
                    k++;
                    depth++;
                    continue;
                }
                if (uint16(w >> 192) != 0) revert QModelInvalid(nodesAt + k * 8 + 6, E_TREE);
                uint256 end = k + 1;
                while (sp > 0 && (st[sp - 1] >> 32) != 0) sp--;
                if (sp == 0) {
                    if (end != n) revert QModelInvalid(nodesAt + end * 8, E_TREE);
                    return;
                }
                uint256 e = st[sp - 1];
                uint256 sk = e & 0xffff;
                uint256 sw;
                assembly {
                    sw := calldataload(add(np, mul(sk, 8)))
                }
                if (uint16(sw >> 192) != end) revert QModelInvalid(nodesAt + sk * 8 + 6, E_TREE);
                st[sp - 1] = e | (1 << 32);
                k = end;
                depth = ((e >> 16) & 0xffff) + 1;
            }
        }
    }

    // ------------------------------------------------------------------ section 6

    /// T[k] + rshr((T[k+1] - T[k]) * f, b) for a table of 3-byte entries.
    function _interp3(bytes memory T, int256 k, int256 f, uint256 b) private pure returns (int256 r) {
        assembly {
            let w := mload(add(add(T, 32), mul(k, 3)))
            let t0 := shr(232, w)
            let t1 := and(shr(208, w), 0xffffff)
            r := add(t0, sar(b, add(mul(sub(t1, t0), f), shl(sub(b, 1), 1))))
        }
    }

    function _sigmoid(bytes memory T, int256 v) private pure returns (int256) {
        unchecked {
            int256 u = v >= 0 ? v : -v;
            int256 s = u >= (16 << 16) ? int256(65536) : _interp3(T, u >> 11, u & 0x7ff, 11);
            return v >= 0 ? s : 65536 - s;
        }
    }

    function _tanh(bytes memory T, int256 v) private pure returns (int256) {
        unchecked {
            int256 u = v >= 0 ? v : -v;
            int256 s = u >= (8 << 16) ? int256(65536) : _interp3(T, u >> 10, u & 0x3ff, 10);
            return v >= 0 ? s : -s;
        }
    }

    function _softmax(int256[] memory q) private pure returns (int256[] memory p) {
        unchecked {
            bytes memory T = EXP2;
            uint256 n = q.length;
            int256 mx = q[0];
            for (uint256 j = 1; j < n; j++) {
                if (q[j] > mx) mx = q[j];
            }
            p = new int256[](n);
            int256 S = 0;
            for (uint256 j = 0; j < n; j++) {
                int256 d = mx - q[j];
                int256 t = (d * LOG2E_Q24 + (1 << 23)) >> 24;
                int256 e = t >> 16;
                int256 r = t & 0xffff;
                int256 g;
                assembly {
                    let w := mload(add(add(T, 32), mul(shr(8, r), 4)))
                    let t0 := shr(224, w)
                    let t1 := and(shr(192, w), 0xffffffff)
                    g := add(t0, sar(8, add(mul(sub(t1, t0), and(r, 0xff)), 128)))
                }
                int256 E = e >= 31 ? int256(0) : _rshr(g, uint256(e));
                p[j] = E;
                S += E;
            }
            for (uint256 j = 0; j < n; j++) {
                p[j] = (p[j] * 65536 + S / 2) / S;
            }
        }
    }

    // ------------------------------------------------------------------ primitives

    function _word(uint256 base, uint256 pos) private pure returns (uint256 w) {
        assembly {
            w := calldataload(add(base, pos))
        }
    }

    function _need(uint256 len, uint256 pos, uint256 n) private pure {
        unchecked {
            if (len - pos < n) revert QModelInvalid(pos, E_TRUNCATED);
        }
    }

    function _fitsI192(int256 v) private pure returns (bool ok) {
        assembly {
            ok := eq(signextend(23, v), v)
        }
    }

    /// rshr(v, s): round half up, arithmetic (floor) shift.
    function _rshr(int256 v, uint256 s) private pure returns (int256 r) {
        assembly {
            switch s
            case 0 { r := v }
            default { r := sar(s, add(v, shl(sub(s, 1), 1))) }
        }
    }

    function _sat32(int256 v) private pure returns (int256) {
        if (v < type(int32).min) return type(int32).min;
        if (v > type(int32).max) return type(int32).max;
        return v;
    }
}
