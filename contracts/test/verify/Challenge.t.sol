// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Fixture} from "../utils/Fixture.sol";
import {ICoordinator} from "../../src/interfaces/ICoordinator.sol";
import {Recorder} from "../utils/Callbacks.sol";

/// Bonds and challenges (docs/verification.md) on the worked example of docs/qmodel.md
/// section 11: y = x0 - 0.5 x1 + 0.25, 1e18 in and out; for x = (2, 1) the spec gives 1.75e18.
contract ChallengeTest is Fixture {
    Recorder internal rec;
    bytes internal tiny;
    uint64 internal constant WINDOW = 1 days;
    uint128 internal constant BOND = 1 ether;
    address internal watcher = address(0xC4A1);

    function setUp() public override {
        super.setUp();
        bytes memory inRec = abi.encodePacked(bytes32(0), hex"9392ee8f4b");
        tiny = abi.encodePacked(
            hex"4d324351010110001212000200010001",
            inRec,
            inRec,
            hex"00010000010000ffff800000004000",
            bytes32(uint256(1e18)),
            hex"10",
            bytes32(0)
        );
        vm.deal(operator, 10 ether);
        vm.startPrank(operator);
        modelId = coord.registerModel(keccak256(tiny), "ipfs://tiny", FEE, 2, 1);
        coord.setVerification(modelId, WINDOW, BOND);
        coord.postBond{value: BOND}(modelId);
        vm.stopPrank();
        rec = new Recorder();
    }

    function input2(int256 a, int256 b) internal pure returns (bytes memory) {
        int256[] memory v = new int256[](2);
        v[0] = a;
        v[1] = b;
        return abi.encode(v);
    }

    function fulfilled(bytes memory input, bytes memory output) internal returns (ICoordinator.Request memory r) {
        r = doRequest(user, input, address(rec), Recorder.onResult.selector, 200_000);
        vm.prank(operator);
        coord.fulfill(r, output, 0);
    }

    /// Sum of every balance the coordinator owes plus the bond and the model's uncollected
    /// earnings: equals its ETH.
    function assertConserved(address[4] memory accounts) internal view {
        uint256 owed = coord.earnings(modelId);
        for (uint256 i = 0; i < 4; i++) {
            owed += coord.balanceOf(accounts[i]);
        }
        (uint256 bond,,) = coord.bondOf(modelId);
        assertEq(address(coord).balance, owed + bond, "coordinator ETH = balances + earnings + bond");
    }

    function test_tiny_model__bytes_hash_as_in_the_spec() public view {
        assertEq(tiny.length, 170, "170 bytes");
        assertEq(keccak256(tiny), 0x13c60761af6173debd49bf1bf1c1a84794c140f3b65ea393c6a2cf8cc757284f, "spec hash");
        int256[] memory x = new int256[](2);
        x[0] = 2e18;
        x[1] = 1e18;
        (int256[] memory y,) = coord.verifier().predict(tiny, x);
        assertEq(y[0], 1.75e18, "spec output");
    }

    function test_challenge__liar_is_slashed_and_consumer_gets_corrected_output() public {
        bytes memory input = input2(2e18, 1e18);
        ICoordinator.Request memory r = fulfilled(input, output1(9e18));
        assertEq(rec.calls(), 1, "first callback");
        assertFalse(coord.isFinal(r.requestId, modelId), "not final inside the window");
        vm.prank(watcher);
        bool ok = coord.challenge(r, output1(9e18), 0, tiny, input);
        assertTrue(ok, "corrected callback ran");
        assertEq(rec.calls(), 2, "corrected callback");
        assertEq(rec.lastOutput(), output1(1.75e18), "corrected output from the spec");
        assertEq(rec.lastRequestId(), r.requestId, "request id");
        assertEq(coord.balanceOf(watcher), BOND / 2, "challenger share");
        assertEq(coord.balanceOf(user), BOND - BOND / 2, "requester gets the rest");
        (uint256 bond,, bool barred) = coord.bondOf(modelId);
        assertEq(bond, 0, "bond slashed");
        assertTrue(barred, "operator barred");
        assertFalse(coord.getModel(modelId).active, "model retired");
        assertTrue(coord.isFinal(r.requestId, modelId), "a corrected result is final");
        assertConserved([operator, user, watcher, stranger]);
        // the corrected result cannot be challenged again
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.AlreadyCorrected.selector, r.requestId));
        coord.challenge(r, output1(9e18), 0, tiny, input);
    }

    function test_challenge__wrong_error_code_is_slashed() public {
        bytes memory input = input2(3e18, -1e18);
        ICoordinator.Request memory r = doRequest(user, input, address(rec), Recorder.onResult.selector, 200_000);
        vm.prank(operator);
        coord.fulfill(r, "", 8);
        vm.prank(watcher);
        coord.challenge(r, "", 8, tiny, input);
        assertEq(rec.lastOutput(), output1(3.75e18), "3 + 0.5 + 0.25");
        assertEq(rec.lastErrorCode(), 0, "corrected code");
    }

    /// An honest result (the runtime's output) can never be slashed, whatever the input.
    function testFuzz_challenge__honest_result_never_slashed(int128 a, int128 b) public {
        int256[] memory x = new int256[](2);
        x[0] = a;
        x[1] = b;
        (int256[] memory y,) = coord.verifier().predict(tiny, x);
        bytes memory input = abi.encode(x);
        ICoordinator.Request memory r = fulfilled(input, abi.encode(y));
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.ResultCorrect.selector, r.requestId));
        vm.prank(watcher);
        coord.challenge(r, abi.encode(y), 0, tiny, input);
        (uint256 bond,, bool barred) = coord.bondOf(modelId);
        assertEq(bond, BOND, "bond intact");
        assertFalse(barred, "not barred");
    }

    function test_challenge__after_the_window_the_result_is_final() public {
        bytes memory input = input2(2e18, 1e18);
        ICoordinator.Request memory r = fulfilled(input, output1(9e18));
        vm.warp(block.timestamp + WINDOW + 1);
        assertTrue(coord.isFinal(r.requestId, modelId), "final");
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.ChallengeWindowClosed.selector, r.requestId));
        coord.challenge(r, output1(9e18), 0, tiny, input);
    }

    function test_challenge__checks_model_input_and_posted_result() public {
        bytes memory input = input2(2e18, 1e18);
        ICoordinator.Request memory r = fulfilled(input, output1(9e18));
        bytes memory other = bytes.concat(tiny);
        other[169] = 0x01; // oadd changed: another model
        vm.expectRevert(
            abi.encodeWithSelector(ICoordinator.ModelBytesMismatch.selector, keccak256(tiny), keccak256(other))
        );
        coord.challenge(r, output1(9e18), 0, other, input);
        bytes memory in2 = input2(2e18, 2e18);
        vm.expectRevert(
            abi.encodeWithSelector(ICoordinator.InputBytesMismatch.selector, keccak256(input), keccak256(in2))
        );
        coord.challenge(r, output1(9e18), 0, tiny, in2);
        // claiming the operator posted something it did not
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.ResultMismatch.selector, r.requestId));
        coord.challenge(r, output1(8e18), 0, tiny, input);
    }

    function test_challenge__text_input_is_not_decidable() public {
        bytes memory input = "2,1";
        ICoordinator.Request memory r = fulfilled(input, "9");
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.InputNotDecidable.selector, r.requestId));
        coord.challenge(r, "9", 0, tiny, input);
    }

    function test_bond__barred_or_unbonded_operator_cannot_fulfil() public {
        bytes memory input = input2(2e18, 1e18);
        ICoordinator.Request memory r = fulfilled(input, output1(9e18));
        ICoordinator.Request memory r2 = doRequest(user, input, address(rec), Recorder.onResult.selector, 200_000);
        coord.challenge(r, output1(9e18), 0, tiny, input);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.OperatorBlocked.selector, modelId));
        vm.prank(operator);
        coord.fulfill(r2, output1(1.75e18), 0);
    }

    function test_bond__unbonding_blocks_fulfilment_and_waits_a_window() public {
        ICoordinator.Request memory r = doRequest(user, input2(2e18, 1e18), address(0), bytes4(0), 0);
        vm.prank(operator);
        coord.startUnbonding(modelId);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.OperatorBlocked.selector, modelId));
        vm.prank(operator);
        coord.fulfill(r, output1(1.75e18), 0);
        vm.expectRevert();
        vm.prank(operator);
        coord.withdrawBond(modelId, payable(operator));
        vm.warp(block.timestamp + WINDOW + 1);
        uint256 before = operator.balance;
        vm.prank(operator);
        coord.withdrawBond(modelId, payable(operator));
        assertEq(operator.balance - before, BOND, "bond back");
    }

    function test_bond__below_min_bond_cannot_fulfil_and_window_cannot_shrink() public {
        vm.startPrank(operator);
        coord.setVerification(modelId, WINDOW, BOND + 1);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.WindowDecrease.selector, WINDOW, WINDOW - 1));
        coord.setVerification(modelId, WINDOW - 1, BOND);
        vm.stopPrank();
        ICoordinator.Request memory r = doRequest(user, input2(2e18, 1e18), address(0), bytes4(0), 0);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.OperatorBlocked.selector, modelId));
        vm.prank(operator);
        coord.fulfill(r, output1(1.75e18), 0);
        vm.prank(operator);
        coord.postBond{value: 1}(modelId);
        vm.prank(operator);
        coord.fulfill(r, output1(1.75e18), 0);
    }
}
