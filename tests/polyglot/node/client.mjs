#!/usr/bin/env node
// A CacheSidecar client in Node.js that knows nothing but protos/: it loads
// protos/cachesidecar/v1/cache.proto at run time with @grpc/proto-loader and checks every RPC and
// every error status of the contract against two running sidecars:
//   --serving      a sidecar with a reachable Redis and store, and a bearer token configured
//   --unavailable  a sidecar whose Redis and store are both unreachable (same token)
//
//   node client.mjs --serving 127.0.0.1:50051 --unavailable 127.0.0.1:50052 [--token T] [--protos DIR]
//
// An address is host:port, or unix:/path/to/grpc.sock for a sidecar on a Unix domain socket (the
// tests run the serving sidecar on one).
//
// Each option falls back to an environment variable (CACHESIDECAR_SERVING,
// CACHESIDECAR_UNAVAILABLE, CACHESIDECAR_TOKEN, CACHESIDECAR_PROTOS); the token is better passed
// in the environment, where other users of the machine cannot read it from the process list.
// It assumes the sidecars run the default namespaces of src/Sidecar/appsettings.json.
// Prints one line per check and exits 1 on the first failure (2 on bad usage).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { bearer, defaultProtos, loadCache, target } from './contract.mjs';

const { values: args } = parseArgs({
  options: {
    serving: { type: 'string', default: process.env.CACHESIDECAR_SERVING },
    unavailable: { type: 'string', default: process.env.CACHESIDECAR_UNAVAILABLE },
    token: { type: 'string', default: process.env.CACHESIDECAR_TOKEN },
    protos: { type: 'string', default: process.env.CACHESIDECAR_PROTOS ?? defaultProtos },
  },
});
if (!args.serving || !args.unavailable || !args.token) {
  console.error('usage: node client.mjs --serving ADDRESS --unavailable ADDRESS --token TOKEN (or CACHESIDECAR_* variables);'
    + ' ADDRESS is HOST:PORT or unix:/path/to.sock');
  process.exit(2);
}

// The contract as any caller sees it: the .proto file, loaded at run time (contract.mjs).
const Cache = loadCache(args.protos);

// grpc.health.v1 is a standard gRPC service the sidecar serves, but its .proto is not part of
// protos/. Its two messages are tiny, so they are declared here (same names, numbers and types as
// grpc/health/v1/health.proto) instead of shipping another file.
const healthDefinition = protoLoader.fromJSON({
  nested: { grpc: { nested: { health: { nested: { v1: { nested: {
    HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
    HealthCheckResponse: {
      fields: { status: { type: 'ServingStatus', id: 1 } },
      nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
    },
    Health: { methods: { Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse' } } },
  } } } } } } },
}, { keepCase: true, enums: String, defaults: true });
const { Health } = grpc.loadPackageDefinition(healthDefinition).grpc.health.v1;

const serving = new Cache(target(args.serving), grpc.credentials.createInsecure());
const unavailable = new Cache(target(args.unavailable), grpc.credentials.createInsecure());
const servingHealth = new Health(target(args.serving), grpc.credentials.createInsecure());
const unavailableHealth = new Health(target(args.unavailable), grpc.credentials.createInsecure());

const CALL_DEADLINE_MS = 10_000; // every call is bounded: a hung sidecar fails the run, it never stalls it
// The unavailable sidecar fails a store call after its server-selection timeout, so allow more.
const UNAVAILABLE_DEADLINE_MS = 20_000;

/** One unary call as a promise; token null sends no authorization header at all. */
function call(client, method, request, { token = args.token, deadlineMs = CALL_DEADLINE_MS } = {}) {
  return new Promise((resolve, reject) => {
    client[method](request, bearer(token), { deadline: new Date(Date.now() + deadlineMs) }, (error, response) =>
      error ? reject(error) : resolve(response));
  });
}

/** Asserts that the call fails with exactly this status code and a human-readable message. */
async function expectStatus(pending, code) {
  try {
    const response = await pending;
    assert.fail(`expected ${grpc.status[code]}, but the call succeeded: ${JSON.stringify(response)}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assert.equal(grpc.status[error.code], grpc.status[code], `status (details: ${error.details})`);
    assert.ok(error.details, 'the status carries a message');
    return error;
  }
}

let passed = 0;
async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok ${passed} - ${name}`);
  } catch (error) {
    console.log(`FAIL - ${name}: ${error.stack ?? error}`);
    process.exit(1);
  }
}

// Unique per run, so reruns against the same Redis and store never see each other's keys.
const run = `node-${randomUUID().slice(0, 8)}`;
const key = (name) => `${run}-${name}`;
const JSON_TYPE = 'application/json';
const OCTETS = 'application/octet-stream';
const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i)); // includes 0x00 and invalid UTF-8
const ttlSeconds = (duration) => Number(duration.seconds) + duration.nanos / 1e9;

