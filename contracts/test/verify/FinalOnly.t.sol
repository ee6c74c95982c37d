// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "../utils/Test.sol";
import {Vm} from "../utils/Vm.sol";
import {Fixture} from "../utils/Fixture.sol";
import {Coordinator} from "../../src/Coordinator.sol";
import {ICoordinator} from "../../src/interfaces/ICoordinator.sol";
import {InferenceConsumer} from "../../src/consumers/InferenceConsumer.sol";
import {Recorder, GasProbe} from "../utils/Callbacks.sol";

/// The worked example of docs/qmodel.md section 11 (y = x0 - 0.5 x1 + 0.25, 1e18 in and out).
library Tiny {
    function bytes_() internal pure returns (bytes memory) {
        bytes memory inRec = abi.encodePacked(bytes32(0), hex"9392ee8f4b");
        return abi.encodePacked(
            hex"4d324351010110001212000200010001",
            inRec,
            inRec,
            hex"00010000010000ffff800000004000",
            bytes32(uint256(1e18)),
            hex"10",
            bytes32(0)
        );
    }

    function input2(int256 a, int256 b) internal pure returns (bytes memory) {
        int256[] memory v = new int256[](2);
        v[0] = a;
        v[1] = b;
        return abi.encode(v);
    }
}

/// @notice Records each callback with whether the result was final when it arrived.
contract FinalityRecorder {
    Coordinator internal immutable coord;
    mapping(uint256 => uint256) public calls;
    mapping(uint256 => bytes) public outputOf;
    mapping(uint256 => uint32) public codeOf;
    mapping(uint256 => bool) public finalAtCall;
    mapping(uint256 => uint256) public modelOf;

    constructor(Coordinator c) {
        coord = c;
    }

    function expect(uint256 requestId, uint256 modelId) external {
        modelOf[requestId] = modelId;
    }

    function onResult(uint256 requestId, bytes calldata output, uint32 errorCode) external {
        calls[requestId] += 1;
        outputOf[requestId] = output;
        codeOf[requestId] = errorCode;
        finalAtCall[requestId] = coord.isFinal(requestId, modelOf[requestId]);
    }
}

/// @notice A consumer built on InferenceConsumer asking for final-only callbacks.
contract FinalConsumer is InferenceConsumer {
    mapping(uint256 => int256) public valueOf;
    mapping(uint256 => bool) public finalAtCall;
    uint256 public modelId;

    constructor(ICoordinator c, uint256 modelId_) InferenceConsumer(c) {
        modelId = modelId_;
    }

    function ask(int256 a, int256 b, bool finalOnly) external returns (uint256) {
        int256[] memory x = new int256[](2);
        x[0] = a;
        x[1] = b;
        return _requestInference(modelId, x, 100_000, finalOnly);
    }

    function _onInference(uint256 requestId, int256[] memory values) internal override {
        valueOf[requestId] = values[0];
        finalAtCall[requestId] = coordinator.isFinal(requestId, modelId);
    }

    receive() external payable {}
}

abstract contract TinyFixture is Fixture {
    bytes internal tiny;
    uint64 internal constant WINDOW = 1 days;
    uint128 internal constant BOND = 1 ether;
    address internal watcher = address(0xC4A1);
    uint32 internal FINAL_ONLY;

    function setUp() public virtual override {
        super.setUp();
        tiny = Tiny.bytes_();
        FINAL_ONLY = coord.FINAL_ONLY();
        vm.deal(operator, 10 ether);
        vm.startPrank(operator);
        modelId = coord.registerModel(keccak256(tiny), "ipfs://tiny", FEE, 2, 1);
        coord.setCallbackGasPrice(modelId, GAS_PRICE);
        coord.setVerification(modelId, WINDOW, BOND);
        coord.postBond{value: BOND}(modelId);
        vm.stopPrank();
    }

    function slotOf(uint256 id) internal view returns (uint256) {
        return uint256(coord.commitmentOf(id));
    }
}

