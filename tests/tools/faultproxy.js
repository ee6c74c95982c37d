#!/usr/bin/env node
// faultproxy.js: a fault-injecting JSON-RPC proxy for the extract tests. Forwards requests to
// UPSTREAM and, with seeded randomness, answers some of them badly instead:
//   HTTP 429 with Retry-After: 0, HTTP 500/503, a JSON body cut in half, a stall longer than
//   the client's timeout, and for eth_getLogs over more than MAX_RANGE blocks the geth/infura
//   error "query returned more than 10000 results".
// --no-block-timestamp removes "blockTimestamp" from the logs it forwards (as older nodes send
// them), so clients must read timestamps from block headers.
// --mangle-logs repeat|swap|removed: in each eth_getLogs answer of two or more logs, the middle
// log is sent twice (repeat), or swapped with the one before it (swap), as a faulty node or load
// balancer might; or, in the first such answer only, marked "removed": true (removed), as a node
// does for a log a reorg took away while it was being read.
// Usage: faultproxy.js UPSTREAM [--seed N] [--rate P] [--max-range N] [--stall-ms N] [--html]
//        [--no-block-timestamp] [--mangle-logs repeat|swap|removed]
// Prints "listening PORT" once ready; logs a count of each injected fault on SIGTERM to stderr.
// --html turns it into a non-Ethereum server that answers every request with an HTML page.
'use strict';
const http = require('http');

const args = process.argv.slice(2);
const upstream = new URL(args[0]);
function opt(name, def) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
}
let seed = Number(opt('--seed', 1)) >>> 0;
const rate = Number(opt('--rate', 0.3));
const maxRange = Number(opt('--max-range', 4));
const stallMs = Number(opt('--stall-ms', 2500));
const html = args.includes('--html');
const noBlockTimestamp = args.includes('--no-block-timestamp');
const mangle = opt('--mangle-logs', null);

// The eth_getLogs answer with its middle log repeated or swapped (see --mangle-logs).
function mangleLogs(buf) {
  let v;
  try { v = JSON.parse(buf.toString()); } catch (e) { return buf; }
  if (!v || !Array.isArray(v.result) || v.result.length < 2) return buf;
  if (mangle === 'removed' && counts.mangled > 0) return buf;
  const k = v.result.length >> 1;
  if (mangle === 'repeat') v.result.splice(k, 0, v.result[k]);
  else if (mangle === 'removed') v.result[k] = Object.assign({}, v.result[k], { removed: true });
  else [v.result[k - 1], v.result[k]] = [v.result[k], v.result[k - 1]];
  counts.mangled++;
  return Buffer.from(JSON.stringify(v));
}

// Deletes every "blockTimestamp" member in a JSON body (any depth); other bodies pass as is.
function stripBlockTimestamp(buf) {
  let v;
  try { v = JSON.parse(buf.toString()); } catch (e) { return buf; }
  const walk = (x) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      delete x.blockTimestamp;
      Object.values(x).forEach(walk);
    }
  };
  walk(v);
  return Buffer.from(JSON.stringify(v));
}
const counts = { forwarded: 0, r429: 0, r500: 0, truncated: 0, stall: 0, toomany: 0, mangled: 0 };

function rand() { // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function blockNum(v) { return typeof v === 'string' && v.startsWith('0x') ? parseInt(v, 16) : NaN; }

function forward(body, cb) {
  const req = http.request({ host: upstream.hostname, port: upstream.port, path: '/', method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
  (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => cb(null, res.statusCode, Buffer.concat(chunks)));
  });
  req.on('error', (e) => cb(e));
  req.end(body);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    if (html) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><html><body><h1>Welcome</h1></body></html>\n');
      return;
    }
    let msg = null;
    try { msg = JSON.parse(body); } catch (e) { /* forward as is */ }
    // the range limit, for single eth_getLogs calls
    if (msg && !Array.isArray(msg) && msg.method === 'eth_getLogs') {
      const f = (msg.params || [])[0] || {};
      const a = blockNum(f.fromBlock), b = blockNum(f.toBlock);
      if (!isNaN(a) && !isNaN(b) && b - a + 1 > maxRange) {
        counts.toomany++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id,
          error: { code: -32005, message: 'query returned more than 10000 results' } }));
        return;
      }
    }
    const r = rand();
    const slice = rate / 4;
    if (r < slice) {
      counts.r429++;
      res.writeHead(429, { 'retry-after': '0', 'content-type': 'text/plain' });
      res.end('too many requests\n');
      return;
    }
    if (r < 2 * slice) {
      counts.r500++;
      res.writeHead(rand() < 0.5 ? 500 : 503, { 'content-type': 'text/plain' });
      res.end('internal error\n');
      return;
    }
    const truncate = r < 3 * slice;
    const stall = r < 3.6 * slice && !truncate;
    forward(body, (err, status, out) => {
      if (err) { res.writeHead(502); res.end('bad gateway\n'); return; }
      if (noBlockTimestamp) out = stripBlockTimestamp(out);
      if (mangle && msg && msg.method === 'eth_getLogs') out = mangleLogs(out);
      if (truncate) {
        counts.truncated++;
        const cut = out.subarray(0, Math.max(1, out.length >> 1));
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': cut.length });
        res.end(cut);
        return;
      }
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(out);
      };
      if (stall) {
        counts.stall++;
        setTimeout(send, stallMs);
      } else {
        counts.forwarded++;
        send();
      }
    });
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write('listening ' + server.address().port + '\n');
});
function bye() {
  process.stderr.write('faultproxy: ' + JSON.stringify(counts) + '\n');
  process.exit(0);
}
process.on('SIGTERM', bye);
process.on('SIGINT', bye);
