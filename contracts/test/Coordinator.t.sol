// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {Vm} from "./utils/Vm.sol";
import {Coordinator} from "../src/Coordinator.sol";
import {ICoordinator} from "../src/interfaces/ICoordinator.sol";
import {Recorder, GasProbe, Reverter, GasBurner, ReturnBomb, Reentrant, SelfServingOperator} from "./utils/Callbacks.sol";

contract CoordinatorRegistryTest is Fixture {
    function test_registerModel__stores_fields_and_emits() public {
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.ModelRegistered(2, stranger, bytes32(uint256(7)), "https://m", 5, 16, 3);
        vm.prank(stranger);
        uint256 id = coord.registerModel(bytes32(uint256(7)), "https://m", 5, 16, 3);
        assertEq(id, 2, "second model id");
        assertEq(coord.modelCount(), 2, "modelCount");
        ICoordinator.Model memory m = coord.getModel(id);
        assertEq(m.operator, stranger, "operator");
        assertEq(uint256(m.fee), 5, "fee");
        assertTrue(m.active, "active");
        assertEq(m.modelHash, bytes32(uint256(7)), "hash");
        assertEq(uint256(m.inputSize), 16, "inputSize");
        assertEq(uint256(m.outputSize), 3, "outputSize");
        assertEq(m.uri, "https://m", "uri");
    }

    function test_registerModel__rejects_zero_hash_sizes_and_huge_fee() public {
        vm.expectRevert(ICoordinator.InvalidModelHash.selector);
        coord.registerModel(bytes32(0), "", 1, 1, 1);
        vm.expectRevert(ICoordinator.InvalidSize.selector);
        coord.registerModel(bytes32(uint256(1)), "", 1, 0, 1);
        vm.expectRevert(ICoordinator.InvalidSize.selector);
        coord.registerModel(bytes32(uint256(1)), "", 1, 1, 0);
        uint256 big = uint256(type(uint88).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.FeeTooHigh.selector, big));
        coord.registerModel(bytes32(uint256(1)), "", big, 1, 1);
    }

    function test_setModelFee__only_operator_and_changes_quote() public {
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotModelOperator.selector, modelId, stranger));
        vm.prank(stranger);
        coord.setModelFee(modelId, 1);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.ModelFeeChanged(modelId, 42);
        vm.prank(operator);
        coord.setModelFee(modelId, 42);
        assertEq(coord.quote(modelId, 0), 42, "quote follows fee");
        assertEq(coord.quote(modelId, 1000), 42 + 1000 * GAS_PRICE, "quote adds callback gas");
    }

    function test_setModelFee__unknown_model_is_not_operated_by_zero_address() public {
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotModelOperator.selector, 99, address(0)));
        vm.prank(address(0));
        coord.setModelFee(99, 1);
    }

    function test_retireModel__blocks_new_requests_but_pending_can_be_fulfilled() public {
        Recorder rec = new Recorder();
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 300_000);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotModelOperator.selector, modelId, stranger));
        vm.prank(stranger);
        coord.retireModel(modelId);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.ModelRetired(modelId);
        vm.prank(operator);
        coord.retireModel(modelId);
        assertFalse(coord.getModel(modelId).active, "retired");
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.ModelNotActive.selector, modelId));
        coord.quote(modelId, 0);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.ModelNotActive.selector, modelId));
        vm.prank(user);
        coord.request{value: 1 ether}(modelId, features4(), address(0), bytes4(0), 0);
        vm.prank(operator);
        coord.fulfill(r, output1(1e18), 0);
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Fulfilled), "served");
    }

    function test_setCallbackGasPrice__per_model_only_operator_and_capped() public {
        vm.prank(stranger);
        uint256 other = coord.registerModel(bytes32(uint256(7)), "https://m", 5, 16, 3);
        assertEq(coord.callbackGasPrice(other), 0, "a new model's price is 0");
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.CallbackGasPriceChanged(other, 7);
        vm.prank(stranger);
        coord.setCallbackGasPrice(other, 7);
        assertEq(coord.callbackGasPrice(other), 7, "stranger's model");
        assertEq(coord.callbackGasPrice(modelId), GAS_PRICE, "operator's model unchanged");
        assertEq(coord.quote(other, 10), 5 + 70, "quote uses the model's price");
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotModelOperator.selector, modelId, stranger));
        vm.prank(stranger);
        coord.setCallbackGasPrice(modelId, 1);
        uint256 big = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.GasPriceTooHigh.selector, big));
        vm.prank(stranger);
        coord.setCallbackGasPrice(other, big);
    }
}