// ---- health (no token needed) -------------------------------------------------------------
await check('health: the serving sidecar is SERVING, without a token', async () => {
  const reply = await call(servingHealth, 'Check', { service: '' }, { token: null });
  assert.equal(reply.status, 'SERVING');
});

// ---- ListNamespaces -------------------------------------------------------------------------
await check('ListNamespaces: the five default namespaces with their policies', async () => {
  const { namespaces } = await call(serving, 'ListNamespaces', {});
  const byName = Object.fromEntries(namespaces.map((ns) => [ns.name, ns]));
  assert.deepEqual(Object.keys(byName).sort(), ['carts', 'events', 'products', 'sessions', 'users']);
  assert.equal(byName.users.strategy, 'CacheAside');
  assert.equal(byName.products.strategy, 'Ttl');
  assert.equal(byName.carts.strategy, 'WriteThrough');
  assert.equal(byName.events.strategy, 'WriteBehind');
  assert.equal(byName.sessions.strategy, 'Ttl');
  assert.equal(byName.users.collection, 'users');
  assert.equal(byName.sessions.collection, '', 'sessions is a pure cache: no collection');
  assert.equal(byName.users.ttl.seconds, '3600'); // int64 as a decimal string (longs: String)
  assert.equal(byName.users.ttl_jitter.seconds, '60');
  assert.equal(byName.users.id_type, 'String');
  assert.ok(byName.users.max_value_bytes > 0);
});

// ---- Put / Get through each strategy --------------------------------------------------------
const profile = { name: 'Ada Lovelace', tags: ['math', 'engines'], born: 1815, city: 'Zürich ✓' };
let userEtag;
await check('Put users (cache-aside, JSON): an etag, persisted, not queued', async () => {
  const put = await call(serving, 'Put', { namespace: 'users', key: key('ada'), value: Buffer.from(JSON.stringify(profile)), content_type: JSON_TYPE });
  assert.match(put.etag, /^\d+$/);
  assert.equal(put.persisted, true);
  assert.equal(put.queued, false);
  userEtag = put.etag;
});

await check('Get users: first read loads from the STORE with the Put\'s etag and the same JSON', async () => {
  const got = await call(serving, 'Get', { namespace: 'users', key: key('ada') });
  assert.equal(got.found, true);
  assert.equal(got.source, 'VALUE_SOURCE_STORE');
  assert.equal(got.etag, userEtag);
  assert.equal(got.content_type, JSON_TYPE);
  // JSON is stored as a BSON document, so compare the value, not its formatting.
  assert.deepEqual(JSON.parse(got.value.toString('utf8')), profile);
  assert.equal(got.stale, false);
});

await check('Get users again: served from the CACHE with a TTL of about an hour', async () => {
  const got = await call(serving, 'Get', { namespace: 'users', key: key('ada') });
  assert.equal(got.source, 'VALUE_SOURCE_CACHE');
  assert.equal(got.etag, userEtag);
  assert.ok(got.ttl_remaining, 'ttl_remaining is set for a cache hit');
  const left = ttlSeconds(got.ttl_remaining);
  assert.ok(left > 3000 && left <= 3660, `ttl_remaining ${left}s within ttl 1 h + jitter 1 min`);
});

