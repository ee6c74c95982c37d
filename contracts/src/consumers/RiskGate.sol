// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICoordinator} from "../interfaces/ICoordinator.sol";
import {InferenceConsumer} from "./InferenceConsumer.sol";

/// @title RiskGate: allows an action only when a model scores its risk under a threshold
/// @notice A user asks for a risk assessment of their features (paying the quote); when the
/// model's score arrives and is below `threshold`, the user may call {act} once. An error
/// answer, a malformed output or a score at or above the threshold denies the action.
contract RiskGate is InferenceConsumer {
    enum Decision {
        None,
        Pending,
        Approved,
        Denied
    }

    /// @notice The model scoring risk (its first output value, 1e18 fixed point).
    uint256 public immutable modelId;
    /// @notice Scores strictly below this (1e18 fixed point) are approved.
    int256 public immutable threshold;
    /// @notice Gas given to the callback.
    uint32 public constant CALLBACK_GAS = 60_000;

    mapping(address user => Decision) public decisionOf;
    mapping(uint256 requestId => address user) public userOf;
    /// @notice How many actions have been performed (the gated effect).
    uint256 public actions;

    event AssessmentRequested(address indexed user, uint256 indexed requestId);
    event Assessed(address indexed user, uint256 indexed requestId, int256 score, bool approved, uint32 errorCode);
    event Acted(address indexed user);

    error AssessmentPending(address user);
    error NotApproved(address user);
    error NotPending(address user);

    constructor(ICoordinator coordinator_, uint256 modelId_, int256 threshold_) InferenceConsumer(coordinator_) {
        modelId = modelId_;
        threshold = threshold_;
    }

    /// @notice Asks for a risk score of `features`; msg.value pays the coordinator's quote and
    /// any excess is returned to msg.sender.
    function requestAssessment(int256[] calldata features) external payable returns (uint256 requestId) {
        if (decisionOf[msg.sender] == Decision.Pending) revert AssessmentPending(msg.sender);
        decisionOf[msg.sender] = Decision.Pending;
        uint256 price = coordinator.quote(modelId, CALLBACK_GAS);
        if (msg.value < price) revert ICoordinator.InsufficientPayment(price, msg.value);
        requestId = coordinator.request{value: price}(
            modelId, abi.encode(features), address(this), this.rawFulfillInference.selector, CALLBACK_GAS
        );
        userOf[requestId] = msg.sender;
        emit AssessmentRequested(msg.sender, requestId);
        if (msg.value > price) {
            (bool ok,) = payable(msg.sender).call{value: msg.value - price}("");
            if (!ok) revert ICoordinator.TransferFailed(msg.sender, msg.value - price);
        }
    }

    /// @notice Gives up on an assessment nobody answered: after the request's deadline the
    /// user cancels it through the gate and gets the payment back (sent to msg.sender).
    /// @param req the request's fields as emitted in the coordinator's Requested event
    function cancelAssessment(ICoordinator.Request calldata req) external {
        if (userOf[req.requestId] != msg.sender || decisionOf[msg.sender] != Decision.Pending) {
            revert NotPending(msg.sender);
        }
        decisionOf[msg.sender] = Decision.None;
        coordinator.cancel(req); // reverts before the deadline or if already fulfilled
        // the refund is this contract's only balance at the coordinator: every cancel
        // withdraws it at once
        coordinator.withdraw(payable(msg.sender));
    }

    /// @notice The gated action: allowed once per approval.
    function act() external {
        if (decisionOf[msg.sender] != Decision.Approved) revert NotApproved(msg.sender);
        decisionOf[msg.sender] = Decision.None;
        ++actions;
        emit Acted(msg.sender);
    }

    function _onInference(uint256 requestId, int256[] memory values) internal override {
        address user = userOf[requestId];
        // Anyone can name this contract as the callback of a request of their own (on any
        // model): only requests this gate made count.
        if (user == address(0)) return;
        bool approved = values.length > 0 && values[0] < threshold;
        decisionOf[user] = approved ? Decision.Approved : Decision.Denied;
        emit Assessed(user, requestId, values.length > 0 ? values[0] : int256(0), approved, 0);
    }

    function _onInferenceError(uint256 requestId, uint32 errorCode) internal override {
        address user = userOf[requestId];
        if (user == address(0)) return;
        decisionOf[user] = Decision.Denied;
        emit Assessed(user, requestId, 0, false, errorCode);
    }
}