contract CoordinatorRequestTest is Fixture {
    function test_request__event_carries_every_field_and_slot_is_commitment() public {
        Recorder rec = new Recorder();
        uint256 price = coord.quote(modelId, 123_456);
        assertEq(price, FEE + 123_456 * GAS_PRICE, "quote");
        ICoordinator.Request memory want = ICoordinator.Request({
            requestId: 0,
            modelId: modelId,
            requester: user,
            callback: address(rec),
            selector: Recorder.onResult.selector,
            callbackGasLimit: 123_456,
            deadline: uint64(block.timestamp) + TIMEOUT,
            payment: price,
            inputHash: keccak256(features4())
        });
        uint256 id = uint256(keccak256(abi.encode(want))); // with requestId 0
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.Requested(
            id,
            modelId,
            user,
            callbackWord(address(rec), Recorder.onResult.selector, 123_456),
            termsWord(want.deadline, price),
            features4()
        );
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 123_456);
        assertEq(r.requestId, id, "id = keccak of the other fields");
        assertEq(r.inputHash, keccak256(features4()), "inputHash");
        assertEq(uint256(coord.requestState(id)), uint256(ICoordinator.RequestState.Pending), "pending");
        bytes32 h = keccak256(
            abi.encode(
                r.requestId,
                r.modelId,
                r.requester,
                r.callback,
                r.selector,
                r.callbackGasLimit,
                r.deadline,
                r.payment,
                r.inputHash
            )
        );
        bytes32 expected = bytes32((uint256(1) << 248) | (uint256(h) & ((uint256(1) << 248) - 1)));
        assertEq(coord.commitmentOf(id), expected, "slot layout per docs/coordinator.md");
        assertEq(coord.requestCommitment(r), expected, "requestCommitment view");
        assertEq(address(coord).balance, price, "escrowed");
    }

    function test_request__underpayment_reverts() public {
        uint256 price = coord.quote(modelId, 50_000);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.InsufficientPayment.selector, price, price - 1));
        vm.prank(user);
        coord.request{value: price - 1}(modelId, features4(), address(0), bytes4(0), 50_000);
    }

    function test_request__excess_is_refunded_at_once() public {
        uint256 price = coord.quote(modelId, 50_000);
        uint256 before = user.balance;
        vm.prank(user);
        coord.request{value: price + 1 ether}(modelId, features4(), address(0), bytes4(0), 50_000);
        assertEq(user.balance, before - price, "user paid exactly the quote");
        assertEq(address(coord).balance, price, "coordinator holds the quote");
    }

    function test_request__rejects_unknown_model_big_gas_limit_and_big_input() public {
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.ModelNotActive.selector, 77));
        coord.request(77, "", address(0), bytes4(0), 0);
        uint32 max = coord.MAX_CALLBACK_GAS_LIMIT();
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.CallbackGasLimitTooHigh.selector, max + 1, max));
        vm.prank(user);
        coord.request{value: 1 ether}(modelId, "", address(0), bytes4(0), max + 1);
        bytes memory big = new bytes(coord.MAX_INPUT_BYTES() + 1);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.InputTooLarge.selector, big.length, big.length - 1));
        vm.prank(user);
        coord.request{value: 1 ether}(modelId, big, address(0), bytes4(0), 0);
    }

    function test_request__identical_requests_in_one_block_get_distinct_ids() public {
        ICoordinator.Request memory a = doRequest(user, features4(), address(0), bytes4(0), 0);
        ICoordinator.Request memory b = doRequest(user, features4(), address(0), bytes4(0), 0);
        ICoordinator.Request memory c = doRequest(user, features4(), address(0), bytes4(0), 0);
        assertEq(b.requestId, uint256(keccak256(abi.encode(a.requestId))), "re-hashed once");
        assertEq(c.requestId, uint256(keccak256(abi.encode(b.requestId))), "re-hashed twice");
        assertTrue(coord.commitmentOf(a.requestId) != coord.commitmentOf(b.requestId), "distinct commitments");
        vm.startPrank(operator);
        coord.fulfill(b, output1(2), 0);
        coord.fulfill(a, output1(1), 0);
        coord.fulfill(c, output1(3), 0);
        vm.stopPrank();
        assertEq(coord.earnings(modelId), 3 * a.payment, "all three served");
        assertEq(uint256(coord.requestState(a.requestId)), uint256(ICoordinator.RequestState.Fulfilled), "a");
    }

    function test_request__same_fields_a_second_later_get_a_fresh_id() public {
        ICoordinator.Request memory a = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.warp(block.timestamp + 1);
        ICoordinator.Request memory b = doRequest(user, features4(), address(0), bytes4(0), 0);
        assertTrue(a.requestId != b.requestId && b.requestId != uint256(keccak256(abi.encode(a.requestId))), "fresh");
    }

    function test_request__price_changes_do_not_affect_pending_requests() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(0), bytes4(0), 10_000);
        vm.startPrank(operator);
        coord.setModelFee(modelId, 5 ether);
        coord.setCallbackGasPrice(modelId, 1 ether);
        coord.fulfill(r, output1(1), 0);
        vm.stopPrank();
        assertEq(coord.earnings(modelId), FEE + 10_000 * GAS_PRICE, "paid what the requester paid");
    }

    function test_request__largest_payment_and_fields_round_trip_through_the_packed_event() public {
        Recorder rec = new Recorder();
        vm.startPrank(operator);
        coord.setModelFee(modelId, coord.MAX_FEE());
        coord.setCallbackGasPrice(modelId, coord.MAX_CALLBACK_GAS_PRICE());
        vm.stopPrank();
        uint32 gasLimit = coord.MAX_CALLBACK_GAS_LIMIT();
        uint256 price = coord.quote(modelId, gasLimit);
        assertEq(price, coord.MAX_FEE() + uint256(gasLimit) * coord.MAX_CALLBACK_GAS_PRICE(), "largest price");
        assertLe(price, (uint256(1) << 192) - 1, "fits the terms word");
        vm.deal(user, price);
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), bytes4(0xffffffff), gasLimit);
        assertEq(r.payment, price, "payment");
        assertEq(r.callback, address(rec), "callback");
        assertEq(r.selector, bytes4(0xffffffff), "selector");
        assertEq(uint256(r.callbackGasLimit), gasLimit, "gas limit");
        assertEq(uint256(r.deadline), block.timestamp + TIMEOUT, "deadline");
        vm.warp(block.timestamp + 1);
        vm.prank(operator);
        coord.fulfill(r, output1(1), 0); // the rebuilt fields match the commitment
        assertEq(coord.earnings(modelId) + coord.balanceOf(operator), price, "paid in full");
    }

    function testFuzz_quote__is_fee_plus_gas_times_price(uint88 fee, uint128 price, uint32 gasLimit) public {
        vm.startPrank(operator);
        coord.setModelFee(modelId, fee);
        coord.setCallbackGasPrice(modelId, price);
        vm.stopPrank();
        // the FINAL_ONLY flag (bit 31) is not gas: the price is for the limit without it
        uint256 gas = gasLimit & ~coord.FINAL_ONLY();
        assertEq(coord.quote(modelId, gasLimit), uint256(fee) + gas * price, "quote");
    }
}