await check('Put users with if_match = the current etag: accepted, and the etag changes', async () => {
  const updated = { ...profile, born: 1816 };
  const put = await call(serving, 'Put', { namespace: 'users', key: key('ada'), value: Buffer.from(JSON.stringify(updated)), content_type: JSON_TYPE, if_match: userEtag });
  assert.notEqual(put.etag, userEtag);
  assert.ok(BigInt(put.etag) > BigInt(userEtag), 'etags are monotonic versions');
  const got = await call(serving, 'Get', { namespace: 'users', key: key('ada') });
  assert.equal(got.etag, put.etag);
  assert.deepEqual(JSON.parse(got.value.toString('utf8')), updated);
  userEtag = put.etag;
});

await check('FAILED_PRECONDITION: Put with a stale if_match, and the value stays as it was', async () => {
  const stale = (BigInt(userEtag) - 1n).toString();
  await expectStatus(call(serving, 'Put', { namespace: 'users', key: key('ada'), value: Buffer.from('{"lost":true}'), content_type: JSON_TYPE, if_match: stale }), grpc.status.FAILED_PRECONDITION);
  const got = await call(serving, 'Get', { namespace: 'users', key: key('ada') });
  assert.equal(got.etag, userEtag);
  assert.equal(JSON.parse(got.value.toString('utf8')).born, 1816);
});

await check('Put users (binary, every byte value) then Get from the STORE: byte for byte', async () => {
  const put = await call(serving, 'Put', { namespace: 'users', key: key('bytes'), value: everyByte, content_type: OCTETS });
  const got = await call(serving, 'Get', { namespace: 'users', key: key('bytes') });
  assert.equal(got.source, 'VALUE_SOURCE_STORE');
  assert.equal(got.etag, put.etag);
  assert.equal(got.content_type, OCTETS);
  assert.ok(got.value.equals(everyByte), `got ${got.value.length} bytes: ${got.value.toString('hex').slice(0, 64)}…`);
});

await check('Put products (TTL strategy with a store): persisted; Get loads from the STORE', async () => {
  const value = randomBytes(64);
  const put = await call(serving, 'Put', { namespace: 'products', key: key('p1'), value, content_type: '' });
  assert.equal(put.persisted, true);
  assert.equal(put.queued, false);
  const got = await call(serving, 'Get', { namespace: 'products', key: key('p1') });
  assert.equal(got.source, 'VALUE_SOURCE_STORE');
  assert.equal(got.content_type, OCTETS, 'an empty content type means application/octet-stream');
  assert.ok(got.value.equals(value));
});

await check('Put carts (write-through): persisted, not queued; Get hits the CACHE the Put filled', async () => {
  const cart = { items: [{ sku: 'A-1', qty: 2 }] };
  const put = await call(serving, 'Put', { namespace: 'carts', key: key('cart'), value: Buffer.from(JSON.stringify(cart)), content_type: JSON_TYPE });
  assert.equal(put.persisted, true);
  assert.equal(put.queued, false);
  const got = await call(serving, 'Get', { namespace: 'carts', key: key('cart') });
  assert.equal(got.source, 'VALUE_SOURCE_CACHE');
  assert.equal(got.etag, put.etag);
  assert.deepEqual(JSON.parse(got.value.toString('utf8')), cart);
});

await check('Put events (write-behind): queued, not yet persisted; Get hits the CACHE', async () => {
  const value = Buffer.from(JSON.stringify({ type: 'clicked', at: 1 }));
  const put = await call(serving, 'Put', { namespace: 'events', key: key('e1'), value, content_type: JSON_TYPE });
  assert.equal(put.queued, true);
  assert.equal(put.persisted, false);
  const got = await call(serving, 'Get', { namespace: 'events', key: key('e1') });
  assert.equal(got.source, 'VALUE_SOURCE_CACHE');
  assert.equal(got.etag, put.etag);
});

