// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICoordinator} from "../../src/interfaces/ICoordinator.sol";

/// @notice Records every callback it receives and the gas it had on entry.
contract Recorder {
    uint256 public calls;
    uint256 public lastRequestId;
    bytes public lastOutput;
    uint32 public lastErrorCode;
    uint256 public gasAtEntry;
    address public lastCaller;

    function onResult(uint256 requestId, bytes calldata output, uint32 errorCode) external {
        uint256 g = gasleft();
        gasAtEntry = g;
        calls += 1;
        lastRequestId = requestId;
        lastOutput = output;
        lastErrorCode = errorCode;
        lastCaller = msg.sender;
    }
}

/// @notice Only measures gasleft() on entry (kept minimal so the measurement is close).
contract GasProbe {
    uint256 public gasAtEntry;

    fallback() external {
        uint256 g = gasleft();
        gasAtEntry = g;
    }
}

contract Reverter {
    function onResult(uint256, bytes calldata, uint32) external pure {
        revert("no thanks");
    }
}

contract GasBurner {
    uint256 public x;

    function onResult(uint256, bytes calldata, uint32) external {
        while (true) {
            x += 1;
        }
    }
}

/// @notice Returns (and reverts with) a huge returndata buffer.
contract ReturnBomb {
    bool public revertInstead;

    function setRevert(bool r) external {
        revertInstead = r;
    }

    function onResult(uint256, bytes calldata, uint32) external view {
        bool r = revertInstead;
        assembly {
            // as much memory as ~1.5M gas buys: 512 KiB
            let size := 524288
            mstore(size, 1)
            if r { revert(0, size) }
            return(0, size)
        }
    }
}

/// @notice On callback, tries to fulfil the same request again, cancel it and withdraw the
/// operator's money; records whether any of it succeeded.
contract Reentrant {
    ICoordinator public coordinator;
    ICoordinator.Request public saved;
    bytes public savedOutput;
    bool public reentryFulfilled;
    bool public reentryCancelled;
    bool public reentryWithdrew;
    bool public reentryBatchServed;
    uint256 public calls;

    constructor(ICoordinator c) {
        coordinator = c;
    }

    function save(ICoordinator.Request calldata r) external {
        saved = r;
    }

    function onResult(uint256, bytes calldata output, uint32) external {
        calls += 1;
        ICoordinator.Request memory r = saved;
        try coordinator.fulfill(r, output, 0) returns (bool) {
            reentryFulfilled = true;
        } catch {}
        try coordinator.cancel(r) {
            reentryCancelled = true;
        } catch {}
        try coordinator.withdraw(payable(address(this))) {
            reentryWithdrew = true;
        } catch {}
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](1);
        items[0] = ICoordinator.Fulfilment(r, output, 0);
        try coordinator.fulfillBatch(items) returns (uint256 served) {
            if (served > 0) reentryBatchServed = true;
        } catch {}
    }

    receive() external payable {}
}
