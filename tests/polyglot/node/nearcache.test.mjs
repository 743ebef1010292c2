// The NearCache rules (nearcache.mjs) against a scripted sidecar: this file decides when every Get
// answers and every stream event arrives, so each race is played out exactly, with no sidecar and
// no waiting. Run: node --test (NodeNearCacheTests runs it too).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { beforeEach, afterEach, describe, it, mock } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { NearCache } from './nearcache.mjs';

const NS = 'watched';

/** A WatchInvalidations call whose events the test sends. */
class ScriptedStream extends EventEmitter {
  cancelled = false;

  constructor(request, metadata) {
    super();
    this.request = request;
    this.metadata = metadata;
  }

  send(kind, fields = {}) {
    this.emit('data', { kind, namespace: kind === 'HEARTBEAT' ? '' : NS, sequence: '0', keys: [], tags: [], ...fields });
  }

  fail(code, details) {
    this.emit('error', Object.assign(new Error(details), { code, details }));
  }

  cancel() {
    if (this.cancelled) return;
    this.cancelled = true;
    this.fail(grpc.status.CANCELLED, 'Cancelled on client'); // as grpc-js does
  }
}

/** The Cache client's two methods the near cache calls; every Get waits until the test answers it. */
class ScriptedSidecar {
  streams = [];
  gets = [];

  WatchInvalidations(request, metadata) {
    const stream = new ScriptedStream(request, metadata);
    this.streams.push(stream);
    return stream;
  }

  Get(request, metadata, options, callback) {
    this.gets.push({
      request,
      metadata,
      options,
      answer: (text, more = {}) => callback(null, {
        found: true, value: Buffer.from(text), content_type: '', etag: '1', source: 'VALUE_SOURCE_CACHE',
        stale: false, ttl_remaining: null, ...more,
      }),
      fail: (code, details) => callback(Object.assign(new Error(details), { code, details })),
    });
  }

  get stream() {
    return this.streams.at(-1);
  }

  /** Answers the Get in flight (the last one started) with this value. */
  answer(text, more) {
    this.gets.at(-1).answer(text, more);
  }
}

let sidecar;
let events;
let clock;
const open = [];

function nearCache(options = {}) {
  const near = new NearCache(sidecar, [NS], {
    token: 's3cret', heartbeatMs: 1000, onEvent: (e) => events.push(e), now: () => clock, random: () => 1, ...options,
  }).start();
  open.push(near);
  return near;
}

/** A read answered by the sidecar with this value: returns what the near cache made of it. */
async function readThrough(near, key, text, more) {
  const pending = near.get(NS, key);
  sidecar.answer(text, more);
  return pending;
}

/** A near cache whose stream has said SYNCED. */
function synced(options) {
  const near = nearCache(options);
  sidecar.stream.send('SYNCED');
  return near;
}

beforeEach(() => {
  sidecar = new ScriptedSidecar();
  events = [];
  clock = 1_000_000;
});

afterEach(() => {
  while (open.length > 0) open.pop().close();
  mock.timers.reset();
});

describe('caching only while synced', () => {
  it('watches every namespace with the heartbeat interval and the bearer token', () => {
    nearCache({ heartbeatMs: 1500 });
    assert.deepEqual(sidecar.stream.request, { namespaces: [NS], heartbeat_interval: { seconds: 1, nanos: 500_000_000 } });
    assert.deepEqual(sidecar.stream.metadata.get('authorization'), ['Bearer s3cret']);
  });

  it('before SYNCED every read is an RPC and nothing is kept', async () => {
    const near = nearCache();
    assert.equal((await readThrough(near, 'k', 'v1')).near, false);
    assert.equal((await readThrough(near, 'k', 'v1')).near, false);
    assert.equal(near.rpcs, 2);
    assert.equal(near.size(NS), 0);
  });

  it('after SYNCED a repeated read is a hit, without an RPC', async () => {
    const near = synced();
    const first = await readThrough(near, 'k', 'v1');
    const second = await near.get(NS, 'k');
    assert.equal(first.near, false);
    assert.equal(second.near, true);
    assert.equal(second.value.toString(), 'v1');
    assert.equal(near.rpcs, 1);
    assert.equal(near.hits, 1);
    assert.equal(sidecar.gets[0].metadata.get('authorization')[0], 'Bearer s3cret');
  });

  it('RESET drops the namespace and stops caching until the next SYNCED', async () => {
    const near = synced();
    await readThrough(near, 'k', 'v1');
    sidecar.stream.send('RESET');
    assert.equal(near.size(NS), 0);
    await readThrough(near, 'k', 'v1');
    assert.equal(near.size(NS), 0, 'not kept while reset');
    sidecar.stream.send('SYNCED');
    await readThrough(near, 'k', 'v2');
    assert.equal((await near.get(NS, 'k')).value.toString(), 'v2');
    assert.deepEqual(events.filter((e) => e.type !== 'event').map((e) => e.type), ['caching', 'bypass', 'caching']);
  });

  it('an event kind it does not know is handled like RESET', async () => {
    const near = synced();
    await readThrough(near, 'k', 'v1');
    sidecar.stream.send(7);
    assert.equal(near.size(NS), 0);
    await readThrough(near, 'k', 'v1');
    assert.equal(near.size(NS), 0);
  });
});

