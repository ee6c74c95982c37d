// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {ICoordinator} from "../src/interfaces/ICoordinator.sol";
import {InferenceConsumer} from "../src/consumers/InferenceConsumer.sol";
import {OutputCollector} from "../src/consumers/OutputCollector.sol";
import {RiskGate} from "../src/consumers/RiskGate.sol";

/// @notice Exposes the base contract's request helper and records what it was handed.
contract SimpleConsumer is InferenceConsumer {
    uint256 public lastId;
    int256[] internal _last;
    uint32 public lastError;
    uint256 public results;
    uint256 public errors;

    constructor(ICoordinator c) InferenceConsumer(c) {}

    function ask(uint256 modelId, int256[] calldata features) external returns (uint256) {
        return _requestInference(modelId, features, 200_000);
    }

    function last() external view returns (int256[] memory) {
        return _last;
    }

    function _onInference(uint256 requestId, int256[] memory values) internal override {
        lastId = requestId;
        _last = values;
        ++results;
    }

    function _onInferenceError(uint256 requestId, uint32 errorCode) internal override {
        lastId = requestId;
        lastError = errorCode;
        ++errors;
    }

    receive() external payable {}
}

contract ConsumerBaseTest is Fixture {
    SimpleConsumer internal c;

    function setUp() public override {
        super.setUp();
        c = new SimpleConsumer(coord);
        vm.deal(address(c), 1 ether);
    }

    function _ask() internal returns (ICoordinator.Request memory r) {
        int256[] memory f = new int256[](2);
        f[0] = 1e18;
        f[1] = -2e18;
        vm.recordLogs();
        c.ask(modelId, f);
        r = requestFromLogs(vm.getRecordedLogs());
        assertEq(r.requester, address(c), "requester is the consumer");
        assertEq(r.payment, coord.quote(modelId, 200_000), "paid the quote");
        assertEq(r.inputHash, keccak256(abi.encode(f)), "input is abi.encode(int256[])");
    }

    function test_consumer__request_helper_pays_and_result_is_decoded() public {
        ICoordinator.Request memory r = _ask();
        int256[] memory v = new int256[](3);
        v[0] = 5e17;
        v[1] = -1;
        v[2] = type(int256).min;
        vm.prank(operator);
        assertTrue(coord.fulfill(r, abi.encode(v), 0), "callback ok");
        int256[] memory got = c.last();
        assertEq(got.length, 3, "length");
        assertEq(got[0], v[0], "v0");
        assertEq(got[1], v[1], "v1");
        assertEq(got[2], v[2], "v2");
        assertEq(c.lastId(), r.requestId, "id");
    }

    function test_consumer__error_code_and_malformed_output_reach_the_error_hook() public {
        ICoordinator.Request memory r = _ask();
        vm.prank(operator);
        coord.fulfill(r, "", 7);
        assertEq(uint256(c.lastError()), 7, "operator error");
        r = _ask();
        vm.prank(operator);
        assertTrue(coord.fulfill(r, hex"0102", 0), "handled, not reverted");
        assertEq(uint256(c.lastError()), uint256(c.ERROR_MALFORMED_OUTPUT()), "malformed");
        assertEq(c.results(), 0, "no result delivered");
    }

    function test_consumer__only_coordinator_may_call_back() public {
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.OnlyCoordinator.selector, stranger));
        vm.prank(stranger);
        c.rawFulfillInference(1, abi.encode(new int256[](1)), 0);
    }

    function testFuzz_decodeValues__roundtrips_abi_encoding(int256[] memory v) public view {
        (bool ok, int256[] memory got) = c.decodeValues(abi.encode(v));
        assertTrue(ok, "well-formed");
        assertEq(keccak256(abi.encode(got)), keccak256(abi.encode(v)), "same values");
    }

    function testFuzz_decodeValues__never_reverts_and_accepts_only_canonical(bytes memory junk) public view {
        (bool ok, int256[] memory got) = c.decodeValues(junk);
        if (ok) assertEq(keccak256(abi.encode(got)), keccak256(junk), "accepted only canonical encodings");
    }

    function test_decodeValues__rejects_bad_offset_length_and_trailing_bytes() public view {
        int256[] memory v = new int256[](2);
        bytes memory good = abi.encode(v);
        bool ok;
        (ok,) = c.decodeValues(good);
        assertTrue(ok, "good");
        bytes memory badOffset = abi.encodePacked(uint256(64), uint256(2), uint256(0), uint256(0));
        (ok,) = c.decodeValues(badOffset);
        assertFalse(ok, "offset");
        bytes memory longCount = abi.encodePacked(uint256(32), uint256(3), uint256(0), uint256(0));
        (ok,) = c.decodeValues(longCount);
        assertFalse(ok, "count beyond data");
        bytes memory hugeCount = abi.encodePacked(uint256(32), type(uint256).max, uint256(0));
        (ok,) = c.decodeValues(hugeCount);
        assertFalse(ok, "overflowing count");
        (ok,) = c.decodeValues(abi.encodePacked(good, uint8(0)));
        assertFalse(ok, "trailing byte");
    }
}