contract FinalOnlyTest is TinyFixture {
    Recorder internal rec;

    function setUp() public override {
        super.setUp();
        rec = new Recorder();
    }

    function finalRequest(bytes memory input) internal returns (ICoordinator.Request memory r) {
        r = doRequest(user, input, address(rec), Recorder.onResult.selector, 200_000 | FINAL_ONLY);
    }

    function test_finalOnly__flag_is_bit_31_and_costs_nothing_extra() public view {
        assertEq(uint256(FINAL_ONLY), 1 << 31, "bit 31");
        assertEq(coord.quote(modelId, 200_000 | FINAL_ONLY), coord.quote(modelId, 200_000), "same price");
    }

    function test_request__final_only_flag_is_in_the_event_and_the_commitment() public {
        ICoordinator.Request memory r = finalRequest(Tiny.input2(2e18, 1e18));
        assertEq(r.callbackGasLimit, 200_000 | FINAL_ONLY, "event carries the flag");
        assertEq(r.payment, coord.quote(modelId, 200_000), "paid for 200k callback gas");
        assertEq(coord.commitmentOf(r.requestId), coord.requestCommitment(r), "commitment covers the flag");
        // dropping the flag is a different request: the operator cannot skip the final-only rule
        ICoordinator.Request memory plain = r;
        plain.callbackGasLimit = 200_000;
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.RequestMismatch.selector, r.requestId));
        coord.fulfill(plain, output1(1.75e18), 0);
    }

    function test_request__flagged_limit_is_still_bounded() public {
        uint32 max = coord.MAX_CALLBACK_GAS_LIMIT();
        vm.prank(user);
        vm.expectRevert(
            abi.encodeWithSelector(ICoordinator.CallbackGasLimitTooHigh.selector, (max + 1) | FINAL_ONLY, max)
        );
        coord.request{value: 1 ether}(modelId, "", address(rec), bytes4(0), (max + 1) | FINAL_ONLY);
        // the largest flagged limit is accepted and priced without the flag
        ICoordinator.Request memory r = doRequest(user, "", address(rec), bytes4(0), max | FINAL_ONLY);
        assertEq(r.payment, FEE + uint256(max) * GAS_PRICE, "price of max gas");
        // a clear bit 31 with a limit above the max is still too high
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.CallbackGasLimitTooHigh.selector, FINAL_ONLY - 1, max));
        coord.request{value: 1 ether}(modelId, "", address(rec), bytes4(0), FINAL_ONLY - 1);
    }

    function test_fulfill__final_only_records_result_without_callback() public {
        ICoordinator.Request memory r = finalRequest(Tiny.input2(2e18, 1e18));
        vm.recordLogs();
        vm.prank(operator);
        bool ok = coord.fulfill(r, output1(1.75e18), 0);
        assertFalse(ok, "no callback ran");
        assertEq(rec.calls(), 0, "consumer not called");
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Fulfilled), "fulfilled");
        assertEq(coord.earnings(modelId), r.payment, "operator paid at fulfilment");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(countLogs(logs, ICoordinator.Fulfilled.selector), 1, "Fulfilled emitted");
        assertEq(countLogs(logs, ICoordinator.Delivered.selector), 0, "not delivered");
    }

    function test_fulfillBatch__final_only_item_waits_ordinary_item_is_called_back() public {
        ICoordinator.Request memory f = finalRequest(Tiny.input2(2e18, 1e18));
        ICoordinator.Request memory o =
            doRequest(user, Tiny.input2(1e18, 1e18), address(rec), Recorder.onResult.selector, 200_000);
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](2);
        items[0] = ICoordinator.Fulfilment(f, output1(1.75e18), 0);
        items[1] = ICoordinator.Fulfilment(o, output1(0.75e18), 0);
        vm.recordLogs();
        vm.prank(operator);
        assertEq(coord.fulfillBatch(items), 2, "both served");
        assertEq(rec.calls(), 1, "only the ordinary item called back");
        assertEq(rec.lastRequestId(), o.requestId, "the ordinary one");
        assertEq(countLogs(vm.getRecordedLogs(), ICoordinator.Delivered.selector), 0, "nothing delivered");
        vm.warp(block.timestamp + WINDOW + 1);
        coord.deliver(f, output1(1.75e18), 0);
        assertEq(rec.calls(), 2, "delivered after the window");
        assertEq(rec.lastRequestId(), f.requestId, "the final-only one");
    }

    function test_deliver__after_the_window_calls_back_once() public {
        ICoordinator.Request memory r = finalRequest(Tiny.input2(2e18, 1e18));
        vm.prank(operator);
        coord.fulfill(r, output1(1.75e18), 0);
        uint256 at = block.timestamp;
        vm.warp(at + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotFinal.selector, r.requestId, at + WINDOW));
        coord.deliver(r, output1(1.75e18), 0);
        vm.warp(at + WINDOW + 1);
        assertTrue(coord.isFinal(r.requestId, modelId), "final");
        vm.expectEmit(true, true, false, true, address(coord));
        emit ICoordinator.Delivered(r.requestId, stranger, 0, true, output1(1.75e18));
        vm.prank(stranger); // anyone may deliver
        assertTrue(coord.deliver(r, output1(1.75e18), 0), "callback ran");
        assertEq(rec.calls(), 1, "one callback");
        assertEq(rec.lastOutput(), output1(1.75e18), "output");
        assertEq(rec.lastRequestId(), r.requestId, "id");
        assertEq(rec.lastCaller(), address(coord), "from the coordinator");
        assertTrue(coord.callbackSucceeded(r.requestId), "recorded");
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.AlreadyDelivered.selector, r.requestId));
        coord.deliver(r, output1(1.75e18), 0);
        assertEq(rec.calls(), 1, "still one");
    }

    function test_deliver__checks_the_fulfilled_commitment() public {
        ICoordinator.Request memory r = finalRequest(Tiny.input2(2e18, 1e18));
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotFulfilled.selector, r.requestId));
        coord.deliver(r, output1(1.75e18), 0);
        vm.prank(operator);
        coord.fulfill(r, output1(1.75e18), 0);
        vm.warp(block.timestamp + WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.ResultMismatch.selector, r.requestId));
        coord.deliver(r, output1(1.76e18), 0);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.ResultMismatch.selector, r.requestId));
        coord.deliver(r, output1(1.75e18), 3);
        ICoordinator.Request memory t = r;
        t.payment += 1;
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.ResultMismatch.selector, r.requestId));
        coord.deliver(t, output1(1.75e18), 0);
        assertEq(rec.calls(), 0, "nothing delivered");
    }

    function test_deliver__ordinary_request_is_not_final_only() public {
        ICoordinator.Request memory r =
            doRequest(user, Tiny.input2(1, 2), address(rec), Recorder.onResult.selector, 200_000);
        vm.prank(operator);
        coord.fulfill(r, output1(5), 0);
        assertEq(rec.calls(), 1, "called back at fulfilment");
        vm.warp(block.timestamp + WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotFinalOnly.selector, r.requestId));
        coord.deliver(r, output1(5), 0);
    }

    function test_deliver__error_answer_is_delivered_with_its_code() public {
        ICoordinator.Request memory r = finalRequest(hex"0102");
        vm.prank(operator);
        coord.fulfill(r, "", 3);
        vm.warp(block.timestamp + WINDOW + 1);
        coord.deliver(r, "", 3);
        assertEq(rec.lastErrorCode(), 3, "code");
        assertEq(rec.lastOutput().length, 0, "empty output");
    }

    function test_deliver__callback_gets_exactly_the_limit_without_the_flag() public {
        GasProbe probe = new GasProbe();
        ICoordinator.Request memory r =
            doRequest(user, Tiny.input2(1, 1), address(probe), bytes4(0x12345678), 100_000 | FINAL_ONLY);
        vm.prank(operator);
        coord.fulfill(r, output1(1), 0);
        assertEq(probe.gasAtEntry(), 0, "not called at fulfilment");
        vm.warp(block.timestamp + WINDOW + 1);
        // too little gas reverts and leaves it deliverable
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.InsufficientGasForCallback.selector, r.requestId));
        coord.deliver{gas: 90_000}(r, output1(1), 0);
        assertTrue(coord.deliver(r, output1(1), 0), "delivered");
        assertLe(probe.gasAtEntry(), 100_000, "never more than asked");
        assertGe(probe.gasAtEntry() + 200, 100_000, "never less than asked");
    }

    function test_fulfill__final_only_without_a_window_is_delivered_at_fulfilment() public {
        vm.startPrank(operator);
        uint256 m0 = coord.registerModel(keccak256("other"), "x", 0, 2, 1);
        vm.stopPrank();
        uint256 price = coord.quote(m0, 200_000);
        for (uint256 later; later < 2; ++later) {
            vm.recordLogs();
            vm.prank(user);
            coord.request{value: price}(
                m0, abi.encode(later), address(rec), Recorder.onResult.selector, 200_000 | FINAL_ONLY
            );
            ICoordinator.Request memory r = requestFromLogs(vm.getRecordedLogs());
            if (later == 1) vm.warp(block.timestamp + 5);
            vm.recordLogs();
            vm.prank(operator);
            assertTrue(coord.fulfill(r, output1(7), 0), "called back at once: final at fulfilment");
            assertEq(rec.calls(), later + 1, "delivered");
            assertEq(countLogs(vm.getRecordedLogs(), ICoordinator.Delivered.selector), 1, "Delivered");
            vm.warp(block.timestamp + 1);
            if (later == 0) {
                // fulfilled in the request's second: the commitment stays, marked delivered
                vm.expectRevert(abi.encodeWithSelector(ICoordinator.AlreadyDelivered.selector, r.requestId));
            } else {
                // the slot was cleared (no window): nothing to deliver
                vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotFulfilled.selector, r.requestId));
            }
            coord.deliver(r, output1(7), 0);
            assertEq(rec.calls(), later + 1, "once");
        }
    }

    function test_challenge__final_only_lie_delivers_the_corrected_output_once() public {
        bytes memory input = Tiny.input2(2e18, 1e18);
        ICoordinator.Request memory r = finalRequest(input);
        vm.prank(operator);
        coord.fulfill(r, output1(9e18), 0);
        assertEq(rec.calls(), 0, "the lie never reached the consumer");
        vm.recordLogs();
        vm.prank(watcher);
        assertTrue(coord.challenge(r, output1(9e18), 0, tiny, input), "corrected callback ran");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(countLogs(logs, ICoordinator.Delivered.selector), 1, "Delivered with the correction");
        assertEq(rec.calls(), 1, "one callback");
        assertEq(rec.lastOutput(), output1(1.75e18), "corrected output");
        assertEq(coord.balanceOf(watcher), BOND / 2, "challenger share");
        vm.warp(block.timestamp + WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.AlreadyDelivered.selector, r.requestId));
        coord.deliver(r, output1(9e18), 0);
        assertEq(rec.calls(), 1, "still one callback");
    }

    function test_challenge__closed_after_delivery() public {
        bytes memory input = Tiny.input2(2e18, 1e18);
        ICoordinator.Request memory r = finalRequest(input);
        vm.prank(operator);
        coord.fulfill(r, output1(9e18), 0);
        vm.warp(block.timestamp + WINDOW + 1);
        coord.deliver(r, output1(9e18), 0); // nobody challenged in time: the lie is final
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.ChallengeWindowClosed.selector, r.requestId));
        coord.challenge(r, output1(9e18), 0, tiny, input);
        assertEq(rec.calls(), 1, "one callback");
    }

    function test_consumer__final_only_helper_waits_for_finality() public {
        FinalConsumer c = new FinalConsumer(coord, modelId);
        vm.deal(address(c), 1 ether);
        vm.recordLogs();
        uint256 id = c.ask(2e18, 1e18, true);
        ICoordinator.Request memory r = requestFromLogs(vm.getRecordedLogs());
        assertEq(r.requestId, id, "id");
        assertEq(r.callbackGasLimit, 100_000 | FINAL_ONLY, "flagged");
        assertEq(r.payment, coord.quote(modelId, 100_000), "paid the unflagged quote");
        vm.prank(operator);
        coord.fulfill(r, output1(1.75e18), 0);
        assertEq(c.valueOf(id), 0, "not yet");
        vm.warp(block.timestamp + WINDOW + 1);
        coord.deliver(r, output1(1.75e18), 0);
        assertEq(c.valueOf(id), 1.75e18, "value");
        assertTrue(c.finalAtCall(id), "final when it arrived");
        // the ordinary helper still calls back at fulfilment
        vm.recordLogs();
        uint256 id2 = c.ask(1e18, 0, false);
        r = requestFromLogs(vm.getRecordedLogs());
        assertEq(r.callbackGasLimit, 100_000, "not flagged");
        vm.prank(operator);
        coord.fulfill(r, output1(1.25e18), 0);
        assertEq(c.valueOf(id2), 1.25e18, "at once");
        assertFalse(c.finalAtCall(id2), "inside the window");
    }

    /// Delivery succeeds exactly when the window has passed, whatever the window.
    function testFuzz_deliver__only_after_the_window(uint64 window, uint64 wait) public {
        window = uint64(bound(window, WINDOW, 365 days));
        wait = uint64(bound(wait, 0, 400 days));
        vm.prank(operator);
        coord.setVerification(modelId, window, BOND);
        ICoordinator.Request memory r = finalRequest(Tiny.input2(2e18, 1e18));
        vm.prank(operator);
        coord.fulfill(r, output1(1.75e18), 0);
        uint256 at = block.timestamp;
        vm.warp(at + wait);
        if (wait > window) {
            coord.deliver(r, output1(1.75e18), 0);
            assertEq(rec.calls(), 1, "delivered");
        } else {
            vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotFinal.selector, r.requestId, at + window));
            coord.deliver(r, output1(1.75e18), 0);
            assertEq(rec.calls(), 0, "not delivered");
        }
    }

    /// A final-only consumer only ever sees the runtime's output: a lie is corrected inside
    /// the window, an honest result is delivered after it.
    function testFuzz_finalOnly__consumer_sees_the_correct_output(int128 a, int128 b, int64 lie) public {
        int256[] memory x = new int256[](2);
        x[0] = a;
        x[1] = b;
        (int256[] memory y,) = coord.verifier().predict(tiny, x);
        bytes memory input = abi.encode(x);
        bytes memory honest = abi.encode(y);
        bytes memory posted = lie == 0 ? honest : output1(y[0] + lie);
        ICoordinator.Request memory r = finalRequest(input);
        vm.prank(operator);
        coord.fulfill(r, posted, 0);
        if (lie != 0) {
            vm.prank(watcher);
            coord.challenge(r, posted, 0, tiny, input);
        } else {
            vm.warp(block.timestamp + WINDOW + 1);
            coord.deliver(r, posted, 0);
        }
        assertEq(rec.calls(), 1, "one callback");
        assertEq(rec.lastOutput(), honest, "the runtime's output");
    }
}

