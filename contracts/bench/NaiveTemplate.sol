// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The original template's contracts as its users have them, flaws included (anyone can
// fulfil, fulfilment can repeat, a reverting callback reverts fulfilment, a repeated
// requestId overwrites). Used only as the gas baseline (bench/gas.sh) and to show the flaws
// in contracts/test/Template.t.sol. Never deploy it.

contract NaiveCoordinator {
    struct Request {
        address user;
        string modelId;
        string input;
        address callbackContract;
        string callbackFunction;
        bool fulfilled;
    }

    mapping(uint256 => Request) public requests;
    mapping(uint256 => string) public outputs;

    event RequestEvent(
        uint256 requestId, address user, string modelId, string input, address callbackContract, string callbackFunction
    );
    event ResponseEvent(uint256 requestId, string output);

    function makeRequest(
        string memory modelId,
        string memory input,
        address callbackContract,
        string memory callbackFunction
    ) public returns (uint256) {
        uint256 requestId = uint256(
            keccak256(abi.encodePacked(block.timestamp, msg.sender, modelId, input, callbackContract, callbackFunction))
        );
        requests[requestId] = Request(msg.sender, modelId, input, callbackContract, callbackFunction, false);
        emit RequestEvent(requestId, msg.sender, modelId, input, callbackContract, callbackFunction);
        return requestId;
    }

    function fulfillRequest(uint256 requestId, string memory output) public {
        Request storage req = requests[requestId];
        outputs[requestId] = output;
        req.fulfilled = true;
        emit ResponseEvent(requestId, output);
        (bool success,) = req.callbackContract.call(abi.encodeWithSignature(req.callbackFunction, requestId, output));
        require(success, "Callback failed");
    }

    function getRequest(uint256 requestId)
        public
        view
        returns (address, string memory, string memory, address, string memory, bool)
    {
        Request memory r = requests[requestId];
        return (r.user, r.modelId, r.input, r.callbackContract, r.callbackFunction, r.fulfilled);
    }

    function getOutput(uint256 requestId) public view returns (string memory) {
        return outputs[requestId];
    }

    function requestStatus(uint256 requestId) public view returns (bool) {
        return requests[requestId].fulfilled;
    }
}

contract NaiveOutputCollector {
    address public owner;
    address public coordinator;
    mapping(uint256 => string) public outputs;

    event ResponseEvent(uint256 requestId, string output);

    constructor(address _coordinator) {
        owner = msg.sender;
        coordinator = _coordinator;
    }

    function setCoordinator(address _coordinator) public {
        require(msg.sender == owner, "Only owner");
        coordinator = _coordinator;
    }

    function setOutput(uint256 requestId, string memory output) public {
        require(msg.sender == coordinator, "Only coordinator");
        outputs[requestId] = output;
        emit ResponseEvent(requestId, output);
    }

    function getOutput(uint256 requestId) public view returns (string memory) {
        return outputs[requestId];
    }
}