contract OutputCollectorTest is Fixture {
    OutputCollector internal coll;

    function setUp() public override {
        super.setUp();
        coll = new OutputCollector(coord);
    }

    function _req(int256[] memory f) internal returns (ICoordinator.Request memory r) {
        r = doRequest(user, abi.encode(f), address(coll), coll.rawFulfillInference.selector, 150_000);
    }

    function test_collector__stores_one_and_many_values_and_errors() public {
        ICoordinator.Request memory r1 = _req(new int256[](4));
        ICoordinator.Request memory r2 = _req(new int256[](4));
        ICoordinator.Request memory r3 = _req(new int256[](4));
        assertFalse(coll.isSet(r1.requestId), "not yet");
        vm.expectRevert(abi.encodeWithSelector(OutputCollector.NotSet.selector, r1.requestId));
        coll.getOutput(r1.requestId);

        int256[] memory one = new int256[](1);
        one[0] = -0.8731e18;
        vm.expectEmit(true, true, true, true, address(coll));
        emit OutputCollector.OutputReceived(r1.requestId, 0);
        vm.prank(operator);
        coord.fulfill(r1, abi.encode(one), 0);
        (int256[] memory got, uint32 err) = coll.getOutput(r1.requestId);
        assertEq(got.length, 1, "one value");
        assertEq(got[0], one[0], "value");
        assertEq(uint256(err), 0, "no error");

        int256[] memory three = new int256[](3);
        three[0] = 1;
        three[1] = type(int256).max;
        three[2] = -3e18;
        vm.prank(operator);
        coord.fulfill(r2, abi.encode(three), 0);
        (got,) = coll.getOutput(r2.requestId);
        assertEq(keccak256(abi.encode(got)), keccak256(abi.encode(three)), "three values");

        vm.prank(operator);
        coord.fulfill(r3, "", 4);
        (got, err) = coll.getOutput(r3.requestId);
        assertEq(got.length, 0, "no values");
        assertEq(uint256(err), 4, "error stored");
    }

    function test_collector__first_value_out_of_int184_fails_the_callback_not_the_fulfilment() public {
        ICoordinator.Request memory r = _req(new int256[](4));
        int256[] memory v = new int256[](1);
        v[0] = type(int256).max;
        vm.prank(operator);
        assertFalse(coord.fulfill(r, abi.encode(v), 0), "callback refused the value");
        assertFalse(coll.isSet(r.requestId), "nothing stored");
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Fulfilled), "served");
    }

    function test_collector__only_coordinator_sets() public {
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.OnlyCoordinator.selector, stranger));
        vm.prank(stranger);
        coll.rawFulfillInference(1, abi.encode(new int256[](1)), 0);
    }
}

contract RiskGateTest is Fixture {
    RiskGate internal gate;

    function setUp() public override {
        super.setUp();
        gate = new RiskGate(coord, modelId, 0.5e18);
    }

    function _assess(address who) internal returns (ICoordinator.Request memory r) {
        uint256 price = coord.quote(modelId, gate.CALLBACK_GAS());
        vm.deal(who, 1 ether);
        vm.recordLogs();
        vm.prank(who);
        gate.requestAssessment{value: price}(new int256[](4));
        r = requestFromLogs(vm.getRecordedLogs());
    }

    function _score(int256 s) internal pure returns (bytes memory) {
        int256[] memory v = new int256[](1);
        v[0] = s;
        return abi.encode(v);
    }

    function test_gate__low_score_allows_one_action() public {
        ICoordinator.Request memory r = _assess(user);
        vm.expectRevert(abi.encodeWithSelector(RiskGate.AssessmentPending.selector, user));
        vm.prank(user);
        gate.requestAssessment(new int256[](4));
        vm.expectRevert(abi.encodeWithSelector(RiskGate.NotApproved.selector, user));
        vm.prank(user);
        gate.act();
        vm.prank(operator);
        assertTrue(coord.fulfill(r, _score(0.49e18), 0), "callback ok");
        assertEq(uint256(gate.decisionOf(user)), uint256(RiskGate.Decision.Approved), "approved");
        vm.prank(user);
        gate.act();
        assertEq(gate.actions(), 1, "acted");
        vm.expectRevert(abi.encodeWithSelector(RiskGate.NotApproved.selector, user));
        vm.prank(user);
        gate.act();
    }

    function test_gate__ignores_results_of_requests_it_did_not_make() public {
        // a stranger requests on their own model with the gate as callback and answers 0
        vm.startPrank(stranger);
        uint256 own = coord.registerModel(bytes32(uint256(5)), "", 0, 4, 1);
        vm.recordLogs();
        coord.request(own, abi.encode(new int256[](4)), address(gate), gate.rawFulfillInference.selector, 60_000);
        ICoordinator.Request memory r = requestFromLogs(vm.getRecordedLogs());
        assertTrue(coord.fulfill(r, _score(0), 0), "callback ran");
        vm.stopPrank();
        assertEq(uint256(gate.decisionOf(stranger)), uint256(RiskGate.Decision.None), "stranger not approved");
        assertEq(uint256(gate.decisionOf(address(0))), uint256(RiskGate.Decision.None), "nothing recorded");
    }

    function test_gate__excess_payment_returns_to_the_user() public {
        uint256 price = coord.quote(modelId, gate.CALLBACK_GAS());
        uint256 before = user.balance;
        vm.prank(user);
        gate.requestAssessment{value: price + 5 ether}(new int256[](4));
        assertEq(user.balance, before - price, "paid the quote only");
        assertEq(address(gate).balance, 0, "gate keeps nothing");
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.InsufficientPayment.selector, price, price - 1));
        vm.prank(stranger);
        gate.requestAssessment{value: price - 1}(new int256[](4));
    }

    function test_gate__unanswered_assessment_can_be_cancelled_after_deadline() public {
        ICoordinator.Request memory r = _assess(user);
        vm.expectRevert(abi.encodeWithSelector(RiskGate.NotPending.selector, stranger));
        vm.prank(stranger);
        gate.cancelAssessment(r);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.DeadlineNotReached.selector, r.requestId, r.deadline));
        vm.prank(user);
        gate.cancelAssessment(r);
        vm.warp(r.deadline + 1);
        uint256 before = user.balance;
        vm.prank(user);
        gate.cancelAssessment(r);
        assertEq(user.balance, before + r.payment, "refunded to the user");
        assertEq(uint256(gate.decisionOf(user)), uint256(RiskGate.Decision.None), "may ask again");
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.RequestIsCancelled.selector, r.requestId));
        coord.fulfill(r, _score(0), 0);
    }

    function test_gate__high_score_error_or_garbage_denies() public {
        bytes[3] memory outs = [_score(0.5e18), bytes(""), hex"00"];
        uint32[3] memory codes = [uint32(0), 9, 0];
        for (uint256 k; k < 3; ++k) {
            address who = address(uint160(0x1000 + k));
            ICoordinator.Request memory r = _assess(who);
            vm.prank(operator);
            assertTrue(coord.fulfill(r, outs[k], codes[k]), "callback ok");
            assertEq(uint256(gate.decisionOf(who)), uint256(RiskGate.Decision.Denied), "denied");
            vm.expectRevert(abi.encodeWithSelector(RiskGate.NotApproved.selector, who));
            vm.prank(who);
            gate.act();
        }
        assertEq(gate.actions(), 0, "no action");
    }
}

