// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DemoToken} from "./DemoToken.sol";

/// @title ActivitySim: a population of token holders, some of them bots, acting round by round
/// @notice The demo's ground truth. {setup} creates `nBots` bots and `nUsers` ordinary users,
/// funds them, and emits one {Member} event per account saying which it is. Each {round}
/// (one transaction, one block) then makes every account act according to its kind:
///  - bots act on a fixed period (every 1, 2 or 3 rounds), each time sending 1-3 small,
///    nearly equal amounts to fresh addresses (distribution / airdrop-farming pattern);
///  - users act irregularly (5-40% of rounds), sending one larger amount of widely varying
///    size, mostly to a few regular counterparties.
/// A minority of each kind imitates the other (30% noisy bots act irregularly with varied
/// amounts, mostly to a few hubs; 25% busy users act often with small amounts, mostly to new
/// addresses), so the kinds overlap.
contract ActivitySim {
    DemoToken public immutable token;
    uint256 public nBots;
    uint256 public nUsers;
    uint256 public seed;

    event Member(address indexed account, bool bot);

    constructor() {
        token = new DemoToken(address(this));
    }

    function botAt(uint256 i) public view returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(seed, "bot", i)))));
    }

    function userAt(uint256 i) public view returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(seed, "user", i)))));
    }

    function _rand(bytes memory tag) private view returns (uint256) {
        return uint256(keccak256(abi.encode(seed, tag)));
    }

    function setup(uint256 nBots_, uint256 nUsers_, uint256 seed_) external {
        require(nBots == 0 && nUsers == 0, "already set up");
        nBots = nBots_;
        nUsers = nUsers_;
        seed = seed_;
        for (uint256 i = 0; i < nBots_; ++i) {
            token.mint(botAt(i), 1_000_000 ether);
            emit Member(botAt(i), true);
        }
        for (uint256 i = 0; i < nUsers_; ++i) {
            token.mint(userAt(i), 1_000_000 ether);
            emit Member(userAt(i), false);
        }
    }

    /// @notice Round `r` of the simulation (call with r = 0, 1, 2, ... in order).
    function round(uint256 r) external {
        for (uint256 i = 0; i < nBots; ++i) {
            _bot(i, r);
        }
        for (uint256 i = 0; i < nUsers; ++i) {
            _user(i, r);
        }
    }

    function _bot(uint256 i, uint256 r) private {
        uint256 traits = _rand(abi.encode("bot traits", i));
        bool noisy = traits % 100 < 30;
        uint256 period = 1 + (traits >> 8) % 3;
        uint256 base = (1 + (traits >> 16) % 20) * 1 ether; // 1..20 tokens
        uint256 roll = _rand(abi.encode("bot roll", i, r));
        bool acts = noisy ? roll % 100 < 35 : (r + (traits >> 24)) % period == 0;
        if (!acts) return;
        address from = botAt(i);
        uint256 k = 1 + (roll >> 8) % 3;
        for (uint256 j = 0; j < k; ++j) {
            uint256 x = _rand(abi.encode("bot amount", i, r, j));
            // +-5% around the bot's base; noisy bots vary 0.2x..5x
            uint256 amount = noisy ? base * (20 + x % 480) / 100 : base * (95 + x % 11) / 100;
            // noisy bots mostly feed a few hub addresses (round trips); the others spray fresh ones
            address to = noisy && x % 100 < 70
                ? address(uint160(uint256(keccak256(abi.encode(seed, "hub", (x >> 8) % 3)))))
                : address(uint160(uint256(keccak256(abi.encode(seed, "fresh", i, r, j)))));
            token.simTransfer(from, to, amount);
        }
    }

    function _user(uint256 i, uint256 r) private {
        uint256 traits = _rand(abi.encode("user traits", i));
        bool busy = traits % 100 < 25;
        uint256 pct = busy ? 50 + (traits >> 8) % 40 : 5 + (traits >> 8) % 36;
        uint256 roll = _rand(abi.encode("user roll", i, r));
        if (roll % 100 >= pct) return;
        address from = userAt(i);
        uint256 k = busy ? 1 + (roll >> 56) % 3 : 1;
        for (uint256 j = 0; j < k; ++j) {
            uint256 x = _rand(abi.encode("user amount", i, r, j));
            // log-uniform amount: 10 .. ~10000 tokens (busy users: 1 .. ~1000)
            uint256 amount = (busy ? 1 ether : 10 ether) * _pow1000(x % 1000) / 1e18;
            address to;
            if ((x >> 32) % 100 < (busy ? 30 : 75)) {
                to = userAt((i + 1 + (x >> 40) % 5) % nUsers); // a regular counterparty
            } else {
                to = address(uint160(uint256(keccak256(abi.encode(seed, "shop", i, r, j)))));
            }
            token.simTransfer(from, to, amount);
        }
    }

    /// 1000^(e/1000) in 1e18 fixed point, piecewise: 10^(3e/1000) from a table of tenths.
    function _pow1000(uint256 e) private pure returns (uint256) {
        uint256 t = e * 30 / 1000; // 0..29: tenths of a decade
        uint256[10] memory tenth = [
            uint256(1e18), 1.259e18, 1.585e18, 1.995e18, 2.512e18, 3.162e18, 3.981e18, 5.012e18, 6.310e18, 7.943e18
        ];
        return tenth[t % 10] * (10 ** (t / 10));
    }
}