/// Random final-only and ordinary requests on the tiny model, honest and lying fulfilments,
/// challenges, deliveries and time jumps; the consumer records what it got and when.
contract FinalOnlyHandler is Test {
    Coordinator public coord;
    FinalityRecorder public rec;
    bytes internal tiny;
    uint256 public modelId;
    address internal op = address(0x0A01);
    address internal user = address(0xB001);
    uint32 internal constant FLAG = uint32(1) << 31;

    struct Item {
        ICoordinator.Request req;
        bytes input;
        bytes honest;
        bytes posted;
        uint32 code;
        bool fulfilled;
        bool corrected;
    }

    Item[] internal _items;
    bool public deliveredInsideWindow;
    uint256 public deliveries;
    uint256 public corrections;

    constructor(Coordinator c) {
        coord = c;
        tiny = Tiny.bytes_();
        rec = new FinalityRecorder(c);
        vm.deal(op, 100 ether);
        vm.deal(user, 1_000 ether);
        vm.startPrank(op);
        modelId = c.registerModel(keccak256(tiny), "tiny", 1e15, 2, 1);
        c.setVerification(modelId, 1 hours, 0.1 ether);
        c.postBond{value: 50 ether}(modelId);
        vm.stopPrank();
    }

    function count() external view returns (uint256) {
        return _items.length;
    }

    function itemAt(uint256 i)
        external
        view
        returns (ICoordinator.Request memory req, bytes memory honest, bool corrected, bool fulfilled)
    {
        Item storage it = _items[i];
        return (it.req, it.honest, it.corrected, it.fulfilled);
    }

    function request(int64 a, int64 b, bool finalOnly) external {
        if (!coord.getModel(modelId).active) return; // retired by a challenge
        int256[] memory x = new int256[](2);
        x[0] = int256(a) * 1e9;
        x[1] = int256(b) * 1e9;
        (int256[] memory y,) = coord.verifier().predict(tiny, x);
        uint32 limit = finalOnly ? 150_000 | FLAG : 150_000;
        uint256 price = coord.quote(modelId, limit);
        vm.recordLogs();
        vm.prank(user);
        coord.request{value: price}(modelId, abi.encode(x), address(rec), FinalityRecorder.onResult.selector, limit);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        Item storage it = _items.push();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != ICoordinator.Requested.selector) continue;
            ICoordinator.Request memory r;
            r.requestId = uint256(logs[i].topics[1]);
            r.modelId = uint256(logs[i].topics[2]);
            r.requester = address(uint160(uint256(logs[i].topics[3])));
            // data: callbackWord (callback, selector, gas limit), terms (deadline, payment), input
            (bytes32 cbw, uint256 terms, bytes memory inp) = abi.decode(logs[i].data, (bytes32, uint256, bytes));
            r.callback = address(uint160(uint256(cbw) >> 96));
            r.selector = bytes4(uint32(uint256(cbw) >> 64));
            r.callbackGasLimit = uint32(uint256(cbw) >> 32);
            r.deadline = uint64(terms >> 192);
            r.payment = terms & ((uint256(1) << 192) - 1);
            r.inputHash = keccak256(inp);
            it.req = r;
        }
        it.input = abi.encode(x);
        it.honest = abi.encode(y);
        rec.expect(it.req.requestId, modelId);
    }

    function fulfill(uint256 seed, int64 lie) external {
        if (_items.length == 0) return;
        Item storage it = _items[seed % _items.length];
        if (it.fulfilled) return;
        bytes memory posted = lie == 0 || seed % 3 == 0 ? it.honest : abi.encode(_one(lie));
        vm.prank(op);
        try coord.fulfill(it.req, posted, 0) {
            it.fulfilled = true;
            it.posted = posted;
        } catch {}
    }

    function challenge(uint256 seed) external {
        if (_items.length == 0) return;
        Item storage it = _items[seed % _items.length];
        if (!it.fulfilled) return;
        vm.prank(address(0xC4A1));
        try coord.challenge(it.req, it.posted, 0, tiny, it.input) {
            it.corrected = true;
            ++corrections;
        } catch {}
    }

    function deliver(uint256 seed) external {
        if (_items.length == 0) return;
        Item storage it = _items[seed % _items.length];
        if (!it.fulfilled) return;
        uint256 fulfilledAt = coord.fulfilledAt(it.req.requestId);
        try coord.deliver(it.req, it.posted, 0) {
            ++deliveries;
            if (block.timestamp <= fulfilledAt + coord.getModel(modelId).challengeWindow) {
                deliveredInsideWindow = true;
            }
        } catch {}
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 90 minutes));
    }

    function _one(int64 lie) internal pure returns (int256[] memory v) {
        v = new int256[](1);
        v[0] = int256(lie);
    }
}