/// @notice OutputCollector's one-value fast path stores exactly what the strict decoder path
/// stores, and leaves every other shape to the strict decoder.
contract OutputCollectorFastPathTest is Fixture {
    OutputCollector internal direct; // its coordinator is this test, so it can be called directly

    function setUp() public override {
        super.setUp();
        direct = new OutputCollector(ICoordinator(address(this)));
    }

    function one(int256 x) internal pure returns (bytes memory) {
        int256[] memory v = new int256[](1);
        v[0] = x;
        return abi.encode(v);
    }

    function testFuzz_collector__one_value_fast_path_matches_the_decoder(int184 x) public {
        // fast path: abi.encode(int256[1])
        direct.rawFulfillInference(1, one(x), 0);
        // the decoder's path for the same value: a two-value output's first value is stored
        // the same way (head word), so compare head words through getOutput
        int256[] memory v = new int256[](2);
        v[0] = x;
        v[1] = 7;
        direct.rawFulfillInference(2, abi.encode(v), 0);
        (int256[] memory a, uint32 ea) = direct.getOutput(1);
        (int256[] memory b, uint32 eb) = direct.getOutput(2);
        assertEq(a.length, 1, "one value");
        assertEq(a[0], int256(x), "value");
        assertEq(a[0], b[0], "same head as the decoder's");
        assertEq(uint256(ea), 0, "code a");
        assertEq(uint256(eb), 0, "code b");
    }

    function test_collector__fast_path_keeps_the_range_check() public {
        int256 big = int256(type(int184).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(OutputCollector.ValueOutOfRange.selector, 0));
        direct.rawFulfillInference(3, one(big), 0);
        assertFalse(direct.isSet(3), "nothing stored");
    }

    function test_collector__other_96_byte_shapes_go_to_the_strict_decoder() public {
        // offset 64 (non-canonical) and length 1: the strict decoder rejects it as malformed
        bytes memory odd = abi.encodePacked(uint256(64), uint256(1), int256(5));
        direct.rawFulfillInference(4, odd, 0);
        (int256[] memory v, uint32 code) = direct.getOutput(4);
        assertEq(v.length, 0, "no values");
        assertEq(uint256(code), uint256(direct.ERROR_MALFORMED_OUTPUT()), "malformed");
        // an error answer with a 96-byte output is still an error
        direct.rawFulfillInference(5, one(9), 6);
        (v, code) = direct.getOutput(5);
        assertEq(uint256(code), 6, "error code kept");
        assertEq(v.length, 0, "no values");
    }

    function test_collector__fast_path_still_only_from_the_coordinator() public {
        vm.expectRevert(abi.encodeWithSelector(InferenceConsumer.OnlyCoordinator.selector, stranger));
        vm.prank(stranger);
        direct.rawFulfillInference(6, one(1), 0);
    }
}
