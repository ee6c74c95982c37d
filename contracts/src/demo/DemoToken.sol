// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DemoToken: an ordinary ERC-20 for the demo (scripts/demo.sh), plus one privileged
/// entry that lets the demo's simulator move tokens between the accounts of its simulated
/// population (whose keys nobody holds). Every move is a real ERC-20 transfer with a real
/// Transfer event; balances are checked as in any transfer.
contract DemoToken is ERC20 {
    /// @notice The only account allowed to call {simTransfer} and {mint}.
    address public immutable simulator;

    error NotSimulator(address caller);

    constructor(address simulator_) ERC20("ml2chain demo token", "DEMO") {
        simulator = simulator_;
    }

    function mint(address to, uint256 amount) external {
        if (msg.sender != simulator) revert NotSimulator(msg.sender);
        _mint(to, amount);
    }

    /// @notice Moves `amount` from `from` to `to` as `from` would with {transfer}.
    function simTransfer(address from, address to, uint256 amount) external {
        if (msg.sender != simulator) revert NotSimulator(msg.sender);
        _transfer(from, to, amount);
    }
}
