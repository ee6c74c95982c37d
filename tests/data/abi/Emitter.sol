// SPDX-License-Identifier: MIT
// Test fixture for tests/integration/test_abi_logs_anvil.sh: emits events with indexed
// static, indexed dynamic, non-indexed dynamic and anonymous parameters.
pragma solidity ^0.8.20;

contract Emitter {
    event Mixed(address indexed who, uint256 indexed amount, string indexed label, bytes data,
                int16 delta, string note);
    event Plain(uint8 a, string b, uint256[] c);
    event Anon(bytes32 indexed tag, bool flag) anonymous;

    function fire(address who, uint256 amount, string calldata label, bytes calldata data,
                  int16 delta, string calldata note, uint256[] calldata c) external {
        emit Mixed(who, amount, label, data, delta, note);
        emit Plain(uint8(amount), note, c);
        emit Anon(keccak256(data), delta < 0);
    }
}