contract CoordinatorFulfilTest is Fixture {
    Recorder internal rec;

    function setUp() public override {
        super.setUp();
        rec = new Recorder();
    }

    function test_fulfill__pays_operator_calls_back_and_records_result() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 300_000);
        bytes memory out = output1(0.8731e18);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.Fulfilled(r.requestId, 1, keccak256(out)); // errorCode 0, callback ok
        vm.prank(operator);
        assertTrue(coord.fulfill(r, out, 0), "callback success returned");
        assertEq(rec.calls(), 1, "called back once");
        assertEq(rec.lastRequestId(), r.requestId, "requestId passed");
        assertEq(rec.lastOutput(), out, "output passed");
        assertEq(uint256(rec.lastErrorCode()), 0, "errorCode passed");
        assertEq(rec.lastCaller(), address(coord), "caller is coordinator");
        assertEq(coord.earnings(modelId), r.payment, "operator credited");
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Fulfilled), "state");
        assertTrue(coord.callbackSucceeded(r.requestId), "callback success recorded");
        assertEq(uint256(coord.fulfilledAt(r.requestId)), block.timestamp, "fulfilledAt");
        uint256 slot = uint256(coord.commitmentOf(r.requestId));
        uint256 low200 = uint256(coord.resultHash(r, operator, out, 0)) & ((uint256(1) << 200) - 1);
        assertEq(slot & ((uint256(1) << 200) - 1), low200, "result hash in slot");
        assertEq(slot >> 248, 2, "state byte");
        assertEq((slot >> 240) & 0xff, 1, "callback byte");
    }

    function test_fulfill__second_fulfilment_reverts() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 300_000);
        vm.startPrank(operator);
        coord.fulfill(r, output1(1), 0);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.AlreadyFulfilled.selector, r.requestId));
        coord.fulfill(r, output1(2), 0);
        vm.stopPrank();
        assertEq(rec.calls(), 1, "one callback");
        assertEq(coord.earnings(modelId), r.payment, "paid once");
    }

    function test_fulfill__only_the_models_operator() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 300_000);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotModelOperator.selector, modelId, stranger));
        vm.prank(stranger);
        coord.fulfill(r, output1(1), 0);
        // the operator of another model cannot either, even naming its own model
        vm.prank(stranger);
        uint256 other = coord.registerModel(bytes32(uint256(9)), "", 0, 1, 1);
        r.modelId = other;
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.RequestMismatch.selector, r.requestId));
        vm.prank(stranger);
        coord.fulfill(r, output1(1), 0);
        assertEq(rec.calls(), 0, "never called back");
    }

    function test_fulfill__unknown_request_reverts() public {
        ICoordinator.Request memory r;
        r.requestId = 5;
        r.modelId = modelId;
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.UnknownRequest.selector, 5));
        vm.prank(operator);
        coord.fulfill(r, "", 0);
    }

    function testFuzz_fulfill__any_tampered_field_is_rejected(uint8 which, uint256 delta) public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 300_000);
        delta = bound(delta, 1, type(uint32).max);
        which = uint8(bound(which, 0, 7));
        if (which == 0) r.requester = address(uint160(r.requester) ^ uint160(delta));
        if (which == 1) r.callback = address(uint160(r.callback) ^ uint160(delta));
        if (which == 2) r.selector = bytes4(uint32(r.selector) ^ uint32(delta));
        if (which == 3) r.callbackGasLimit = uint32(r.callbackGasLimit ^ uint32(delta));
        if (which == 4) r.deadline = r.deadline ^ uint64(delta);
        if (which == 5) r.payment = r.payment ^ delta;
        if (which == 6) r.inputHash = bytes32(uint256(r.inputHash) ^ delta);
        if (which == 7) r.modelId = r.modelId ^ delta;
        vm.prank(operator);
        vm.expectRevert();
        coord.fulfill(r, output1(1), 0);
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Pending), "still pending");
        assertEq(coord.earnings(modelId), 0, "unpaid");
    }

    function test_fulfill__error_code_reaches_the_consumer() public {
        ICoordinator.Request memory r = doRequest(user, hex"dead", address(rec), Recorder.onResult.selector, 300_000);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.Fulfilled(r.requestId, (0xfffffffe << 8) | 1, keccak256("")); // outcome = code << 8 | ok
        vm.prank(operator);
        coord.fulfill(r, "", 0xfffffffe);
        assertEq(uint256(rec.lastErrorCode()), 0xfffffffe, "errorCode");
        assertEq(rec.lastOutput(), "", "empty output");
        assertEq(coord.earnings(modelId), r.payment, "operator paid for an error answer");
    }

    function test_fulfill__output_too_large_reverts() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 300_000);
        bytes memory big = new bytes(coord.MAX_OUTPUT_BYTES() + 1);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.OutputTooLarge.selector, big.length, big.length - 1));
        vm.prank(operator);
        coord.fulfill(r, big, 0);
    }

    function test_fulfill__no_callback_when_callback_is_zero_address() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.prank(operator);
        assertFalse(coord.fulfill(r, output1(1), 0), "no callback ran");
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Fulfilled), "state");
    }

    function test_fulfill__callback_to_account_without_code_is_a_failure() public {
        ICoordinator.Request memory r =
            doRequest(user, features4(), address(0xC0DE), Recorder.onResult.selector, 50_000);
        vm.prank(operator);
        assertFalse(coord.fulfill(r, output1(1), 0), "no code, no success");
        assertFalse(coord.callbackSucceeded(r.requestId), "recorded as failed");
    }

    function _fulfilMalicious(address cb, uint32 gasLimit) internal returns (ICoordinator.Request memory r, bool ok) {
        r = doRequest(user, features4(), cb, Recorder.onResult.selector, gasLimit);
        vm.prank(operator);
        ok = coord.fulfill(r, output1(1), 0);
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Fulfilled), "fulfilled");
        assertEq(coord.earnings(modelId), r.payment, "operator paid");
    }

    function test_fulfill__reverting_callback_cannot_block() public {
        (ICoordinator.Request memory r, bool ok) = _fulfilMalicious(address(new Reverter()), 100_000);
        assertFalse(ok, "failure returned");
        assertFalse(coord.callbackSucceeded(r.requestId), "failure recorded");
    }

    function test_fulfill__gas_burning_callback_cannot_block() public {
        (ICoordinator.Request memory r, bool ok) = _fulfilMalicious(address(new GasBurner()), 2_000_000);
        assertFalse(ok, "failure returned");
        assertFalse(coord.callbackSucceeded(r.requestId), "failure recorded");
    }

    function test_fulfill__returndata_bomb_cannot_block_or_cost_the_operator() public {
        ReturnBomb bomb = new ReturnBomb();
        ICoordinator.Request memory r =
            doRequest(user, features4(), address(bomb), Recorder.onResult.selector, 2_000_000);
        uint256 g = gasleft();
        vm.prank(operator);
        bool ok = coord.fulfill(r, output1(1), 0);
        uint256 used = g - gasleft();
        assertTrue(ok, "returning a bomb is a success");
        // copying 512 KiB of returndata would cost far more than the callback's own gas
        assertLe(used, 2_000_000 + 100_000, "returndata never copied");
        bomb.setRevert(true);
        r = doRequest(user, features4(), address(bomb), Recorder.onResult.selector, 2_000_000);
        vm.prank(operator);
        assertFalse(coord.fulfill(r, output1(1), 0), "reverting bomb is a failure");
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Fulfilled), "fulfilled");
    }

    function test_fulfill__reentrant_callback_cannot_double_fulfil_cancel_or_steal() public {
        Reentrant evil = new Reentrant(coord);
        vm.deal(address(evil), 1 ether);
        ICoordinator.Request memory r =
            doRequest(address(evil), features4(), address(evil), Reentrant.onResult.selector, 1_000_000);
        evil.save(r);
        vm.warp(r.deadline + 1); // even past the deadline, a fulfilled request cannot be cancelled
        uint256 held = address(coord).balance;
        vm.prank(operator);
        assertTrue(coord.fulfill(r, output1(1), 0), "callback itself succeeded");
        assertEq(evil.calls(), 1, "called once");
        assertFalse(evil.reentryFulfilled(), "no second fulfilment");
        assertFalse(evil.reentryCancelled(), "no cancel");
        assertFalse(evil.reentryWithdrew(), "nothing to withdraw");
        assertFalse(evil.reentryBatchServed(), "batch served nothing");
        assertEq(address(coord).balance, held, "no ETH left the coordinator");
        assertEq(coord.earnings(modelId), r.payment, "operator paid once");
    }

    function test_fulfill__callback_receives_exactly_its_gas_limit() public {
        GasProbe probe = new GasProbe();
        uint32[4] memory limits = [uint32(30_000), 100_000, 777_777, 3_000_000];
        for (uint256 i; i < limits.length; ++i) {
            ICoordinator.Request memory r = doRequest(user, features4(), address(probe), bytes4(0x12345678), limits[i]);
            vm.prank(operator);
            assertTrue(coord.fulfill(r, output1(1), 0), "probe ran");
            uint256 got = probe.gasAtEntry();
            // the probe's own dispatch costs a few dozen gas before it reads gasleft()
            assertLe(got, limits[i], "never more than asked");
            assertGe(got + 200, limits[i], "never less than asked (minus the probe's entry cost)");
        }
    }

    function testFuzz_fulfill__never_short_changes_the_callback(uint32 limit, uint256 supplied) public {
        limit = uint32(bound(limit, 25_000, 2_000_000));
        supplied = bound(supplied, 50_000, 3_000_000);
        GasProbe probe = new GasProbe();
        ICoordinator.Request memory r = doRequest(user, features4(), address(probe), bytes4(0x12345678), limit);
        vm.prank(operator);
        try coord.fulfill{gas: supplied}(r, output1(1), 0) returns (bool ok) {
            assertTrue(ok, "probe succeeded");
            assertGe(probe.gasAtEntry() + 200, limit, "callback got its gas");
        } catch (bytes memory err) {
            // too little gas: the request must still be pending, never served short
            assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Pending), "pending");
            if (err.length >= 4) {
                assertEq(bytes32(bytes4(err)), bytes32(ICoordinator.InsufficientGasForCallback.selector), "reason");
            }
        }
    }

    function test_fulfill__insufficient_gas_reverts_with_reason() public {
        GasProbe probe = new GasProbe();
        ICoordinator.Request memory r = doRequest(user, features4(), address(probe), bytes4(0x12345678), 1_000_000);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.InsufficientGasForCallback.selector, r.requestId));
        coord.fulfill{gas: 900_000}(r, output1(1), 0);
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Pending), "pending");
    }
}

