// SPDX-License-Identifier: MIT
// Test contract for `ml2chain extract`: emits many events of several kinds per call
// (indexed and non-indexed parameters, dynamic string/bytes, an anonymous event, uint256
// values near 2^256-1, negative integers) so tests can create volume fast.
pragma solidity ^0.8.20;

contract Emitter {
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Note(uint256 indexed id, string text, bytes blob);
    event Signed(int256 a, int64 b, int8 indexed c);
    event Big(uint256 indexed big, uint256 value, uint128 small);
    event Anon(address indexed who, uint256 amount) anonymous;
    event Flags(bool ok, bytes32 tag, address indexed who, string indexed label);

    /// Emits n events, cycling through the kinds; values derive from seed + i.
    function emitMany(uint256 n, uint256 seed) external {
        for (uint256 i = 0; i < n; i++) {
            uint256 k = seed + i;
            uint256 kind = k % 6;
            if (kind == 0) {
                emit Transfer(address(uint160(k)), msg.sender, k * 1e18);
            } else if (kind == 1) {
                emit Note(k, k % 4 == 1 ? "caf\u00e9 \u2713 \"quoted\", comma" : "plain note",
                          k % 3 == 0 ? bytes("") : abi.encodePacked(uint32(k)));
            } else if (kind == 2) {
                emit Signed(-int256(k) * 1e30, -int64(uint64(k)), int8(-int256(k % 128)));
            } else if (kind == 3) {
                emit Big(type(uint256).max - k, type(uint256).max - (k % 7), uint128(k));
            } else if (kind == 4) {
                emit Anon(address(uint160(k * 7919)), k);
            } else {
                emit Flags(k % 2 == 0, keccak256(abi.encode(k)), msg.sender, "label");
            }
        }
    }
}