describe('invalidations', () => {
  it('KEYS drops the named keys only', async () => {
    const near = synced();
    await readThrough(near, 'a', '1');
    await readThrough(near, 'b', '2');
    sidecar.stream.send('KEYS', { keys: ['a', 'never-read'] });
    assert.deepEqual(events.at(-1), { type: 'dropped', namespace: NS, keys: ['a'] });
    assert.equal((await near.get(NS, 'b')).near, true);
    assert.equal((await readThrough(near, 'a', '1b')).near, false);
  });

  for (const kind of ['NAMESPACE', 'TAGS']) {
    it(`${kind} drops the whole namespace and caching goes on`, async () => {
      const near = synced();
      await readThrough(near, 'a', '1');
      await readThrough(near, 'b', '2');
      sidecar.stream.send(kind, kind === 'TAGS' ? { tags: ['team:a'] } : {});
      assert.equal(near.size(NS), 0);
      await readThrough(near, 'a', '1');
      assert.equal((await near.get(NS, 'a')).near, true);
    });
  }

  it('drop() forgets a key at once, for the process\'s own writes', async () => {
    const near = synced();
    await readThrough(near, 'k', 'v1');
    assert.deepEqual(near.drop(NS, 'k'), ['k']);
    assert.equal((await readThrough(near, 'k', 'v2')).value.toString(), 'v2');
  });

  it('events of a namespace it was not asked for change nothing', async () => {
    const near = synced();
    await readThrough(near, 'k', 'v1');
    sidecar.stream.send('NAMESPACE', { namespace: 'other' });
    assert.equal((await near.get(NS, 'k')).near, true);
  });
});

describe('a read that races an invalidation does not install the old value', () => {
  it('KEYS for the key while its Get is in flight', async () => {
    const near = synced();
    const pending = near.get(NS, 'k');
    sidecar.stream.send('KEYS', { keys: ['k'] });
    sidecar.answer('old');
    assert.equal((await pending).value.toString(), 'old', 'the caller gets the answer');
    assert.equal(near.size(NS), 0, 'but it is not kept');
    assert.equal((await readThrough(near, 'k', 'new')).near, false);
  });

  it('KEYS for another key does not spoil the read', async () => {
    const near = synced();
    const pending = near.get(NS, 'k');
    sidecar.stream.send('KEYS', { keys: ['other'] });
    sidecar.answer('v1');
    await pending;
    assert.equal((await near.get(NS, 'k')).near, true);
  });

  for (const kind of ['NAMESPACE', 'TAGS', 'RESET']) {
    it(`${kind} while the Get is in flight`, async () => {
      const near = synced();
      const pending = near.get(NS, 'k');
      sidecar.stream.send(kind);
      sidecar.stream.send('SYNCED'); // caching again before the answer arrives: still too late for it
      sidecar.answer('old');
      await pending;
      assert.equal(near.size(NS), 0);
    });
  }

  it('two reads of one key: only the one that started after the invalidation installs', async () => {
    const near = synced();
    const early = near.get(NS, 'k');
    const earlyGet = sidecar.gets.at(-1);
    sidecar.stream.send('KEYS', { keys: ['k'] });
    const late = near.get(NS, 'k');
    earlyGet.answer('old');
    await early;
    assert.equal(near.size(NS), 0);
    sidecar.answer('new');
    await late;
    assert.equal((await near.get(NS, 'k')).value.toString(), 'new');
  });
});

