// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title TemplateOutputCollector: the template's OutputCollector interface
/// @notice Stores each output string by requestId; only the coordinator may set it; the owner
/// chooses the coordinator.
contract TemplateOutputCollector {
    address public owner;
    address public coordinator;
    mapping(uint256 => string) public outputs;

    event ResponseEvent(uint256 requestId, string output);

    error NotOwner(address caller);
    error NotCoordinator(address caller);

    constructor(address coordinator_) {
        owner = msg.sender;
        coordinator = coordinator_;
    }

    function setCoordinator(address coordinator_) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        coordinator = coordinator_;
    }

    function setOutput(uint256 requestId, string calldata output) external {
        if (msg.sender != coordinator) revert NotCoordinator(msg.sender);
        outputs[requestId] = output;
        emit ResponseEvent(requestId, output);
    }

    function getOutput(uint256 requestId) external view returns (string memory) {
        return outputs[requestId];
    }
}
