// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {TemplateCoordinator} from "../src/template/TemplateCoordinator.sol";
import {TemplateOutputCollector} from "../src/template/TemplateOutputCollector.sol";
import {NaiveCoordinator, NaiveOutputCollector} from "../bench/NaiveTemplate.sol";

contract RevertingCollector {
    function setOutput(uint256, string calldata) external pure {
        revert("nope");
    }
}

contract BurningCollector {
    uint256 public x;

    function setOutput(uint256, string calldata) external {
        while (true) {
            ++x;
        }
    }
}

contract TemplateTest is Test {
    TemplateCoordinator internal tc;
    TemplateOutputCollector internal coll;
    address internal op = address(0x0B);
    address internal user = address(0x05);

    string internal constant MODEL = "risk-model-v1";
    string internal constant INPUT = "0.52,1.3,-0.7,2.25";
    string internal constant CB = "setOutput(uint256,string)";

    function setUp() public {
        vm.warp(1_700_000_000);
        tc = new TemplateCoordinator();
        coll = new TemplateOutputCollector(address(tc));
        tc.setOperator(op, true);
    }

    function test_interface__selectors_match_the_template() public view {
        assertEq(
            bytes32(TemplateCoordinator.makeRequest.selector),
            bytes32(bytes4(keccak256("makeRequest(string,string,address,string)"))),
            "makeRequest"
        );
        assertEq(
            bytes32(TemplateCoordinator.fulfillRequest.selector),
            bytes32(bytes4(keccak256("fulfillRequest(uint256,string)"))),
            "fulfillRequest"
        );
        assertEq(
            bytes32(TemplateCoordinator.getRequest.selector), bytes32(bytes4(keccak256("getRequest(uint256)"))), "get"
        );
        assertEq(
            bytes32(TemplateCoordinator.getOutput.selector), bytes32(bytes4(keccak256("getOutput(uint256)"))), "getOut"
        );
        assertEq(bytes32(tc.outputs.selector), bytes32(bytes4(keccak256("outputs(uint256)"))), "outs");
        assertEq(
            bytes32(TemplateCoordinator.requestStatus.selector),
            bytes32(bytes4(keccak256("requestStatus(uint256)"))),
            "status"
        );
        assertEq(
            TemplateCoordinator.RequestEvent.selector,
            keccak256("RequestEvent(uint256,address,string,string,address,string)"),
            "RequestEvent"
        );
        assertEq(
            TemplateCoordinator.ResponseEvent.selector, keccak256("ResponseEvent(uint256,string)"), "ResponseEvent"
        );
        assertEq(
            bytes32(TemplateOutputCollector.setOutput.selector),
            bytes32(bytes4(keccak256("setOutput(uint256,string)"))),
            "setOutput"
        );
        assertEq(
            bytes32(TemplateOutputCollector.setCoordinator.selector),
            bytes32(bytes4(keccak256("setCoordinator(address)"))),
            "setCoordinator"
        );
        assertEq(
            TemplateOutputCollector.ResponseEvent.selector, keccak256("ResponseEvent(uint256,string)"), "collector ev"
        );
    }

    function _request() internal returns (uint256 id) {
        vm.expectEmit(false, false, false, true, address(tc));
        emit TemplateCoordinator.RequestEvent(
            uint256(keccak256(abi.encodePacked(block.timestamp, user, MODEL, INPUT, address(coll), CB))),
            user,
            MODEL,
            INPUT,
            address(coll),
            CB
        );
        vm.prank(user);
        id = tc.makeRequest(MODEL, INPUT, address(coll), CB);
        assertEq(id, uint256(keccak256(abi.encodePacked(block.timestamp, user, MODEL, INPUT, address(coll), CB))), "id");
    }

    function test_makeRequest__stores_request_and_refuses_duplicate_id() public {
        uint256 id = _request();
        (address u, string memory m, string memory i, address c, string memory f, bool done) = tc.getRequest(id);
        assertEq(u, user, "user");
        assertEq(m, MODEL, "model");
        assertEq(i, INPUT, "input");
        assertEq(c, address(coll), "callback");
        assertEq(f, CB, "function");
        assertFalse(done, "not fulfilled");
        assertFalse(tc.requestStatus(id), "status");
        vm.expectRevert(abi.encodeWithSelector(TemplateCoordinator.RequestExists.selector, id));
        vm.prank(user);
        tc.makeRequest(MODEL, INPUT, address(coll), CB);
    }

    function test_fulfillRequest__delivers_once_operators_only() public {
        uint256 id = _request();
        vm.expectRevert(abi.encodeWithSelector(TemplateCoordinator.NotOperator.selector, user));
        vm.prank(user);
        tc.fulfillRequest(id, "0.1");
        vm.expectEmit(false, false, false, true, address(tc));
        emit TemplateCoordinator.ResponseEvent(id, "0.8731");
        vm.expectEmit(false, false, false, true, address(coll));
        emit TemplateOutputCollector.ResponseEvent(id, "0.8731");
        vm.prank(op);
        tc.fulfillRequest(id, "0.8731");
        assertEq(tc.getOutput(id), "0.8731", "coordinator output");
        assertEq(tc.outputs(id), "0.8731", "outputs()");
        assertEq(coll.getOutput(id), "0.8731", "collector output");
        assertEq(coll.outputs(id), "0.8731", "collector outputs()");
        assertTrue(tc.requestStatus(id), "fulfilled");
        assertTrue(tc.callbackSucceeded(id), "callback ok");
        vm.expectRevert(abi.encodeWithSelector(TemplateCoordinator.AlreadyFulfilled.selector, id));
        vm.prank(op);
        tc.fulfillRequest(id, "0.9999");
        assertEq(coll.getOutput(id), "0.8731", "not overwritten");
        vm.expectRevert(abi.encodeWithSelector(TemplateCoordinator.UnknownRequest.selector, 12345));
        vm.prank(op);
        tc.fulfillRequest(12345, "x");
    }

    function test_fulfillRequest__reverting_or_burning_callback_does_not_block() public {
        address[2] memory bad = [address(new RevertingCollector()), address(new BurningCollector())];
        for (uint256 k; k < 2; ++k) {
            vm.prank(user);
            uint256 id = tc.makeRequest(MODEL, INPUT, bad[k], CB);
            vm.prank(op);
            tc.fulfillRequest(id, "0.5");
            assertTrue(tc.requestStatus(id), "fulfilled anyway");
            assertFalse(tc.callbackSucceeded(id), "failure recorded");
            assertEq(tc.getOutput(id), "0.5", "output kept");
        }
    }

    function test_admin__owner_only() public {
        vm.expectRevert(abi.encodeWithSelector(TemplateCoordinator.NotOwner.selector, user));
        vm.prank(user);
        tc.setOperator(user, true);
        vm.expectRevert(abi.encodeWithSelector(TemplateOutputCollector.NotOwner.selector, user));
        vm.prank(user);
        coll.setCoordinator(user);
        vm.expectRevert(abi.encodeWithSelector(TemplateOutputCollector.NotCoordinator.selector, user));
        vm.prank(user);
        coll.setOutput(1, "forged");
        coll.setCoordinator(user);
        vm.prank(user);
        coll.setOutput(1, "now allowed");
        assertEq(coll.getOutput(1), "now allowed", "new coordinator");
        tc.setOperator(op, false);
        uint256 id = _request();
        vm.expectRevert(abi.encodeWithSelector(TemplateCoordinator.NotOperator.selector, op));
        vm.prank(op);
        tc.fulfillRequest(id, "x");
    }

    /// The original template's flaws, which the fixed one does not have.
    function test_naive_template__has_the_flaws_the_fixed_one_removes() public {
        NaiveCoordinator naive = new NaiveCoordinator();
        NaiveOutputCollector ncoll = new NaiveOutputCollector(address(naive));
        vm.prank(user);
        uint256 id = naive.makeRequest(MODEL, INPUT, address(ncoll), CB);
        // anyone fulfils, and fulfilment repeats
        vm.prank(address(0xBAD));
        naive.fulfillRequest(id, "0.1");
        vm.prank(address(0xBAD2));
        naive.fulfillRequest(id, "0.2");
        assertEq(ncoll.getOutput(id), "0.2", "overwritten by a second stranger");
        // a reverting callback blocks fulfilment
        address rev = address(new RevertingCollector());
        vm.prank(user);
        uint256 id2 = naive.makeRequest(MODEL, INPUT, rev, CB);
        vm.expectRevert(bytes("Callback failed"));
        naive.fulfillRequest(id2, "0.3");
        assertFalse(naive.requestStatus(id2), "stuck");
    }
}