describe('what is kept', () => {
  it('at most maxEntries, the least recently used evicted first', async () => {
    const near = synced({ maxEntries: 2 });
    await readThrough(near, 'a', '1');
    await readThrough(near, 'b', '2');
    await near.get(NS, 'a'); // a is now more recent than b
    await readThrough(near, 'c', '3');
    assert.equal(near.size(NS), 2);
    assert.equal((await near.get(NS, 'a')).near, true);
    assert.equal((await near.get(NS, 'c')).near, true);
    assert.equal((await readThrough(near, 'b', '2')).near, false);
  });

  it('not beyond the ttl_remaining the sidecar gave', async () => {
    const near = synced();
    await readThrough(near, 'k', 'v1', { ttl_remaining: { seconds: '2', nanos: 500_000_000 } });
    clock += 2499;
    assert.equal((await near.get(NS, 'k')).near, true);
    clock += 1;
    assert.equal((await readThrough(near, 'k', 'v1')).near, false);
  });

  it('neither a not-found nor a stale answer', async () => {
    const near = synced();
    await readThrough(near, 'missing', '', { found: false });
    await readThrough(near, 'stale', 'old', { stale: true });
    assert.equal(near.size(NS), 0);
  });

  it('a failed Get rejects with the RPC error and keeps nothing', async () => {
    const near = synced();
    const pending = near.get(NS, 'k');
    sidecar.gets.at(-1).fail(grpc.status.UNAVAILABLE, 'down');
    await assert.rejects(pending, (error) => error.code === grpc.status.UNAVAILABLE);
    assert.equal(near.size(NS), 0);
  });
});

describe('a dead stream', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));

  it('heartbeats keep it alive; silence for 3 intervals clears, bypasses, cancels and watches again', async () => {
    const near = synced();
    await readThrough(near, 'k', 'v1');
    const first = sidecar.stream;
    mock.timers.tick(2999);
    first.send('HEARTBEAT');
    mock.timers.tick(2999);
    assert.equal(near.size(NS), 1, 'alive: each event restarts the watchdog');
    assert.equal((await near.get(NS, 'k')).near, true);
    mock.timers.tick(1);
    assert.ok(first.cancelled, 'the silent call is cancelled');
    assert.equal(near.size(NS), 0);
    assert.deepEqual(events.filter((e) => e.type === 'lost'), [{ type: 'lost', reason: 'no event for 3000 ms', retryInMs: 100 }]);
    assert.equal((await readThrough(near, 'k', 'v1')).near, false, 'bypassed');
    assert.equal(near.size(NS), 0);
    mock.timers.tick(100);
    assert.equal(sidecar.streams.length, 2, 'watching again after the back-off');
    sidecar.stream.send('SYNCED');
    await readThrough(near, 'k', 'v1');
    assert.equal((await near.get(NS, 'k')).near, true);
  });

  it('an error or the end clears and reconnects with a doubling back-off, which SYNCED resets', async () => {
    const near = synced({ initialBackoffMs: 100, maxBackoffMs: 300 });
    await readThrough(near, 'k', 'v1');
    sidecar.stream.fail(grpc.status.RESOURCE_EXHAUSTED, 'too slow');
    assert.equal(near.size(NS), 0);
    const watchesAgainAfter = (delay) => { // random: () => 1 waits the whole back-off
      const streams = sidecar.streams.length;
      mock.timers.tick(delay - 1);
      assert.equal(sidecar.streams.length, streams, `not before ${delay} ms`);
      mock.timers.tick(1);
      assert.equal(sidecar.streams.length, streams + 1, `again after ${delay} ms`);
    };
    watchesAgainAfter(100);
    for (const delay of [200, 300, 300]) {
      sidecar.stream.emit('end');
      watchesAgainAfter(delay);
    }
    sidecar.stream.send('SYNCED');
    sidecar.stream.fail(grpc.status.UNAVAILABLE, 'gone');
    const lost = events.filter((e) => e.type === 'lost');
    assert.deepEqual(lost.map((e) => e.retryInMs), [100, 200, 300, 300, 100]);
    assert.equal(lost[0].reason, 'RESOURCE_EXHAUSTED: too slow');
    assert.equal(lost[1].reason, 'the stream ended');
    assert.equal(sidecar.streams.length, 5);
  });

  it('the CANCELLED of a call it gave up changes nothing later', async () => {
    const near = synced();
    const old = sidecar.stream;
    old.fail(grpc.status.UNAVAILABLE, 'gone');
    mock.timers.tick(100);
    sidecar.stream.send('SYNCED');
    await readThrough(near, 'k', 'v1');
    old.fail(grpc.status.CANCELLED, 'late');
    old.send('RESET');
    assert.equal((await near.get(NS, 'k')).near, true);
  });

  it('close() cancels the call and schedules nothing', () => {
    const near = synced();
    near.close();
    assert.ok(sidecar.stream.cancelled);
    mock.timers.tick(60_000);
    assert.equal(sidecar.streams.length, 1);
  });
});