contract CoordinatorBatchTest is Fixture {
    function test_fulfillBatch__serves_all_and_skips_what_is_not_pending() public {
        Recorder rec = new Recorder();
        Reverter bad = new Reverter();
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](5);
        for (uint256 i; i < 5; ++i) {
            address cb = i == 2 ? address(bad) : address(rec);
            items[i].req = doRequest(user, features4(), cb, Recorder.onResult.selector, 300_000);
            items[i].output = output1(int256(i));
        }
        // item 1 already fulfilled, item 3 tampered (mismatch)
        vm.prank(operator);
        coord.fulfill(items[1].req, output1(99), 0);
        items[3].req.payment += 1;
        vm.recordLogs();
        vm.prank(operator);
        uint256 served = coord.fulfillBatch(items);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(served, 3, "served 0, 2, 4");
        assertEq(countLogs(logs, ICoordinator.Fulfilled.selector), 3, "three Fulfilled events");
        assertEq(countLogs(logs, ICoordinator.FulfilmentSkipped.selector), 2, "two skipped");
        assertEq(rec.calls(), 1 + 2, "recorder: single + items 0 and 4");
        assertEq(rec.lastRequestId(), items[4].req.requestId, "last served");
        assertFalse(coord.callbackSucceeded(items[2].req.requestId), "reverting consumer recorded");
        assertEq(
            uint256(coord.requestState(items[3].req.requestId)), uint256(ICoordinator.RequestState.Pending), "tampered"
        );
        assertEq(coord.earnings(modelId), 4 * items[0].req.payment, "paid for 4 fulfilments in all");
    }

    function test_fulfillBatch__skip_reasons() public {
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](1);
        items[0].req.requestId = 42;
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.FulfilmentSkipped(42, ICoordinator.SkipReason.Unknown);
        vm.prank(operator);
        coord.fulfillBatch(items);

        items[0].req = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.FulfilmentSkipped(items[0].req.requestId, ICoordinator.SkipReason.Mismatch);
        vm.prank(stranger); // not the operator: commitment does not match
        assertEq(coord.fulfillBatch(items), 0, "stranger serves nothing");

        vm.warp(items[0].req.deadline + 1);
        vm.prank(user);
        coord.cancel(items[0].req);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.FulfilmentSkipped(items[0].req.requestId, ICoordinator.SkipReason.Cancelled);
        vm.prank(operator);
        coord.fulfillBatch(items);
    }

    function test_fulfillBatch__duplicate_item_in_one_batch_is_served_once() public {
        Recorder rec = new Recorder();
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](2);
        items[0].req = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 300_000);
        items[1] = items[0];
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.FulfilmentSkipped(items[0].req.requestId, ICoordinator.SkipReason.AlreadyFulfilled);
        vm.prank(operator);
        assertEq(coord.fulfillBatch(items), 1, "once");
        assertEq(rec.calls(), 1, "one callback");
        assertEq(coord.earnings(modelId), items[0].req.payment, "paid once");
    }

    function test_fulfillBatch__each_callback_receives_exactly_its_gas_limit() public {
        GasProbe[3] memory probes = [new GasProbe(), new GasProbe(), new GasProbe()];
        uint32[3] memory limits = [uint32(25_000), 400_000, 1_500_000];
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](3);
        for (uint256 i; i < 3; ++i) {
            items[i].req = doRequest(user, features4(), address(probes[i]), bytes4(0x12345678), limits[i]);
        }
        vm.prank(operator);
        assertEq(coord.fulfillBatch(items), 3, "all served");
        for (uint256 i; i < 3; ++i) {
            assertLe(probes[i].gasAtEntry(), limits[i], "never more than asked");
            assertGe(probes[i].gasAtEntry() + 200, limits[i], "never less than asked");
        }
    }

    function test_fulfillBatch__operator_reentering_from_its_own_callback_is_paid_exactly_once() public {
        SelfServingOperator so = new SelfServingOperator(coord);
        so.register();
        uint256 mid = so.modelId();
        uint32[2] memory gasLimits = [uint32(1_000_000), 100_000]; // the outer callback hosts the inner batch
        uint256 price = coord.quote(mid, 0); // callback gas price 0: price = fee
        ICoordinator.Request[2] memory rs;
        for (uint256 i; i < 2; ++i) {
            vm.recordLogs();
            vm.prank(user);
            coord.request{value: price}(
                mid, abi.encode(i), address(so), SelfServingOperator.onResult.selector, gasLimits[i]
            );
            rs[i] = requestFromLogs(vm.getRecordedLogs());
        }
        so.setNext(rs[1], rs[0]);
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](1);
        items[0] = ICoordinator.Fulfilment(rs[0], "", 0);
        assertEq(so.serve(items), 1, "outer batch served one");
        assertEq(so.callbacks(), 2, "both callbacks ran");
        assertEq(so.nestedServed(), 1, "nested batch skipped the outer request, served the next");
        assertFalse(so.nestedRefulfilOfOuterSucceeded(), "operator cannot re-fulfil from its callback");
        // the nested batch credited request 1 before the collection; request 0's credit
        // followed the outer loop
        assertEq(so.withdrawnDuringCallback(), price, "withdrew the nested batch's earnings");
        assertEq(coord.earnings(mid), price, "outer batch's earnings credited after");
        assertEq(coord.balanceOf(address(so)), 0, "nothing left to withdraw");
        assertEq(address(coord).balance, price, "ETH conserved");
        assertEq(uint256(coord.requestState(rs[1].requestId)), uint256(ICoordinator.RequestState.Fulfilled), "1");
    }

    function test_fulfillBatch__insufficient_gas_reverts_whole_batch() public {
        GasProbe probe = new GasProbe();
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](2);
        items[0].req = doRequest(user, features4(), address(probe), bytes4(0x12345678), 30_000);
        items[1].req = doRequest(user, features4(), address(probe), bytes4(0x12345678), 1_000_000);
        vm.prank(operator);
        vm.expectRevert(
            abi.encodeWithSelector(ICoordinator.InsufficientGasForCallback.selector, items[1].req.requestId)
        );
        coord.fulfillBatch{gas: 700_000}(items);
        assertEq(uint256(coord.requestState(items[0].req.requestId)), uint256(ICoordinator.RequestState.Pending), "0");
    }
}

