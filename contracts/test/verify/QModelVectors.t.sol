// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "../utils/Test.sol";
import {QModelRuntime} from "../../src/verify/QModelRuntime.sol";

/// External entry so the model is calldata (as in a challenge) and each case runs in its own
/// call frame (fresh memory).
contract QModelHarness {
    function predict(bytes calldata m, int256[] calldata x)
        external
        pure
        returns (int256[] memory y, int256[] memory p)
    {
        return QModelRuntime.predict(m, x);
    }
}

/// Differential test: the Solidity twin against the C runtime's test vectors
/// (docs/qmodel.md section 10). The committed file test/vectors/qmodel.json holds 100 seeded
/// models x 8 inputs; tests/integration/test_qmodel_twin.sh regenerates thousands of models
/// with fresh seeds and points QMODEL_VECTORS at them.
contract QModelVectorsTest is Test {
    QModelHarness internal h;

    function setUp() public {
        h = new QModelHarness();
    }

    /// The vector files: test/vectors/qmodel.json, or QMODEL_VECTORS; with QMODEL_VECTORS_PARTS
    /// = n, the files QMODEL_VECTORS.0 .. QMODEL_VECTORS.<n-1> (each replayed in its own call
    /// frame, so memory stays bounded however many vectors there are).
    function _paths() internal view returns (string[] memory paths) {
        string memory p = vm.envOr("QMODEL_VECTORS", string.concat(vm.projectRoot(), "/test/vectors/qmodel.json"));
        uint256 parts = vm.envOr("QMODEL_VECTORS_PARTS", uint256(0));
        if (parts == 0) {
            paths = new string[](1);
            paths[0] = p;
        } else {
            paths = new string[](parts);
            for (uint256 i = 0; i < parts; i++) {
                paths[i] = string.concat(p, ".", vm.toString(i));
            }
        }
    }

    function test_vectors__solidity_matches_c_runtime_bit_for_bit() public view {
        string[] memory paths = _paths();
        uint256 ok;
        uint256 rangeErrors;
        for (uint256 i = 0; i < paths.length; i++) {
            (uint256 a, uint256 b) = this.replayCases(paths[i]);
            ok += a;
            rangeErrors += b;
        }
        assertTrue(ok > 0 && rangeErrors > 0, "both kinds of case present");
    }

    function test_vectors__solidity_loader_accepts_exactly_what_c_accepts() public view {
        string[] memory paths = _paths();
        uint256 valid;
        uint256 invalid;
        for (uint256 i = 0; i < paths.length; i++) {
            (uint256 a, uint256 b) = this.replayMutants(paths[i]);
            valid += a;
            invalid += b;
        }
        assertTrue(valid > 0 && invalid > 0, "both accepted and rejected files present");
    }

    /// Every case of one file: identical q and y, or the range error where C has it.
    function replayCases(string calldata path) external view returns (uint256 ok, uint256 rangeErrors) {
        string memory json = vm.readFile(path);
        bytes[] memory models = vm.parseJsonBytesArray(json, ".models");
        bytes[] memory cases = vm.parseJsonBytesArray(json, ".cases");
        for (uint256 c = 0; c < cases.length; c++) {
            (uint256 mi, int256[] memory x, bool rangeError, int256[] memory q, int256[] memory y) =
                abi.decode(cases[c], (uint256, int256[], bool, int256[], int256[]));
            string memory where = string.concat(path, ": case ", vm.toString(c), " model ", vm.toString(mi));
            if (rangeError) {
                try h.predict(models[mi], x) returns (int256[] memory, int256[] memory) {
                    revert(string.concat(where, ": accepted an input outside int192"));
                } catch (bytes memory err) {
                    assertEq(bytes4(err), QModelRuntime.QModelInputOutOfRange.selector, string.concat(where, ": error"));
                }
                rangeErrors++;
                continue;
            }
            (int256[] memory gy, int256[] memory gp) = h.predict(models[mi], x);
            assertEq(abi.encode(gp), abi.encode(q), string.concat(where, ": q"));
            assertEq(abi.encode(gy), abi.encode(y), string.concat(where, ": y"));
            ok++;
        }
    }

    /// The loader: every mutated file the C loader rejects reverts with QModelInvalid, and
    /// every one it accepts runs and gives the C outputs (for an all-zero input).
    function replayMutants(string calldata path) external view returns (uint256 valid, uint256 invalid) {
        bytes[] memory mutants = vm.parseJsonBytesArray(vm.readFile(path), ".mutants");
        for (uint256 c = 0; c < mutants.length; c++) {
            (bool ok, bytes memory m, int256[] memory y) = abi.decode(mutants[c], (bool, bytes, int256[]));
            // as many zero inputs as the (possibly mutated) header declares
            uint256 nIn = m.length >= 12 ? (uint256(uint8(m[10])) << 8) | uint8(m[11]) : 0;
            int256[] memory x = new int256[](nIn);
            string memory where = string.concat(path, ": mutant ", vm.toString(c));
            try h.predict(m, x) returns (int256[] memory gy, int256[] memory) {
                assertTrue(ok, string.concat(where, ": accepted a file the C loader rejects"));
                assertEq(abi.encode(gy), abi.encode(y), string.concat(where, ": y"));
                valid++;
            } catch (bytes memory err) {
                assertTrue(!ok, string.concat(where, ": rejected a file the C loader accepts"));
                assertEq(bytes4(err), QModelRuntime.QModelInvalid.selector, string.concat(where, ": error"));
                invalid++;
            }
        }
    }
}