let sessionEtag;
await check('Put sessions (pure cache, every byte value): persisted; Get from the CACHE byte for byte', async () => {
  const put = await call(serving, 'Put', { namespace: 'sessions', key: key('s1'), value: everyByte, content_type: OCTETS, ttl: { seconds: '600', nanos: 0 } });
  assert.equal(put.persisted, true, 'no store: the cache is where it persists');
  assert.equal(put.queued, false);
  const got = await call(serving, 'Get', { namespace: 'sessions', key: key('s1') });
  assert.equal(got.found, true);
  assert.equal(got.source, 'VALUE_SOURCE_CACHE');
  assert.equal(got.etag, put.etag);
  assert.ok(got.value.equals(everyByte));
  const left = ttlSeconds(got.ttl_remaining);
  assert.ok(left > 500 && left <= 600, `the Put's own ttl (600 s) applies, ${left}s left`);
  sessionEtag = put.etag;
});

// ---- BatchGet ----------------------------------------------------------------------------------
await check('BatchGet users: one answer per key in request order, duplicates answered twice', async () => {
  const keys = [key('bytes'), key('missing'), key('ada'), key('bytes')];
  const { items } = await call(serving, 'BatchGet', { namespace: 'users', keys });
  assert.deepEqual(items.map((item) => item.key), keys);
  assert.deepEqual(items.map((item) => item.result.found), [true, false, true, true]);
  assert.ok(items[0].result.value.equals(everyByte));
  assert.ok(items[3].result.value.equals(everyByte));
  assert.equal(items[1].result.etag, '', 'a missing key has no etag');
  assert.equal(items[1].result.value.length, 0);
  assert.equal(items[2].result.etag, userEtag);
});

// ---- Invalidate ---------------------------------------------------------------------------------
await check('Invalidate users keys: drops the cached entry only; the next Get reloads it from the STORE', async () => {
  await call(serving, 'Get', { namespace: 'users', key: key('ada') }); // make sure it is cached
  const { invalidated } = await call(serving, 'Invalidate', { namespace: 'users', keys: [key('ada'), key('never-read')] });
  assert.equal(invalidated, 1, 'only the one cached key counts');
  const reloaded = await call(serving, 'Get', { namespace: 'users', key: key('ada') });
  assert.equal(reloaded.source, 'VALUE_SOURCE_STORE');
  assert.equal(reloaded.etag, userEtag, 'the store was untouched');
  const cached = await call(serving, 'Get', { namespace: 'users', key: key('ada') });
  assert.equal(cached.source, 'VALUE_SOURCE_CACHE');
});

// ---- BatchPut -----------------------------------------------------------------------------------
await check('BatchPut users: one result per item in order; a stale if_match fails alone', async () => {
  const items = [
    { key: key('bp1'), value: Buffer.from('{"n":1}'), content_type: 'application/json' },
    { key: key('ada'), value: Buffer.from('{"n":2}'), content_type: 'application/json', if_match: '1' },
  ];
  const { items: results } = await call(serving, 'BatchPut', { namespace: 'users', items });
  assert.deepEqual(results.map((r) => r.key), [key('bp1'), key('ada')]);
  assert.equal(results[0].code, 0);
  assert.equal(results[1].code, 9, 'FAILED_PRECONDITION for the stale if_match');
  const got = await call(serving, 'Get', { namespace: 'users', key: key('bp1') });
  assert.equal(got.etag, results[0].etag);
});

