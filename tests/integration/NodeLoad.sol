// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Test helper for the node's integration tests and benchmark: makes many requests in one
/// transaction, to the coordinator of an OutputCollector with the collector as the callback
/// (ABI inputs), or straight to the coordinator (arbitrary input bytes, for garbage and edge
/// cases). Requests are quoted and paid from this contract's balance (fund it by sending
/// value with the call; a model with fee 0 and callback gas price 0 costs nothing).
interface INodeLoadCollector {
    function coordinator() external view returns (address);
    function rawFulfillInference(uint256 requestId, bytes calldata output, uint32 errorCode) external;
}

interface INodeLoadCoordinator {
    function quote(uint256 modelId, uint32 callbackGasLimit) external view returns (uint256);
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
    /// Each is abi.encode(int256[2]) to the collector's coordinator, called back on the
    /// collector's rawFulfillInference (as InferenceConsumer._requestInference does).
    function many(address collector, uint256 modelId, uint256 n, uint256 seed, uint32 gasLimit)
        external
        payable
    {
        INodeLoadCoordinator coord = INodeLoadCoordinator(INodeLoadCollector(collector).coordinator());
        uint256 price = coord.quote(modelId, gasLimit);
        for (uint256 k; k < n; ++k) {
            int256[] memory f = new int256[](2);
            f[0] = int256((seed + k * 7) % 97) * 1e16;
            f[1] = int256((seed + k * 13) % 89) * 1e16 - 4e17;
            coord.request{value: price}(
                modelId, abi.encode(f), collector, INodeLoadCollector.rawFulfillInference.selector, gasLimit
            );
        }
    }

    /// One request with raw input bytes, called back on `callback`.
    function raw(address coordinator, uint256 modelId, bytes calldata input, address callback, bytes4 selector)
        external
        payable
    {
        INodeLoadCoordinator c = INodeLoadCoordinator(coordinator);
        c.request{value: c.quote(modelId, 100000)}(modelId, input, callback, selector, 100000);
    }

    /// One request whose input is `len` bytes, 0x01 then zeros (built here: such inputs are
    /// too large to pass as a command-line argument), called back on `callback`.
    function filled(address coordinator, uint256 modelId, uint256 len, address callback, bytes4 selector)
        external
        payable
    {
        bytes memory input = new bytes(len);
        if (len > 0) input[0] = 0x01;
        INodeLoadCoordinator c = INodeLoadCoordinator(coordinator);
        c.request{value: c.quote(modelId, 100000)}(modelId, input, callback, selector, 100000);
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
