// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {QModelRuntime} from "./QModelRuntime.sol";

/// @title QModelVerifier: the qmodel runtime as a deployed contract.
/// @notice Anyone can eth_call it to re-execute a model on chain's arithmetic (what a
/// challenger checks before challenging), and bench/verify_gas.sh measures the gas of an
/// on-chain re-execution through it.
contract QModelVerifier {
    /// The outputs `y` (10^d_out fixed point) and Q16 outputs `p` of `model` on input `x`;
    /// reverts like QModelRuntime.predict.
    function predict(bytes calldata model, int256[] calldata x)
        external
        pure
        returns (int256[] memory y, int256[] memory p)
    {
        return QModelRuntime.predict(model, x);
    }

    /// predict() and the model's keccak-256 hash, in one call.
    function predictAndHash(bytes calldata model, int256[] calldata x)
        external
        pure
        returns (bytes32 modelHash, int256[] memory y)
    {
        (y,) = QModelRuntime.predict(model, x);
        modelHash = QModelRuntime.hashOf(model);
    }
}
