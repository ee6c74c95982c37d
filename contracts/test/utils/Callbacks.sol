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

/// @notice An operator that is also the consumer of its own model: from the callback of one
/// request it fulfils another one in a nested batch and withdraws its balance.
contract SelfServingOperator {
    ICoordinator public immutable coordinator;
    uint256 public modelId;
    ICoordinator.Request internal _next;
    ICoordinator.Request internal _outer;
    bool internal _hasNext;
    uint256 public callbacks;
    uint256 public withdrawnDuringCallback;
    uint256 public nestedServed;
    bool public nestedRefulfilOfOuterSucceeded;

    constructor(ICoordinator c) {
        coordinator = c;
    }

    function register() external {
        modelId = coordinator.registerModel(keccak256("self"), "", 1 ether, 1, 1);
    }

    function setNext(ICoordinator.Request calldata next, ICoordinator.Request calldata outer) external {
        _next = next;
        _outer = outer;
        _hasNext = true;
    }

    function serve(ICoordinator.Fulfilment[] calldata items) external returns (uint256) {
        return coordinator.fulfillBatch(items);
    }

    function onResult(uint256, bytes calldata, uint32) external {
        callbacks += 1;
        if (_hasNext) {
            _hasNext = false;
            // the outer request again (must be skipped), then the next one
            ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](2);
            items[0] = ICoordinator.Fulfilment(_outer, "", 0);
            items[1] = ICoordinator.Fulfilment(_next, "", 0);
            nestedServed = coordinator.fulfillBatch(items);
            try coordinator.fulfill(_outer, "", 0) returns (bool) {
                nestedRefulfilOfOuterSucceeded = true;
            } catch {}
            uint256 before = address(this).balance;
            coordinator.collect(modelId);
            coordinator.withdraw(payable(address(this)));
            withdrawnDuringCallback = address(this).balance - before;
        }
    }

    receive() external payable {}
}
