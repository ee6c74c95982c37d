// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Test helper for the node's integration tests and benchmark: makes many requests in one
/// transaction, through an OutputCollector (ABI inputs) or straight to the coordinator
/// (arbitrary input bytes, for garbage and edge cases).
interface INodeLoadCollector {
    function requestInference(uint256 modelId, int256[] calldata features, uint32 callbackGasLimit)
        external
        payable
        returns (uint256);
}

interface INodeLoadCoordinator {
    function request(uint256 modelId, bytes calldata input, address callback, bytes4 selector, uint32 gasLimit)
        external
        payable
        returns (uint256);
}

interface INodeLoadTemplate {
    function makeRequest(string calldata modelId, string calldata input, address cb, string calldata fn)
        external
        returns (uint256);
}

contract NodeLoad {
    /// n requests with two features each, derived from seed and the index.
    function many(address collector, uint256 modelId, uint256 n, uint256 seed, uint32 gasLimit) external {
        for (uint256 k; k < n; ++k) {
            int256[] memory f = new int256[](2);
            f[0] = int256((seed + k * 7) % 97) * 1e16;
            f[1] = int256((seed + k * 13) % 89) * 1e16 - 4e17;
            INodeLoadCollector(collector).requestInference(modelId, f, gasLimit);
        }
    }

    /// One request with raw input bytes, called back on `callback`.
    function raw(address coordinator, uint256 modelId, bytes calldata input, address callback, bytes4 selector)
        external
    {
        INodeLoadCoordinator(coordinator).request(modelId, input, callback, selector, 100000);
    }

    /// n template requests "a,b" with the same derivation as {many}.
    function manyTemplate(address coordinator, string calldata modelId, uint256 n, uint256 seed, address cb)
        external
    {
        for (uint256 k; k < n; ++k) {
            string memory input = string.concat(
                _dec((seed + k * 7) % 97), ",", _dec((seed + k * 13) % 89)
            );
            INodeLoadTemplate(coordinator).makeRequest(modelId, input, cb, "setOutput(uint256,string)");
        }
    }

    function _dec(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory b;
        while (v != 0) {
            b = abi.encodePacked(bytes1(uint8(48 + v % 10)), b);
            v /= 10;
        }
        return string(b);
    }
}
