// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICoordinator} from "../interfaces/ICoordinator.sol";
import {InferenceConsumer} from "./InferenceConsumer.sol";

/// @title OutputCollector: stores each inference output by requestId
/// @notice Request from the coordinator directly with this contract as the callback and
/// {rawFulfillInference} as the selector (so the requester keeps the right to cancel); only
/// the coordinator may deliver outputs. A one-value output costs one storage slot: the first value is packed
/// with the error code and length (values must fit in int184, i.e. |x| < 1.2e37 in 1e18
/// fixed point); further values go to their own slots.
contract OutputCollector is InferenceConsumer {
    // head word: bit 0 set | bits 8..39 errorCode | bits 40..71 length | bits 72..255 first value
    // (int184, two's complement); written with one SSTORE.
    mapping(uint256 requestId => uint256) private _heads;
    mapping(uint256 requestId => mapping(uint256 index => int256)) private _rest;

    /// @notice Emitted for every delivered output (errorCode 0) or error; read the values
    /// with {getOutput} (they are also in the fulfilling transaction's calldata).
    event OutputReceived(uint256 indexed requestId, uint32 errorCode);

    error ValueOutOfRange(uint256 index);
    error NotSet(uint256 requestId);

    constructor(ICoordinator coordinator_) InferenceConsumer(coordinator_) {}

    /// @notice Whether an output (or error) was delivered for `requestId`.
    function isSet(uint256 requestId) external view returns (bool) {
        return _heads[requestId] & 1 != 0;
    }

    /// @notice The delivered values and error code of `requestId`; reverts if none yet.
    function getOutput(uint256 requestId) external view returns (int256[] memory values, uint32 errorCode) {
        uint256 h = _heads[requestId];
        if (h & 1 == 0) revert NotSet(requestId);
        // forge-lint: disable-next-line(unsafe-typecast) -- the length field is 32 bits
        uint256 n = uint32(h >> 40);
        values = new int256[](n);
        // forge-lint: disable-next-line(unsafe-typecast) -- arithmetic shift sign-extends int184
        if (n > 0) values[0] = int256(h) >> 72;
        for (uint256 i = 1; i < n; ++i) {
            values[i] = _rest[requestId][i];
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- the error field is 32 bits
        return (values, uint32(h >> 8));
    }

    /// @dev A one-value output (abi.encode(int256[1]): exactly 96 bytes, offset 32, length 1),
    /// the common case, is stored without decoding into memory; everything else goes through
    /// the strict decoder of {InferenceConsumer}. Same result either way.
    function _fulfillInference(uint256 requestId, bytes calldata output, uint32 errorCode) internal override {
        if (errorCode == 0 && output.length == 96) {
            uint256 off;
            uint256 n;
            int256 x;
            assembly ("memory-safe") {
                off := calldataload(output.offset)
                n := calldataload(add(output.offset, 32))
                x := calldataload(add(output.offset, 64))
            }
            if (off == 32 && n == 1) {
                // forge-lint: disable-next-line(unsafe-typecast) -- this is the range check
                if (x != int256(int184(x))) revert ValueOutOfRange(0);
                // forge-lint: disable-next-line(unsafe-typecast) -- two's complement bits of an int184
                _heads[requestId] = 1 | (uint256(1) << 40) | (uint256(x) << 72);
                emit OutputReceived(requestId, 0);
                return;
            }
        }
        super._fulfillInference(requestId, output, errorCode);
    }

    function _onInference(uint256 requestId, int256[] memory values) internal override {
        uint256 n = values.length;
        int256 first;
        if (n > 0) {
            first = values[0];
            // forge-lint: disable-next-line(unsafe-typecast) -- this is the range check
            if (first != int256(int184(first))) revert ValueOutOfRange(0);
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- two's complement bits of an int184
        _heads[requestId] = 1 | (n << 40) | (uint256(first) << 72);
        for (uint256 i = 1; i < n; ++i) {
            _rest[requestId][i] = values[i];
        }
        emit OutputReceived(requestId, 0);
    }

    function _onInferenceError(uint256 requestId, uint32 errorCode) internal override {
        _heads[requestId] = 1 | (uint256(errorCode) << 8);
        emit OutputReceived(requestId, errorCode);
    }
}
