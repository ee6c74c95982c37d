// SPDX-License-Identifier: MIT
// Test fixture for tests/core/test_abi_json.c: its ABI JSON and method identifiers
// (Sample.abi.json, Sample.hashes.txt) are solc's output, committed.
pragma solidity ^0.8.20;

contract Sample {
    struct Point { int64 x; int64 y; }
    struct Shape { string name; Point[] points; bytes32[2] tags; }

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Drawn(Shape indexed shape, string indexed label, Point at, uint8 layer) anonymous;
    event Note(string text, bytes data);
    error TooSmall(uint256 have, uint256 want);

    constructor(uint256 seed) {}

    function transfer(address to, uint256 amount) external returns (bool) { return to != address(0) && amount > 0; }
    function draw(Shape calldata s, Point[3] memory corners, uint8[][] memory grid) external pure returns (bytes32) { return s.tags[0] ^ bytes32(uint256(uint64(corners[0].x))) ^ bytes32(grid.length); }
    function many(bool a, bytes1 b, bytes31 c, int8 d, uint240 e, string[] memory f, bytes memory g) public pure returns (uint256, string memory) { return (a ? 1 : 0, f.length > 0 ? f[0] : string(abi.encodePacked(b, c, d, e, g))); }
    receive() external payable {}
    fallback() external {}
}