contract CoordinatorCancelTest is Fixture {
    function test_cancel__only_after_deadline_and_only_by_requester() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(0), bytes4(0), 10_000);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.DeadlineNotReached.selector, r.requestId, r.deadline));
        vm.prank(user);
        coord.cancel(r);
        vm.warp(r.deadline);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.DeadlineNotReached.selector, r.requestId, r.deadline));
        vm.prank(user);
        coord.cancel(r);
        vm.warp(r.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotRequester.selector, r.requestId, stranger));
        vm.prank(stranger);
        coord.cancel(r);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.Cancelled(r.requestId, user, r.payment);
        vm.prank(user);
        coord.cancel(r);
        assertEq(coord.balanceOf(user), r.payment, "refund credited");
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.Cancelled), "state");
        uint256 before = user.balance;
        vm.prank(user);
        coord.withdraw(payable(user));
        assertEq(user.balance, before + r.payment, "refund withdrawn");
        assertEq(address(coord).balance, 0, "nothing left");
    }

    function test_cancel__twice_or_after_fulfilment_reverts_and_fulfil_after_cancel_reverts() public {
        ICoordinator.Request memory a = doRequest(user, features4(), address(0), bytes4(0), 0);
        ICoordinator.Request memory b = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.prank(operator);
        coord.fulfill(b, output1(1), 0);
        vm.warp(a.deadline + 1);
        vm.startPrank(user);
        coord.cancel(a);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.RequestIsCancelled.selector, a.requestId));
        coord.cancel(a);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.AlreadyFulfilled.selector, b.requestId));
        coord.cancel(b);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.RequestIsCancelled.selector, a.requestId));
        vm.prank(operator);
        coord.fulfill(a, output1(1), 0);
        assertEq(coord.balanceOf(user), a.payment, "one refund");
        assertEq(coord.earnings(modelId), b.payment, "one payment");
    }

    function test_cancel__tampered_payment_is_rejected() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.warp(r.deadline + 1);
        r.payment = 50 ether;
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.RequestMismatch.selector, r.requestId));
        vm.prank(user);
        coord.cancel(r);
    }

    function testFuzz_cancel__refund_only_after_deadline(uint256 t) public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(0), bytes4(0), 0);
        t = bound(t, block.timestamp, uint256(r.deadline) + 10 days);
        vm.warp(t);
        vm.prank(user);
        try coord.cancel(r) {
            assertTrue(t > r.deadline, "cancelled only after the deadline");
            assertEq(coord.balanceOf(user), r.payment, "refund");
        } catch {
            assertTrue(t <= r.deadline, "refused only before the deadline");
            assertEq(coord.balanceOf(user), 0, "no refund");
        }
    }

    function test_fulfill__late_fulfilment_before_cancel_is_allowed() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.warp(r.deadline + 100);
        vm.prank(operator);
        coord.fulfill(r, output1(1), 0);
        // the fulfilment cleared the slot (no challenge window): the request is gone
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.UnknownRequest.selector, r.requestId));
        vm.prank(user);
        coord.cancel(r);
        assertEq(coord.balanceOf(user), 0, "no refund");
        assertEq(coord.earnings(modelId), r.payment, "operator paid");
    }

    function test_withdraw__pays_balance_once_and_rejects_empty() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.prank(operator);
        coord.fulfill(r, output1(1), 0);
        address payable to = payable(address(0xBEEF));
        vm.expectRevert(ICoordinator.NothingToWithdraw.selector);
        vm.prank(operator);
        coord.withdraw(to); // earnings are not in the balance until collected
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.EarningsCollected(modelId, operator, r.payment);
        vm.prank(stranger); // anyone may collect: it only moves them to the operator's balance
        assertEq(coord.collect(modelId), r.payment, "collected");
        assertEq(coord.earnings(modelId), 0, "earnings moved");
        assertEq(coord.balanceOf(operator), r.payment, "to the operator's balance");
        assertEq(coord.balanceOf(stranger), 0, "not the caller's");
        vm.expectRevert(ICoordinator.NothingToWithdraw.selector);
        coord.collect(modelId);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.Withdrawn(operator, to, r.payment);
        vm.prank(operator);
        coord.withdraw(to);
        assertEq(to.balance, r.payment, "paid out");
        assertEq(coord.balanceOf(operator), 0, "zeroed");
        vm.expectRevert(ICoordinator.NothingToWithdraw.selector);
        vm.prank(operator);
        coord.withdraw(to);
    }

    function test_withdraw__to_contract_that_rejects_ether_reverts_and_keeps_balance() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.prank(operator);
        coord.fulfill(r, output1(1), 0);
        coord.collect(modelId);
        address rejecter = address(new Reverter());
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.TransferFailed.selector, rejecter, r.payment));
        vm.prank(operator);
        coord.withdraw(payable(rejecter));
        assertEq(coord.balanceOf(operator), r.payment, "balance kept");
    }
}

