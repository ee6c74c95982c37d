// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title TemplateCoordinator: the original template's coordinator interface, minus its flaws
/// @notice Same functions, events and requestId rule as the template users already have, so
/// their contracts and tooling keep working; fixed here:
///  - only operators (managed by the owner) can fulfil; each request exactly once;
///  - the callback runs with a bounded gas limit, its revert or returndata never blocks
///    fulfilment, and its success is recorded ({callbackSucceeded}, {CallbackResult});
///  - a requestId that already exists (same sender, block, strings) is refused instead of
///    silently overwriting the earlier request.
/// New code should use {Coordinator} (paid, one slot per request, batchable); see
/// docs/coordinator.md, "The template's interface".
contract TemplateCoordinator {
    struct Request {
        address user;
        bool fulfilled;
        bool callbackOk;
        string modelId;
        string input;
        address callbackContract;
        string callbackFunction;
    }

    /// @notice Gas available to a callback: fulfilment forwards exactly this much.
    uint32 public callbackGasLimit = 200_000;
    address public owner;
    mapping(address => bool) public isOperator;
    /// @notice The output of each fulfilled request.
    mapping(uint256 => string) public outputs;
    mapping(uint256 => Request) private _requests;

    event RequestEvent(
        uint256 requestId, address user, string modelId, string input, address callbackContract, string callbackFunction
    );
    event ResponseEvent(uint256 requestId, string output);
    /// @notice Emitted after each callback (an addition to the template's events).
    event CallbackResult(uint256 indexed requestId, bool success);
    event OperatorSet(address indexed operator, bool allowed);
    event CallbackGasLimitSet(uint32 gasLimit);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotOwner(address caller);
    error NotOperator(address caller);
    error RequestExists(uint256 requestId);
    error UnknownRequest(uint256 requestId);
    error AlreadyFulfilled(uint256 requestId);
    error InsufficientGasForCallback(uint256 requestId);
    error ZeroAddress();

    uint256 private constant GAS_FOR_CALL_EXACT_CHECK = 5_000;

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    constructor() {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    /// @notice Records a request and emits {RequestEvent}. requestId is
    /// uint256(keccak256(abi.encodePacked(block.timestamp, msg.sender, modelId, input,
    /// callbackContract, callbackFunction))), as in the template.
    function makeRequest(
        string calldata modelId,
        string calldata input,
        address callbackContract,
        string calldata callbackFunction
    ) external returns (uint256 requestId) {
        requestId = uint256(
            keccak256(abi.encodePacked(block.timestamp, msg.sender, modelId, input, callbackContract, callbackFunction))
        );
        Request storage r = _requests[requestId];
        if (r.user != address(0)) revert RequestExists(requestId);
        r.user = msg.sender;
        r.modelId = modelId;
        r.input = input;
        r.callbackContract = callbackContract;
        r.callbackFunction = callbackFunction;
        emit RequestEvent(requestId, msg.sender, modelId, input, callbackContract, callbackFunction);
    }

    /// @notice Fulfils a request once (operators only): stores the output, emits
    /// {ResponseEvent} and calls `callbackFunction(uint256,string)` on the callback contract
    /// with exactly {callbackGasLimit} gas; the callback's failure is recorded, not raised.
    function fulfillRequest(uint256 id, string calldata output) external {
        if (!isOperator[msg.sender]) revert NotOperator(msg.sender);
        Request storage r = _requests[id];
        if (r.user == address(0)) revert UnknownRequest(id);
        if (r.fulfilled) revert AlreadyFulfilled(id);
        r.fulfilled = true;
        outputs[id] = output;
        emit ResponseEvent(id, output);

        address target = r.callbackContract;
        bytes memory data = abi.encodeWithSelector(bytes4(keccak256(bytes(r.callbackFunction))), id, output);
        uint256 gasLimit = callbackGasLimit;
        bool enough;
        bool ok;
        assembly ("memory-safe") {
            let g := gas()
            if gt(g, GAS_FOR_CALL_EXACT_CHECK) {
                g := sub(g, GAS_FOR_CALL_EXACT_CHECK)
                enough := gt(sub(g, div(g, 64)), gasLimit)
            }
        }
        if (!enough) revert InsufficientGasForCallback(id);
        assembly ("memory-safe") {
            if extcodesize(target) { ok := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0) }
        }
        if (ok) r.callbackOk = true;
        emit CallbackResult(id, ok);
    }

    /// @notice (user, modelId, input, callbackContract, callbackFunction, fulfilled)
    function getRequest(uint256 id)
        external
        view
        returns (address, string memory, string memory, address, string memory, bool)
    {
        Request storage r = _requests[id];
        return (r.user, r.modelId, r.input, r.callbackContract, r.callbackFunction, r.fulfilled);
    }

    function getOutput(uint256 id) external view returns (string memory) {
        return outputs[id];
    }

    /// @notice Whether request `id` has been fulfilled.
    function requestStatus(uint256 id) external view returns (bool) {
        return _requests[id].fulfilled;
    }

    /// @notice Whether the callback of request `id` ran without reverting.
    function callbackSucceeded(uint256 id) external view returns (bool) {
        return _requests[id].callbackOk;
    }

    function setOperator(address operator, bool allowed) external onlyOwner {
        isOperator[operator] = allowed;
        emit OperatorSet(operator, allowed);
    }

    function setCallbackGasLimit(uint32 gasLimit) external onlyOwner {
        callbackGasLimit = gasLimit;
        emit CallbackGasLimitSet(gasLimit);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }
}
