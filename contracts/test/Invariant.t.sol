// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Vm} from "./utils/Vm.sol";
import {Coordinator} from "../src/Coordinator.sol";
import {ICoordinator} from "../src/interfaces/ICoordinator.sol";
import {Reverter, GasBurner} from "./utils/Callbacks.sol";

/// @notice Counts callbacks per requestId; optionally re-enters the coordinator.
contract CountingConsumer {
    ICoordinator internal immutable coord;
    mapping(uint256 => uint256) public calls;
    ICoordinator.Request internal _replay;
    bool internal _armed;

    constructor(ICoordinator c) {
        coord = c;
    }

    function arm(ICoordinator.Request calldata r) external {
        _replay = r;
        _armed = true;
    }

    function onResult(uint256 requestId, bytes calldata output, uint32) external {
        calls[requestId] += 1;
        if (_armed) {
            ICoordinator.Request memory r = _replay;
            try coord.fulfill(r, output, 0) {} catch {}
            try coord.cancel(r) {} catch {}
        }
    }

    receive() external payable {}
}

/// @notice Drives the coordinator with random registrations, requests, fulfilments (right and
/// wrong operator, single and batch), cancels, withdrawals and time jumps, keeping ghost state.
contract Handler is Test {
    enum St {
        Pending,
        Fulfilled,
        Cancelled
    }

    Coordinator public coord;
    address[] public actors;
    address[2] public ops;
    uint256[2] public models;
    CountingConsumer public counter;
    address[3] public callbacks; // counter, reverter, burner

    ICoordinator.Request[] internal _reqs;
    St[] public status;
    /// whether a fulfilment must have cleared the slot (no window, later second than the request)
    bool[] public cleared;
    mapping(uint256 => uint256) public opIndexOf; // requestId -> index into ops

    uint256 public ghostEscrow;
    bool public wrongOperatorServed;
    bool public servedTwice;
    bool public cancelledEarly;
    bool public cancelledByStranger;
    uint256 public fulfilments;
    uint256 public cancels;

    constructor(Coordinator c) {
        coord = c;
        ops[0] = address(0x0A01);
        ops[1] = address(0x0A02);
        for (uint256 i; i < 3; ++i) {
            actors.push(address(uint160(0xB001 + i)));
            vm.deal(actors[i], 1_000 ether);
        }
        counter = new CountingConsumer(c);
        vm.deal(address(counter), 1_000 ether);
        actors.push(address(counter));
        callbacks[0] = address(counter);
        callbacks[1] = address(new Reverter());
        callbacks[2] = address(new GasBurner());
        for (uint256 i; i < 2; ++i) {
            vm.startPrank(ops[i]);
            models[i] = c.registerModel(bytes32(i + 1), "m", 1e15 * (i + 1), 4, 1);
            c.setCallbackGasPrice(models[i], 1 gwei * (i + 1));
            vm.stopPrank();
        }
    }

    function reqCount() external view returns (uint256) {
        return _reqs.length;
    }

    function reqAt(uint256 i) external view returns (ICoordinator.Request memory) {
        return _reqs[i];
    }

    function request(uint256 actorSeed, uint256 modelSeed, uint256 cbSeed, uint256 gasSeed, uint256 extra) external {
        address a = actors[actorSeed % actors.length];
        uint256 mi = modelSeed % 2;
        address cb = callbacks[cbSeed % 3];
        uint32 gasLimit = uint32(bound(gasSeed, 20_000, 150_000));
        uint256 price = coord.quote(models[mi], gasLimit);
        extra = bound(extra, 0, 1 ether);
        bytes memory input = abi.encode(actorSeed, gasSeed);
        vm.recordLogs();
        vm.prank(a);
        coord.request{value: price + extra}(models[mi], input, cb, CountingConsumer.onResult.selector, gasLimit);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        ICoordinator.Request memory r;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != ICoordinator.Requested.selector) continue;
            r.requestId = uint256(logs[i].topics[1]);
            r.modelId = uint256(logs[i].topics[2]);
            r.requester = address(uint160(uint256(logs[i].topics[3])));
            (bytes32 cbw, uint256 terms, bytes memory inp) = abi.decode(logs[i].data, (bytes32, uint256, bytes));
            r.callback = address(uint160(uint256(cbw) >> 96));
            r.selector = bytes4(uint32(uint256(cbw) >> 64));
            r.callbackGasLimit = uint32(uint256(cbw) >> 32);
            r.deadline = uint64(terms >> 192);
            r.payment = terms & ((uint256(1) << 192) - 1);
            r.inputHash = keccak256(inp);
        }
        _reqs.push(r);
        status.push(St.Pending);
        cleared.push(false);
        opIndexOf[r.requestId] = mi;
        ghostEscrow += price;
        if (cbSeed % 7 == 0) counter.arm(r); // sometimes re-enter with this request
    }

    function fulfill(uint256 idxSeed, uint256 opSeed, uint32 errorCode) external {
        if (_reqs.length == 0) return;
        uint256 i = idxSeed % _reqs.length;
        ICoordinator.Request memory r = _reqs[i];
        uint256 oi = opSeed % 2;
        vm.prank(ops[oi]);
        try coord.fulfill(r, abi.encode(int256(opSeed % 1000)), errorCode % 3) {
            if (oi != opIndexOf[r.requestId]) wrongOperatorServed = true;
            if (status[i] != St.Pending) servedTwice = true;
            _served(i, r);
        } catch {}
        _syncReentrantCancels();
    }

    /// The counting consumer re-enters from its callback and may cancel its own expired
    /// requests (legitimately); account for those, and flag any other state change.
    function _syncReentrantCancels() internal {
        for (uint256 i; i < _reqs.length; ++i) {
            if (status[i] != St.Pending) continue;
            ICoordinator.Request memory r = _reqs[i];
            ICoordinator.RequestState s = coord.requestState(r.requestId);
            if (s == ICoordinator.RequestState.Pending) continue;
            if (s != ICoordinator.RequestState.Cancelled) {
                servedTwice = true; // fulfilled by a re-entrant call: never allowed
                continue;
            }
            if (r.requester != address(counter)) cancelledByStranger = true;
            if (block.timestamp <= r.deadline) cancelledEarly = true;
            status[i] = St.Cancelled;
            ghostEscrow -= r.payment;
            ++cancels;
        }
    }

    function fulfillBatch(uint256 startSeed, uint256 count, uint256 opSeed) external {
        if (_reqs.length == 0) return;
        count = bound(count, 1, 6);
        uint256 oi = opSeed % 2;
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](count);
        uint256[] memory idx = new uint256[](count);
        for (uint256 k; k < count; ++k) {
            idx[k] = (startSeed + k * 7) % _reqs.length;
            items[k] = ICoordinator.Fulfilment(_reqs[idx[k]], abi.encode(int256(k)), 0);
        }
        vm.recordLogs();
        vm.prank(ops[oi]);
        try coord.fulfillBatch(items) {
            // Served items are those with a Fulfilled event (a cleared slot reads None).
            Vm.Log[] memory logs = vm.getRecordedLogs();
            for (uint256 e; e < logs.length; ++e) {
                if (logs[e].emitter != address(coord) || logs[e].topics[0] != ICoordinator.Fulfilled.selector) continue;
                uint256 id = uint256(logs[e].topics[1]);
                for (uint256 k; k < count; ++k) {
                    uint256 i = idx[k];
                    if (_reqs[i].requestId != id) continue;
                    if (status[i] != St.Pending) servedTwice = true;
                    if (oi != opIndexOf[id]) wrongOperatorServed = true;
                    _served(i, _reqs[i]);
                    break;
                }
            }
        } catch {}
        _syncReentrantCancels();
    }

    function cancel(uint256 idxSeed, uint256 actorSeed) external {
        if (_reqs.length == 0) return;
        uint256 i = idxSeed % _reqs.length;
        ICoordinator.Request memory r = _reqs[i];
        address who = actorSeed % 4 == 0 ? actors[actorSeed % actors.length] : r.requester;
        vm.prank(who);
        try coord.cancel(r) {
            if (block.timestamp <= r.deadline) cancelledEarly = true;
            if (who != r.requester) cancelledByStranger = true;
            if (status[i] != St.Pending) servedTwice = true;
            status[i] = St.Cancelled;
            ghostEscrow -= r.payment;
            ++cancels;
        } catch {}
    }

    function withdraw(uint256 actorSeed) external {
        address[] memory all = allAccounts();
        address a = all[actorSeed % all.length];
        vm.prank(a);
        try coord.withdraw(payable(address(0xDEAD))) {} catch {}
    }

    /// Bonds: operators set verification, post, start unbonding and withdraw (which moves
    /// ETH out of the coordinator); the conservation invariant counts the bonds.
    function setVerification(uint256 opSeed, uint256 window, uint256 minBond) external {
        uint256 oi = opSeed % 2;
        vm.prank(ops[oi]);
        try coord.setVerification(models[oi], uint64(bound(window, 0, 3 hours)), uint128(bound(minBond, 0, 3 ether))) {}
            catch {}
    }

    function postBond(uint256 opSeed, uint256 amount) external {
        uint256 oi = opSeed % 2;
        amount = bound(amount, 0, 2 ether);
        vm.deal(ops[oi], ops[oi].balance + amount);
        vm.prank(ops[oi]);
        try coord.postBond{value: amount}(models[oi]) {} catch {}
    }

    function startUnbonding(uint256 opSeed) external {
        uint256 oi = opSeed % 2;
        vm.prank(ops[oi]);
        try coord.startUnbonding(models[oi]) {} catch {}
    }

    function withdrawBond(uint256 opSeed) external {
        uint256 oi = opSeed % 2;
        vm.prank(ops[oi]);
        try coord.withdrawBond(models[oi], payable(address(0xDEAD))) {} catch {}
    }

    function bonds() external view returns (uint256 total) {
        for (uint256 i; i < 2; ++i) {
            (uint256 a,,) = coord.bondOf(models[i]);
            total += a;
        }
    }

    /// uncollected operator earnings of both models
    function earnings() external view returns (uint256 total) {
        for (uint256 i; i < 2; ++i) {
            total += coord.earnings(models[i]);
        }
    }

    function collect(uint256 modelSeed) external {
        try coord.collect(models[modelSeed % 2]) {} catch {}
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 2 hours));
    }

    function allAccounts() public view returns (address[] memory all) {
        all = new address[](actors.length + 2);
        for (uint256 i; i < actors.length; ++i) {
            all[i] = actors[i];
        }
        all[actors.length] = ops[0];
        all[actors.length + 1] = ops[1];
    }

    function _served(uint256 i, ICoordinator.Request memory r) internal {
        status[i] = St.Fulfilled;
        cleared[i] = coord.getModel(r.modelId).challengeWindow == 0 && block.timestamp + 1 hours > r.deadline;
        ghostEscrow -= r.payment;
        ++fulfilments;
    }
}