// ---- Touch --------------------------------------------------------------------------------------
await check('Touch users: the cached entry gets a new remaining TTL; value and etag unchanged', async () => {
  const touched = await call(serving, 'Touch', { namespace: 'users', key: key('ada'), ttl: { seconds: 42 } });
  assert.equal(touched.found, true);
  assert.equal(Number(touched.ttl_remaining.seconds), 42);
  const got = await call(serving, 'Get', { namespace: 'users', key: key('ada') });
  assert.equal(got.etag, userEtag, 'not rewritten');
  assert.ok(Number(got.ttl_remaining.seconds) <= 42, `the new ttl applies: ${got.ttl_remaining.seconds}s left`);
  const missing = await call(serving, 'Touch', { namespace: 'users', key: key('never-read'), ttl: { seconds: 42 } });
  assert.equal(missing.found, false, 'a key that is not cached');
});

// ---- Increment and create-if-absent -------------------------------------------------------------
await check('Increment users and sessions: a counter from 0, exact past 2^53 (int64 as a string); OUT_OF_RANGE past int64', async () => {
  for (const ns of ['users', 'sessions']) {
    const first = await call(serving, 'Increment', { namespace: ns, key: key('views'), delta: 5 });
    assert.equal(first.value, '5');
    const big = await call(serving, 'Increment', { namespace: ns, key: key('views'), delta: '9007199254740990' });
    assert.equal(big.value, '9007199254740995', 'exact beyond a double');
    const got = await call(serving, 'Get', { namespace: ns, key: key('views') });
    assert.equal(got.value.toString(), '9007199254740995');
    assert.equal(got.content_type, JSON_TYPE);
    assert.equal(got.etag, big.etag);
    await expectStatus(
      call(serving, 'Increment', { namespace: ns, key: key('views'), delta: '9223372036854775807' }), grpc.status.OUT_OF_RANGE);
  }
  await expectStatus(call(serving, 'Increment', { namespace: 'users', key: key('bytes'), delta: 1 }), grpc.status.FAILED_PRECONDITION);
});

await check('Put users with if_none_match "*": created once; the second create is FAILED_PRECONDITION and writes nothing', async () => {
  const put = { namespace: 'users', key: key('created'), value: Buffer.from('"first"'), content_type: JSON_TYPE, if_none_match: '*' };
  const created = await call(serving, 'Put', put);
  await expectStatus(call(serving, 'Put', { ...put, value: Buffer.from('"second"') }), grpc.status.FAILED_PRECONDITION);
  const got = await call(serving, 'Get', { namespace: 'users', key: key('created') });
  assert.equal(got.value.toString(), '"first"');
  assert.equal(got.etag, created.etag);
});

await check('InvalidateTags users: a value Put with the tag is loaded from the store again; others stay cached', async () => {
  const tagged = { namespace: 'users', key: key('tagged'), value: Buffer.from('1'), content_type: JSON_TYPE, tags: ['team:a', 'x'] };
  await call(serving, 'Put', tagged);
  await call(serving, 'Put', { namespace: 'users', key: key('other-tag'), value: Buffer.from('2'), content_type: JSON_TYPE, tags: ['team:b'] });
  for (const name of ['tagged', 'tagged', 'other-tag', 'other-tag']) {
    await call(serving, 'Get', { namespace: 'users', key: key(name) }); // cache-aside: the first read fills
  }
  await call(serving, 'InvalidateTags', { namespace: 'users', tags: ['team:a'] });
  assert.equal((await call(serving, 'Get', { namespace: 'users', key: key('tagged') })).source, 'VALUE_SOURCE_STORE');
  assert.equal((await call(serving, 'Get', { namespace: 'users', key: key('other-tag') })).source, 'VALUE_SOURCE_CACHE');
  await expectStatus(call(serving, 'InvalidateTags', { namespace: 'users', tags: [] }), grpc.status.INVALID_ARGUMENT);
});