/// @notice A model without a challenge window keeps no result: a fulfilment in a later second
/// than its request clears the request's slot (docs/coordinator.md, "Commitment layout").
contract CoordinatorClearedSlotTest is Fixture {
    Recorder internal rec;

    function setUp() public override {
        super.setUp();
        rec = new Recorder();
    }

    function test_fulfill__later_second_clears_slot_pays_and_calls_back() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 300_000);
        vm.warp(block.timestamp + 12);
        bytes memory out = output1(0.8731e18);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.Fulfilled(r.requestId, 1, keccak256(out)); // errorCode 0, callback ok
        vm.prank(operator);
        assertTrue(coord.fulfill(r, out, 0), "callback success returned");
        assertEq(rec.calls(), 1, "called back once");
        assertEq(rec.lastOutput(), out, "output passed");
        assertEq(coord.earnings(modelId), r.payment, "operator credited");
        assertEq(coord.commitmentOf(r.requestId), bytes32(0), "slot cleared");
        assertEq(uint256(coord.requestState(r.requestId)), uint256(ICoordinator.RequestState.None), "reads None");
        assertEq(address(coord).balance, r.payment, "the payment stays as the operator's balance");
    }

    function test_fulfill__failed_callback_is_recorded_in_the_event() public {
        Reverter bad = new Reverter();
        ICoordinator.Request memory r = doRequest(user, features4(), address(bad), Reverter.onResult.selector, 100_000);
        vm.warp(block.timestamp + 1);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.Fulfilled(r.requestId, 0, keccak256(output1(1))); // errorCode 0, callback failed
        vm.prank(operator);
        assertFalse(coord.fulfill(r, output1(1), 0), "failure returned");
        assertEq(coord.commitmentOf(r.requestId), bytes32(0), "slot cleared");
    }

    function test_fulfill__cleared_request_cannot_be_served_again_or_cancelled() public {
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 300_000);
        vm.warp(block.timestamp + 1);
        vm.startPrank(operator);
        coord.fulfill(r, output1(1), 0);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.UnknownRequest.selector, r.requestId));
        coord.fulfill(r, output1(2), 0);
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](1);
        items[0] = ICoordinator.Fulfilment(r, output1(3), 0);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.FulfilmentSkipped(r.requestId, ICoordinator.SkipReason.Unknown);
        assertEq(coord.fulfillBatch(items), 0, "batch serves nothing");
        vm.stopPrank();
        vm.warp(r.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.UnknownRequest.selector, r.requestId));
        vm.prank(user);
        coord.cancel(r);
        assertEq(rec.calls(), 1, "one callback");
        assertEq(coord.earnings(modelId), r.payment, "paid once");
        assertEq(coord.balanceOf(user), 0, "no refund");
    }

    function test_fulfill__same_second_as_request_keeps_the_result_commitment() public {
        // An identical request could still follow in this second and would hash to the same
        // id; keeping the slot non-zero makes it re-hash instead.
        ICoordinator.Request memory a = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.prank(operator);
        coord.fulfill(a, output1(1), 0);
        assertEq(uint256(coord.requestState(a.requestId)), uint256(ICoordinator.RequestState.Fulfilled), "kept");
        ICoordinator.Request memory b = doRequest(user, features4(), address(0), bytes4(0), 0);
        assertEq(b.requestId, uint256(keccak256(abi.encode(a.requestId))), "re-hashed, not reused");
    }

    function test_request__identical_request_after_a_cleared_one_gets_a_fresh_id() public {
        ICoordinator.Request memory a = doRequest(user, features4(), address(0), bytes4(0), 0);
        ICoordinator.Request memory b = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.warp(block.timestamp + 1);
        vm.startPrank(operator);
        coord.fulfill(a, output1(1), 0);
        coord.fulfill(b, output1(1), 0);
        vm.stopPrank();
        ICoordinator.Request memory c = doRequest(user, features4(), address(0), bytes4(0), 0);
        assertTrue(c.requestId != a.requestId && c.requestId != b.requestId, "fresh id");
        assertTrue(c.requestId != uint256(keccak256(abi.encode(b.requestId))), "not on the old chain");
        assertEq(uint256(coord.requestState(c.requestId)), uint256(ICoordinator.RequestState.Pending), "pending");
    }

    function test_fulfill__model_with_a_window_keeps_the_result_commitment() public {
        vm.prank(operator);
        coord.setVerification(modelId, 1 hours, 0);
        ICoordinator.Request memory r = doRequest(user, features4(), address(rec), Recorder.onResult.selector, 300_000);
        vm.warp(block.timestamp + 12);
        bytes memory out = output1(5);
        vm.prank(operator);
        coord.fulfill(r, out, 0);
        uint256 slot = uint256(coord.commitmentOf(r.requestId));
        assertEq(slot >> 248, 2, "Fulfilled");
        assertEq((slot >> 240) & 0xff, 1, "callback byte");
        assertEq(
            slot & ((uint256(1) << 200) - 1),
            uint256(coord.resultHash(r, operator, out, 0)) & ((uint256(1) << 200) - 1),
            "result hash"
        );
        assertFalse(coord.isFinal(r.requestId, modelId), "not final inside the window");
        vm.warp(block.timestamp + 1 hours + 1);
        assertTrue(coord.isFinal(r.requestId, modelId), "final after it");
    }

    function test_fulfillBatch__clears_each_served_slot_once() public {
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](3);
        for (uint256 i; i < 3; ++i) {
            items[i].req = doRequest(user, abi.encode(i), address(rec), Recorder.onResult.selector, 300_000);
            items[i].output = output1(int256(i));
        }
        items[2] = items[0]; // duplicate: served once
        vm.warp(block.timestamp + 1);
        vm.expectEmit(true, true, true, true, address(coord));
        emit ICoordinator.FulfilmentSkipped(items[0].req.requestId, ICoordinator.SkipReason.Unknown);
        vm.prank(operator);
        assertEq(coord.fulfillBatch(items), 2, "two served");
        assertEq(rec.calls(), 2, "two callbacks");
        assertEq(coord.commitmentOf(items[0].req.requestId), bytes32(0), "cleared 0");
        assertEq(coord.commitmentOf(items[1].req.requestId), bytes32(0), "cleared 1");
        assertEq(coord.earnings(modelId), 2 * items[0].req.payment, "paid twice");
    }
}