contract FinalOnlyInvariantTest is Test {
    Coordinator internal coord;
    FinalOnlyHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        coord = new Coordinator(1 hours);
        handler = new FinalOnlyHandler(coord);
        targetContract(address(handler));
    }

    /// A final-only request is called back at most once, never before its result is final,
    /// and, when it was corrected, with the corrected output.
    function invariant_final_only__delivered_once_when_final_corrected_output_wins() public view {
        FinalityRecorder rec = handler.rec();
        uint256 n = handler.count();
        for (uint256 i; i < n; ++i) {
            (ICoordinator.Request memory r, bytes memory honest, bool corrected, bool fulfilled) = handler.itemAt(i);
            uint256 calls = rec.calls(r.requestId);
            bool finalOnly = r.callbackGasLimit & coord.FINAL_ONLY() != 0;
            if (!fulfilled) assertEq(calls, 0, "no callback before fulfilment");
            if (finalOnly) {
                assertLe(calls, 1, "delivered at most once");
                if (calls == 1) assertTrue(rec.finalAtCall(r.requestId), "never before final");
            } else {
                assertLe(calls, 2, "ordinary: fulfilment plus at most one correction");
            }
            if (corrected) {
                assertEq(calls, finalOnly ? 1 : 2, "the correction was delivered");
                assertEq(rec.outputOf(r.requestId), honest, "corrected output wins");
            }
        }
        assertFalse(handler.deliveredInsideWindow(), "delivered inside the window");
    }

    /// The handler's paths do what the invariant counts on (a delivery, a correction).
    function test_handler__delivers_and_corrects() public {
        handler.request(2e9, 1e9, true); // final-only
        handler.request(3e9, 1e9, true); // final-only, to be lied about
        handler.request(1e9, 1e9, false); // ordinary, to be lied about
        handler.fulfill(0, 0); // honest
        handler.fulfill(1, 5);
        handler.fulfill(2, 7);
        handler.challenge(1);
        handler.challenge(2);
        assertEq(handler.corrections(), 2, "two lies corrected");
        handler.deliver(0);
        assertEq(handler.deliveries(), 0, "not inside the window");
        handler.warp(90 minutes - 1); // bound(): 1 + 5399 % 5400 seconds
        handler.deliver(0);
        assertEq(handler.deliveries(), 1, "delivered after it");
        FinalityRecorder rec = handler.rec();
        (ICoordinator.Request memory r0,,,) = handler.itemAt(0);
        (ICoordinator.Request memory r1,,,) = handler.itemAt(1);
        (ICoordinator.Request memory r2,,,) = handler.itemAt(2);
        assertEq(rec.calls(r0.requestId), 1, "final-only honest: once");
        assertEq(rec.calls(r1.requestId), 1, "final-only lie: once, corrected");
        assertEq(rec.calls(r2.requestId), 2, "ordinary lie: at fulfilment and corrected");
        invariant_final_only__delivered_once_when_final_corrected_output_wins();
    }
}
