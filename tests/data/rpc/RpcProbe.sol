// SPDX-License-Identifier: MIT
// RpcProbe: a contract for the rpc integration test and the eth_getLogs benchmark: a view
// with several return values, a state change that can revert with a reason, and a loop
// that emits many events per transaction.
pragma solidity ^0.8.20;

contract RpcProbe {
    uint256 public value;
    string public note;

    event Set(address indexed who, uint256 indexed v, string note);
    event Tick(uint256 indexed i, address indexed from, uint256 x);

    error Custom(uint256 code);

    constructor(uint256 v) {
        value = v;
        note = "init";
    }

    function set(uint256 v, string calldata n) external {
        require(v != 13, "unlucky number");
        if (v == 666) revert Custom(666);
        value = v;
        note = n;
        emit Set(msg.sender, v, n);
    }

    function both() external view returns (uint256, string memory, address) {
        return (value, note, msg.sender);
    }

    function add(int256 a, int256 b) external pure returns (int256) {
        return a + b;
    }

    function burst(uint256 n) external {
        for (uint256 i = 0; i < n; i++) emit Tick(i, msg.sender, i * 3);
    }
}