await check('WatchInvalidations sessions: SYNCED, then KEYS with the next sequence for a Put; '
  + 'FAILED_PRECONDITION for users, which does not publish', async () => {
  const watch = (namespaces) => serving.WatchInvalidations({ namespaces }, bearer(args.token),
    { deadline: new Date(Date.now() + CALL_DEADLINE_MS) });
  const stream = watch(['sessions']);
  try {
    const events = stream[Symbol.asyncIterator]();
    const next = async (skip) => {
      for (;;) {
        const { value, done } = await events.next();
        assert.ok(!done, 'the stream ended');
        if (!skip.includes(value.kind)) return value;
      }
    };
    const synced = await next(['RESET', 'HEARTBEAT']); // RESET first while the sidecar subscribes
    assert.deepEqual([synced.kind, synced.namespace], ['SYNCED', 'sessions']);
    await call(serving, 'Put', { namespace: 'sessions', key: key('watched'), value: Buffer.from('1'), content_type: JSON_TYPE });
    const put = await next(['HEARTBEAT']);
    assert.deepEqual([put.kind, Number(put.sequence), put.keys], ['KEYS', Number(synced.sequence) + 1, [key('watched')]]);
  } finally {
    stream.cancel();
  }
  const refused = watch(['users']);
  const error = await new Promise((resolve) => {
    refused.on('data', () => resolve(new Error('users, which does not publish, was watchable')));
    refused.on('error', resolve);
  });
  assert.equal(error.code, grpc.status.FAILED_PRECONDITION, `status (details: ${error.details})`);
  assert.ok(error.details, 'the status carries a message');
});

await check('Invalidate whole namespace sessions: the pure-cache entry is gone', async () => {
  const { invalidated } = await call(serving, 'Invalidate', { namespace: 'sessions', whole_namespace: true });
  assert.equal(invalidated, 0, '0 for whole_namespace');
  const got = await call(serving, 'Get', { namespace: 'sessions', key: key('s1') });
  assert.equal(got.found, false, `session ${sessionEtag} should be gone`);
});

await check('Invalidate whole namespace users: the store still serves every value', async () => {
  await call(serving, 'Invalidate', { namespace: 'users', whole_namespace: true });
  const got = await call(serving, 'Get', { namespace: 'users', key: key('bytes') });
  assert.equal(got.source, 'VALUE_SOURCE_STORE');
  assert.ok(got.value.equals(everyByte));
});

// ---- Delete -----------------------------------------------------------------------------------
await check('FAILED_PRECONDITION: Delete with a stale if_match keeps the value', async () => {
  const stale = (BigInt(userEtag) - 1n).toString();
  await expectStatus(call(serving, 'Delete', { namespace: 'users', key: key('ada'), if_match: stale }), grpc.status.FAILED_PRECONDITION);
  assert.equal((await call(serving, 'Get', { namespace: 'users', key: key('ada') })).found, true);
});

await check('Delete users with the current etag: deleted and persisted; then not found; a second Delete deletes nothing', async () => {
  const deleted = await call(serving, 'Delete', { namespace: 'users', key: key('ada'), if_match: userEtag });
  assert.equal(deleted.deleted, true);
  assert.equal(deleted.persisted, true);
  assert.equal(deleted.queued, false);
  const got = await call(serving, 'Get', { namespace: 'users', key: key('ada') });
  assert.equal(got.found, false);
  assert.equal(got.etag, '');
  const again = await call(serving, 'Delete', { namespace: 'users', key: key('ada') });
  assert.equal(again.deleted, false);
});

// ---- The error statuses of the contract ----------------------------------------------------------
await check('INVALID_ARGUMENT: Get with an empty key', async () => {
  await expectStatus(call(serving, 'Get', { namespace: 'users', key: '' }), grpc.status.INVALID_ARGUMENT);
});

await check('INVALID_ARGUMENT: Put of invalid JSON with a JSON content type; nothing is written', async () => {
  await expectStatus(call(serving, 'Put', { namespace: 'users', key: key('bad-json'), value: Buffer.from('{"a":'), content_type: JSON_TYPE }), grpc.status.INVALID_ARGUMENT);
  assert.equal((await call(serving, 'Get', { namespace: 'users', key: key('bad-json') })).found, false);
});

