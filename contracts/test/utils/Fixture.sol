// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./Test.sol";
import {Vm} from "./Vm.sol";
import {Coordinator} from "../../src/Coordinator.sol";
import {ICoordinator} from "../../src/interfaces/ICoordinator.sol";

/// @notice A coordinator with one registered model, an operator and a funded requester.
abstract contract Fixture is Test {
    Coordinator internal coord;
    address internal operator = address(0x0FE2A702);
    address internal user = address(0x05E2);
    address internal stranger = address(0x5742);
    uint256 internal modelId;
    uint64 internal constant TIMEOUT = 1 hours;
    uint256 internal constant FEE = 0.001 ether;
    uint256 internal constant GAS_PRICE = 2 gwei;
    bytes32 internal constant MODEL_HASH = keccak256("qmodel file bytes");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        coord = new Coordinator(TIMEOUT);
        vm.startPrank(operator);
        modelId = coord.registerModel(MODEL_HASH, "ipfs://model", FEE, 4, 1);
        coord.setCallbackGasPrice(modelId, GAS_PRICE);
        vm.stopPrank();
        vm.deal(user, 100 ether);
        vm.deal(stranger, 100 ether);
    }

    function features4() internal pure returns (bytes memory) {
        int256[] memory v = new int256[](4);
        v[0] = 0.52e18;
        v[1] = 1.3e18;
        v[2] = -0.7e18;
        v[3] = 2.25e18;
        return abi.encode(v);
    }

    function output1(int256 x) internal pure returns (bytes memory) {
        int256[] memory v = new int256[](1);
        v[0] = x;
        return abi.encode(v);
    }

    /// @dev Sends a request as `from` paying the quote and rebuilds its fields from the
    /// Requested event alone (as a node does).
    function doRequest(address from, bytes memory input, address callback, bytes4 sel, uint32 gasLimit)
        internal
        returns (ICoordinator.Request memory r)
    {
        uint256 price = coord.quote(modelId, gasLimit);
        vm.recordLogs();
        vm.prank(from);
        uint256 id = coord.request{value: price}(modelId, input, callback, sel, gasLimit);
        r = requestFromLogs(vm.getRecordedLogs());
        assertEq(r.requestId, id, "event requestId");
    }

    function requestFromLogs(Vm.Log[] memory logs) internal view returns (ICoordinator.Request memory r) {
        for (uint256 i = logs.length; i > 0; --i) {
            Vm.Log memory l = logs[i - 1];
            if (l.emitter != address(coord) || l.topics[0] != ICoordinator.Requested.selector) continue;
            r.requestId = uint256(l.topics[1]);
            r.modelId = uint256(l.topics[2]);
            r.requester = address(uint160(uint256(l.topics[3])));
            (bytes32 cbw, uint256 terms, bytes memory input) = abi.decode(l.data, (bytes32, uint256, bytes));
            r.callback = address(uint160(uint256(cbw) >> 96));
            r.selector = bytes4(uint32(uint256(cbw) >> 64));
            r.callbackGasLimit = uint32(uint256(cbw) >> 32);
            assertEq(uint32(uint256(cbw)), 0, "callbackWord low bits");
            r.deadline = uint64(terms >> 192);
            r.payment = terms & ((uint256(1) << 192) - 1);
            r.inputHash = keccak256(input);
            return r;
        }
        revert("no Requested event");
    }

    /// @dev The Requested event's packed words (docs/coordinator.md).
    function callbackWord(address callback, bytes4 sel, uint32 gasLimit) internal pure returns (bytes32) {
        return bytes32((uint256(uint160(callback)) << 96) | (uint256(uint32(sel)) << 64) | (uint256(gasLimit) << 32));
    }

    function termsWord(uint64 deadline, uint256 payment) internal pure returns (uint256) {
        return (uint256(deadline) << 192) | payment;
    }

    function countLogs(Vm.Log[] memory logs, bytes32 topic0) internal pure returns (uint256 n) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics.length > 0 && logs[i].topics[0] == topic0) ++n;
        }
    }
}
