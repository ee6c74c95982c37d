// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICoordinator} from "../interfaces/ICoordinator.sol";

/// @title InferenceConsumer: base contract for contracts that ask the Coordinator for inferences
/// @notice Inherit it, call {_requestInference} with your features, and override
/// {_onInference} (and optionally {_onInferenceError}). The callback entry
/// {rawFulfillInference} accepts calls only from the coordinator.
/// @dev Values are 1e18 fixed point, encoded as abi.encode(int256[]) (docs/encoding.md).
abstract contract InferenceConsumer {
    /// @notice errorCode handed to {_onInferenceError} when the operator's output is not a
    /// well-formed abi.encode(int256[]); operators' own codes are below it.
    uint32 public constant ERROR_MALFORMED_OUTPUT = type(uint32).max;
    /// @notice The Coordinator's flag bit in callbackGasLimit for final-only requests.
    uint32 internal constant FINAL_ONLY = uint32(1) << 31;

    /// @notice The coordinator this consumer trusts.
    ICoordinator public immutable coordinator;

    error OnlyCoordinator(address caller);

    constructor(ICoordinator coordinator_) {
        coordinator = coordinator_;
    }

    /// @notice Callback entry: called by the coordinator as
    /// selector(uint256 requestId, bytes output, uint32 errorCode).
    function rawFulfillInference(uint256 requestId, bytes calldata output, uint32 errorCode) external {
        if (msg.sender != address(coordinator)) revert OnlyCoordinator(msg.sender);
        _fulfillInference(requestId, output, errorCode);
    }

    /// @dev The callback after the caller check: dispatches to {_onInferenceError} or, with
    /// the strictly decoded values, {_onInference}. A consumer may override it to serve a
    /// common shape without decoding into memory, then defer to this for the rest.
    function _fulfillInference(uint256 requestId, bytes calldata output, uint32 errorCode) internal virtual {
        if (errorCode != 0) {
            _onInferenceError(requestId, errorCode);
            return;
        }
        (bool ok, int256[] memory values) = decodeValues(output);
        if (!ok) {
            _onInferenceError(requestId, ERROR_MALFORMED_OUTPUT);
            return;
        }
        _onInference(requestId, values);
    }

    /// @notice Quotes, pays from this contract's balance and sends a request whose callback is
    /// {rawFulfillInference} on this contract.
    /// @param features input values in 1e18 fixed point
    /// @param callbackGasLimit gas the callback needs (decoding plus your {_onInference})
    function _requestInference(uint256 modelId, int256[] memory features, uint32 callbackGasLimit)
        internal
        returns (uint256 requestId)
    {
        return _requestInference(modelId, features, callbackGasLimit, false);
    }

    /// @notice As above; with `finalOnly` the callback comes only once the result is final
    /// (after the model's challenge window, through the Coordinator's `deliver`, or at once
    /// with the corrected output when a challenge succeeds): {_onInference} then never sees a
    /// result that can still be challenged. docs/verification.md.
    function _requestInference(uint256 modelId, int256[] memory features, uint32 callbackGasLimit, bool finalOnly)
        internal
        returns (uint256 requestId)
    {
        uint256 price = coordinator.quote(modelId, callbackGasLimit);
        uint32 gasField = finalOnly ? callbackGasLimit | FINAL_ONLY : callbackGasLimit;
        requestId = coordinator.request{value: price}(
            modelId, abi.encode(features), address(this), this.rawFulfillInference.selector, gasField
        );
    }

    /// @notice Called with the decoded output values of a successful inference.
    function _onInference(uint256 requestId, int256[] memory values) internal virtual;

    /// @notice Called when the operator answered with an error code, or its output was
    /// malformed ({ERROR_MALFORMED_OUTPUT}). Default: ignore.
    function _onInferenceError(uint256 requestId, uint32 errorCode) internal virtual {}

    /// @notice Decodes abi.encode(int256[]) strictly: head offset 32, exact length, no trailing
    /// bytes. Returns ok=false instead of reverting on anything else.
    function decodeValues(bytes calldata output) public pure returns (bool ok, int256[] memory values) {
        uint256 len = output.length;
        if (len < 64) return (false, values);
        uint256 offset;
        uint256 n;
        assembly ("memory-safe") {
            offset := calldataload(output.offset)
            n := calldataload(add(output.offset, 32))
        }
        if (offset != 32 || n > (len - 64) >> 5 || len != 64 + (n << 5)) return (false, values);
        values = new int256[](n);
        assembly ("memory-safe") {
            calldatacopy(add(values, 32), add(output.offset, 64), shl(5, n))
        }
        return (true, values);
    }
}
