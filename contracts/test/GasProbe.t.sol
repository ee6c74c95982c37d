// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {ICoordinator} from "../src/interfaces/ICoordinator.sol";
import {OutputCollector} from "../src/consumers/OutputCollector.sol";

contract GasTraceTest is Fixture {
    function test_trace() public {
        OutputCollector coll = new OutputCollector(coord);
        ICoordinator.Request memory r0 = doRequest(user, features4(), address(coll), coll.rawFulfillInference.selector, 60_000);
        vm.prank(operator);
        coord.fulfill(r0, output1(0.8731e18), 0);
        ICoordinator.Request memory r = doRequest(user, features4(), address(coll), coll.rawFulfillInference.selector, 60_000);
        vm.prank(operator);
        coord.fulfill(r, output1(0.8731e18), 0);
    }
}