await check('NOT_FOUND: Get and Put on an unknown namespace', async () => {
  await expectStatus(call(serving, 'Get', { namespace: `no-such-${run}`, key: key('x') }), grpc.status.NOT_FOUND);
  await expectStatus(call(serving, 'Put', { namespace: `no-such-${run}`, key: key('x'), value: Buffer.from('1') }), grpc.status.NOT_FOUND);
});

await check('RESOURCE_EXHAUSTED: a 5 MiB Put is over the server\'s 4 MB message limit; nothing is written', async () => {
  // grpc-js sends messages of any size by default, so the server's limit is what refuses it.
  await expectStatus(call(serving, 'Put', { namespace: 'users', key: key('huge'), value: Buffer.alloc(5 * 1024 * 1024, 0x61), content_type: OCTETS }), grpc.status.RESOURCE_EXHAUSTED);
  assert.equal((await call(serving, 'Get', { namespace: 'users', key: key('huge') })).found, false);
});

await check('UNAUTHENTICATED: no bearer token, and a wrong one', async () => {
  await expectStatus(call(serving, 'Get', { namespace: 'users', key: key('bytes') }, { token: null }), grpc.status.UNAUTHENTICATED);
  await expectStatus(call(serving, 'Put', { namespace: 'users', key: key('bytes'), value: Buffer.from('x') }, { token: `${args.token}-wrong` }), grpc.status.UNAUTHENTICATED);
  const unchanged = await call(serving, 'Get', { namespace: 'users', key: key('bytes') });
  assert.ok(unchanged.value.equals(everyByte), 'the refused Put wrote nothing');
});

await check('the serving sidecar still serves after every refused call', async () => {
  const got = await call(serving, 'Get', { namespace: 'users', key: key('bytes') });
  assert.equal(got.found, true);
});

// ---- A sidecar whose Redis and store are both down -------------------------------------------------
await check('health: the sidecar with Redis and store down is NOT_SERVING', async () => {
  const reply = await call(unavailableHealth, 'Check', { service: '' }, { token: null, deadlineMs: UNAVAILABLE_DEADLINE_MS });
  assert.equal(reply.status, 'NOT_SERVING');
});

await check('DEADLINE_EXCEEDED: a Get with a 1 ms deadline', async () => {
  // On the serving sidecar a cache hit can answer within 1 ms, so the check would be a race. Here
  // the Get needs the store, which this sidecar waits its server-selection timeout (seconds) for:
  // the caller's 1 ms deadline passes first, every time.
  await expectStatus(call(unavailable, 'Get', { namespace: 'users', key: key('slow') }, { deadlineMs: 1 }), grpc.status.DEADLINE_EXCEEDED);
});

await check('UNAVAILABLE: Get, Put, BatchGet and Invalidate when neither Redis nor the store answers', async () => {
  const options = { deadlineMs: UNAVAILABLE_DEADLINE_MS };
  // One after the other: a call started early could fail before anything awaits it.
  const calls = [
    () => call(unavailable, 'Get', { namespace: 'users', key: key('down') }, options),
    () => call(unavailable, 'Put', { namespace: 'users', key: key('down'), value: Buffer.from('{}'), content_type: JSON_TYPE }, options),
    () => call(unavailable, 'BatchGet', { namespace: 'users', keys: [key('down')] }, options),
    () => call(unavailable, 'Invalidate', { namespace: 'users', whole_namespace: true }, options),
  ];
  for (const start of calls) {
    const error = await expectStatus(start(), grpc.status.UNAVAILABLE);
    // A client that cannot connect at all reports UNAVAILABLE too; the sidecar's own answer
    // names the dependency that is down ("The store (MongoDB) is unreachable", "The cache tier …").
    assert.match(error.details, /\b(store|cache)\b/i, 'the sidecar answered, naming what is down');
  }
});

for (const client of [serving, unavailable, servingHealth, unavailableHealth]) {
  client.close();
}
console.log(`all ${passed} checks passed`);