contract CoordinatorInvariantTest is Test {
    Coordinator internal coord;
    Handler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        coord = new Coordinator(1 hours);
        handler = new Handler(coord);
        targetContract(address(handler));
    }

    /// ETH is conserved: the coordinator holds exactly the escrow of pending requests plus
    /// every account's withdrawable balance plus the operators' bonds plus the models'
    /// uncollected earnings.
    function invariant_eth_is_conserved() public view {
        address[] memory all = handler.allAccounts();
        uint256 sum = handler.ghostEscrow() + handler.bonds() + handler.earnings();
        for (uint256 i; i < all.length; ++i) {
            sum += coord.balanceOf(all[i]);
        }
        assertEq(address(coord).balance, sum, "balance == escrow + balances + bonds");
    }

    function invariant_only_the_models_operator_fulfils_and_never_twice() public view {
        assertFalse(handler.wrongOperatorServed(), "wrong operator served");
        assertFalse(handler.servedTwice(), "served or cancelled twice");
    }

    function invariant_refunds_only_after_deadline_to_requester() public view {
        assertFalse(handler.cancelledEarly(), "cancelled before deadline");
        assertFalse(handler.cancelledByStranger(), "cancelled by a stranger");
    }

    function invariant_states_match_and_callbacks_at_most_once() public view {
        uint256 n = handler.reqCount();
        CountingConsumer counter = handler.counter();
        for (uint256 i; i < n; ++i) {
            ICoordinator.Request memory r = handler.reqAt(i);
            ICoordinator.RequestState s = coord.requestState(r.requestId);
            Handler.St g = handler.status(i);
            if (g == Handler.St.Pending) assertTrue(s == ICoordinator.RequestState.Pending, "pending");
            if (g == Handler.St.Fulfilled) {
                ICoordinator.RequestState want =
                    handler.cleared(i) ? ICoordinator.RequestState.None : ICoordinator.RequestState.Fulfilled;
                assertTrue(s == want, "fulfilled (cleared without a window after the request's second)");
            }
            if (g == Handler.St.Cancelled) assertTrue(s == ICoordinator.RequestState.Cancelled, "cancelled");
            assertLe(counter.calls(r.requestId), 1, "callback at most once");
            if (g != Handler.St.Fulfilled) assertEq(counter.calls(r.requestId), 0, "no callback unless fulfilled");
        }
    }
}
