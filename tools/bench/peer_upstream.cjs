// Preload for benchmarking another Linked API MCP server (`node --require THIS server.js`):
// v1.0.1 of the official server has no base-URL setting (its SDK client always calls
// https://api.linkedapi.io), so this rewrites that origin to LINKEDAPI_BENCH_UPSTREAM, the
// loopback sandbox of the benchmark, and refuses every request that would leave loopback.
'use strict';
const upstream = process.env.LINKEDAPI_BENCH_UPSTREAM;
if (!upstream) throw new Error('LINKEDAPI_BENCH_UPSTREAM is not set');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
if (!LOOPBACK.has(new URL(upstream).hostname)) throw new Error('LINKEDAPI_BENCH_UPSTREAM must be on loopback');
const ORIGIN = 'https://api.linkedapi.io';
const original = globalThis.fetch;
globalThis.fetch = (input, init) => {
  let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (url.startsWith(ORIGIN)) url = upstream.replace(/\/$/, '') + url.slice(ORIGIN.length);
  if (!LOOPBACK.has(new URL(url).hostname)) {
    return Promise.reject(new Error(`refused: ${new URL(url).origin} is not loopback`));
  }
  return original(url, init);
};