contract CoordinatorEarningsTest is Fixture {
    function test_earnings__accrue_per_model_exactly_and_collect_once() public {
        vm.prank(operator);
        uint256 other = coord.registerModel(bytes32(uint256(8)), "", 7, 1, 1);
        ICoordinator.Request memory a = doRequest(user, features4(), address(0), bytes4(0), 0);
        ICoordinator.Request memory b = doRequest(user, abi.encode(2), address(0), bytes4(0), 50_000);
        uint256 price = coord.quote(other, 0);
        vm.recordLogs();
        vm.prank(user);
        coord.request{value: price}(other, hex"01", address(0), bytes4(0), 0);
        ICoordinator.Request memory c = requestFromLogs(vm.getRecordedLogs());
        vm.warp(block.timestamp + 1);
        ICoordinator.Fulfilment[] memory items = new ICoordinator.Fulfilment[](2);
        items[0] = ICoordinator.Fulfilment(b, output1(2), 0);
        items[1] = ICoordinator.Fulfilment(c, output1(3), 0);
        vm.startPrank(operator);
        coord.fulfill(a, output1(1), 0);
        coord.fulfillBatch(items);
        vm.stopPrank();
        assertEq(coord.earnings(modelId), a.payment + b.payment, "model 1: two payments");
        assertEq(coord.earnings(other), c.payment, "model 2: one payment");
        assertEq(coord.getModel(modelId).operator, operator, "operator field intact");
        assertEq(coord.balanceOf(operator), 0, "nothing in the balance yet");
        coord.collect(modelId);
        coord.collect(other);
        assertEq(coord.balanceOf(operator), a.payment + b.payment + c.payment, "all collected");
        assertEq(address(coord).balance, a.payment + b.payment + c.payment, "held until withdrawn");
    }

    function test_earnings__flags_written_later_keep_them() public {
        ICoordinator.Request memory a = doRequest(user, features4(), address(0), bytes4(0), 0);
        vm.prank(operator);
        coord.fulfill(a, output1(1), 0);
        vm.startPrank(operator);
        coord.setVerification(modelId, 1 hours, 1 ether); // writes windowed and blocked
        vm.stopPrank();
        assertEq(coord.earnings(modelId), a.payment, "kept");
        ICoordinator.Request memory b = doRequest(user, abi.encode(1), address(0), bytes4(0), 0);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.OperatorBlocked.selector, modelId));
        vm.prank(operator);
        coord.fulfill(b, output1(1), 0);
        vm.deal(operator, 1 ether);
        vm.prank(operator);
        coord.postBond{value: 1 ether}(modelId);
        vm.prank(operator);
        coord.fulfill(b, output1(1), 0);
        assertEq(coord.earnings(modelId), a.payment + b.payment, "accrued on top");
        (uint256 bond,,) = coord.bondOf(modelId);
        assertEq(bond, 1 ether, "bond separate");
    }

    function test_earnings__payment_beyond_uint80_goes_to_the_balance() public {
        uint256 fee = uint256(type(uint80).max); // fits MAX_FEE (uint88)
        vm.prank(operator);
        coord.setModelFee(modelId, fee);
        vm.deal(user, 3 * fee);
        ICoordinator.Request memory a = doRequest(user, features4(), address(0), bytes4(0), 0);
        ICoordinator.Request memory b = doRequest(user, abi.encode(1), address(0), bytes4(0), 0);
        vm.startPrank(operator);
        coord.fulfill(a, output1(1), 0);
        coord.fulfill(b, output1(1), 0);
        vm.stopPrank();
        assertEq(coord.earnings(modelId), fee, "first payment accrued (exactly the uint80 max)");
        assertEq(coord.balanceOf(operator), fee, "second went straight to the balance");
        assertEq(address(coord).balance, 2 * fee, "conserved");
    }
}
