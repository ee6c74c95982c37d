// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./Vm.sol";

/// @notice A small test base: the cheatcode handle, assertions that revert with a message
/// (forge reports a reverting test as failed), bounded fuzz inputs, and the invariant
/// target hooks forge calls (targetContracts, targetSenders).
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    address[] private _targetContracts;
    address[] private _targetSenders;

    function fail(string memory message) internal pure {
        revert(message);
    }

    function assertTrue(bool c, string memory message) internal pure {
        if (!c) revert(string.concat("assertTrue failed: ", message));
    }

    function assertFalse(bool c, string memory message) internal pure {
        if (c) revert(string.concat("assertFalse failed: ", message));
    }

    function assertEq(uint256 a, uint256 b, string memory message) internal pure {
        if (a != b) {
            revert(string.concat("assertEq failed: ", message, ": ", vm.toString(a), " != ", vm.toString(b)));
        }
    }

    function assertEq(int256 a, int256 b, string memory message) internal pure {
        if (a != b) {
            revert(string.concat("assertEq failed: ", message, ": ", vm.toString(a), " != ", vm.toString(b)));
        }
    }

    function assertEq(address a, address b, string memory message) internal pure {
        if (a != b) {
            revert(string.concat("assertEq failed: ", message, ": ", vm.toString(a), " != ", vm.toString(b)));
        }
    }

    function assertEq(bytes32 a, bytes32 b, string memory message) internal pure {
        if (a != b) {
            revert(string.concat("assertEq failed: ", message, ": ", vm.toString(a), " != ", vm.toString(b)));
        }
    }

    function assertEq(bool a, bool b, string memory message) internal pure {
        if (a != b) {
            revert(string.concat("assertEq failed: ", message, ": ", vm.toString(a), " != ", vm.toString(b)));
        }
    }

    function assertEq(bytes memory a, bytes memory b, string memory message) internal pure {
        if (keccak256(a) != keccak256(b)) {
            revert(string.concat("assertEq failed: ", message, ": ", vm.toString(a), " != ", vm.toString(b)));
        }
    }

    function assertEq(string memory a, string memory b, string memory message) internal pure {
        if (keccak256(bytes(a)) != keccak256(bytes(b))) {
            revert(string.concat("assertEq failed: ", message, ": '", a, "' != '", b, "'"));
        }
    }

    function assertGe(uint256 a, uint256 b, string memory message) internal pure {
        if (a < b) revert(string.concat("assertGe failed: ", message, ": ", vm.toString(a), " < ", vm.toString(b)));
    }

    function assertLe(uint256 a, uint256 b, string memory message) internal pure {
        if (a > b) revert(string.concat("assertLe failed: ", message, ": ", vm.toString(a), " > ", vm.toString(b)));
    }

    /// @dev Maps x into [lo, hi] (inclusive) without rejecting fuzz runs.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        require(lo <= hi, "bound: lo > hi");
        if (lo == 0 && hi == type(uint256).max) return x;
        return lo + x % (hi - lo + 1);
    }

    // Invariant-testing hooks read by forge.
    function targetContract(address a) internal {
        _targetContracts.push(a);
    }

    function targetSender(address a) internal {
        _targetSenders.push(a);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function targetSenders() public view returns (address[] memory) {
        return _targetSenders;
    }
}
