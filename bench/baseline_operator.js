// baseline_operator.js: the template notebook's operator loop, in ethers v6, for
// bench/node.sh: poll an eth_newFilter for Requested events and send one `fulfill`
// transaction per request as it comes (no batching, no state, a fixed gas limit). It does
// no inference: it answers every request with an output of the same size as the node's
// (abi.encode(int256[1])), which only favours it. Prints {sent, failed}: failed counts
// send attempts that threw (each retried after re-reading the nonce).
// usage: node baseline_operator.js RPC_URL COORDINATOR PRIVATE_KEY EXPECTED_COUNT
"use strict";
const { ethers } = require("ethers");

const ABI = [
  "event Requested(uint256 indexed requestId, uint256 indexed modelId, address indexed requester, bytes32 callbackWord, uint256 terms, bytes input)",
  "function fulfill((uint256,uint256,address,address,bytes4,uint32,uint64,uint256,bytes32) req, bytes output, uint32 errorCode) returns (bool)",
];

async function main() {
  const [url, addr, key, expected] = process.argv.slice(2);
  const provider = new ethers.JsonRpcProvider(url, undefined, { batchMaxCount: 1, polling: true, pollingInterval: 250 });
  // The provider's "pending" nonce for every send fails outright on anvil under load
  // ("replacement fee too low"); ethers' NonceManager (a local counter) is the least fix
  // that lets the loop run at all. NonceManager takes the nonce before sending and never
  // gives it back: one failed send (a timeout on a loaded machine, an RPC hiccup) leaves a
  // gap, every later transaction waits behind it in the pool as a future nonce, and the
  // loop never drains (the likely cause of the stalled first 2,000-request run). After a failed
  // send the counter is reset (re-read from the chain) and the request retried, at most 3
  // times.
  const wallet = new ethers.NonceManager(new ethers.Wallet(key, provider));
  const c = new ethers.Contract(addr, ABI, wallet);
  const iface = c.interface;
  const topic = iface.getEvent("Requested").topicHash;
  const filterId = await provider.send("eth_newFilter", [{ address: addr, fromBlock: "0x0", topics: [topic] }]);
  const output = ethers.AbiCoder.defaultAbiCoder().encode(["int256[]"], [[1n]]);
  let sent = 0, failed = 0;
  const want = Number(expected);
  const first = await provider.send("eth_getFilterLogs", [filterId]);
  let queue = first;
  for (;;) {
    for (const log of queue) {
      const ev = iface.parseLog(log);
      const a = ev.args;
      // callbackWord = callback << 96 | selector << 64 | gasLimit << 32; terms = deadline << 192 | payment
      const cbw = BigInt(a.callbackWord), terms = a.terms;
      const callback = ethers.getAddress(ethers.toBeHex(cbw >> 96n, 20));
      const selector = ethers.toBeHex((cbw >> 64n) & 0xffffffffn, 4);
      const req = [a.requestId, a.modelId, a.requester, callback, selector, (cbw >> 32n) & 0xffffffffn,
                   terms >> 192n, terms & ((1n << 192n) - 1n), ethers.keccak256(a.input)];
      // One retry loop per request, as a notebook cell would be re-run: after a failed send
      // the nonce is re-read (see above).
      for (let attempt = 1; ; attempt++) {
        try {
          await c.fulfill(req, output, 0, { gasLimit: 500000 });
          sent++;
          break;
        } catch (e) {
          wallet.reset();
          if (failed++ < 3) console.error("baseline: fulfil failed (attempt " + attempt + "): " + e.shortMessage);
          if (attempt >= 3) break;
        }
      }
    }
    if (sent >= want) break;
    await new Promise((r) => setTimeout(r, 250));
    queue = await provider.send("eth_getFilterChanges", [filterId]);
  }
  console.log(JSON.stringify({ sent, failed }));
  provider.destroy();
}

main().catch((e) => { console.error("baseline: " + e.message); process.exit(1); });
