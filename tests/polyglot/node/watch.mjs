#!/usr/bin/env node
// Drives a NearCache (nearcache.mjs) over one sidecar through a line protocol, for people and tests:
//
//   node watch.mjs --address unix:/run/cachesidecar/grpc.sock --namespace products [--namespace …]
//                  [--heartbeat-ms 5000] [--max-entries 1000] [--token T] [--protos DIR]
//
// The address is host:port or unix:/path/to/grpc.sock; the token falls back to CACHESIDECAR_TOKEN
// (better there than on the command line, where other users can read it from the process list).
// Reads one command a line from stdin, in order:
//   get NAMESPACE KEY   -> get ns="…" key="…" found=true value="…" from="near"|"sidecar" rpcs=N
//   quit (or the end of stdin)
// and prints what the stream does, as it happens:
//   event kind=SYNCED ns="…" seq=N keys=[…] tags=[…]   every event (HEARTBEAT: kind only)
//   caching ns="…"                 the namespace is cached from now on (after SYNCED)
//   dropped ns="…" keys=[…]        a KEYS event dropped these held keys (possibly none)
//   cleared ns="…" reason="TAGS"   a NAMESPACE or TAGS event dropped the whole namespace
//   bypass ns="…" reason="…"       dropped, and not cached until the next SYNCED
//   lost reason="…" retry_in_ms=N  the stream failed, ended or fell silent; watching again in N ms
//   error op="get" … code="…" details="…"   a Get failed (the driver goes on)
// Each line starts with its kind; strings and arrays are JSON. Exits 0 after quit, 2 on bad usage.
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { defaultProtos, loadCache, target } from './contract.mjs';
import { NearCache } from './nearcache.mjs';

const { values: args } = parseArgs({
  options: {
    address: { type: 'string', default: process.env.CACHESIDECAR_ADDRESS },
    namespace: { type: 'string', multiple: true, default: [] },
    'heartbeat-ms': { type: 'string', default: '5000' },
    'max-entries': { type: 'string', default: '1000' },
    token: { type: 'string', default: process.env.CACHESIDECAR_TOKEN },
    protos: { type: 'string', default: process.env.CACHESIDECAR_PROTOS ?? defaultProtos },
  },
});
if (!args.address || args.namespace.length === 0) {
  console.error('usage: node watch.mjs --address ADDRESS --namespace NS [--namespace NS …] [--heartbeat-ms MS]'
    + ' [--max-entries N] [--token TOKEN] (or CACHESIDECAR_ADDRESS, CACHESIDECAR_TOKEN); ADDRESS is HOST:PORT or unix:/path');
  process.exit(2);
}

/** One output line: the kind, then name=value pairs (strings and arrays as JSON, numbers and booleans bare). */
function say(kind, fields = {}) {
  const pairs = Object.entries(fields).map(([name, value]) =>
    `${name}=${typeof value === 'string' || typeof value === 'object' ? JSON.stringify(value) : value}`);
  console.log([kind, ...pairs].join(' '));
}

function onEvent(happened) {
  switch (happened.type) {
    case 'event': {
      const { kind, namespace, sequence, keys, tags } = happened.event;
      say('event', kind === 'HEARTBEAT' ? { kind } : { kind, ns: namespace, seq: BigInt(sequence), keys, tags });
      break;
    }
    case 'caching': say('caching', { ns: happened.namespace }); break;
    case 'dropped': say('dropped', { ns: happened.namespace, keys: happened.keys }); break;
    case 'cleared': say('cleared', { ns: happened.namespace, reason: happened.reason }); break;
    case 'bypass': say('bypass', { ns: happened.namespace, reason: happened.reason }); break;
    case 'lost': say('lost', { reason: happened.reason, retry_in_ms: happened.retryInMs }); break;
    default: say(happened.type);
  }
}

const Cache = loadCache(args.protos);
const client = new Cache(target(args.address), grpc.credentials.createInsecure());
const near = new NearCache(client, args.namespace, {
  token: args.token,
  heartbeatMs: Number(args['heartbeat-ms']),
  maxEntries: Number(args['max-entries']),
  onEvent,
}).start();
say('ready');

for await (const line of readline.createInterface({ input: process.stdin, terminal: false })) {
  const [command, namespace, ...rest] = line.trim().split(' ');
  if (command === 'quit') break;
  if (command !== 'get' || !namespace || rest.length === 0) {
    say('error', { op: command ?? '', details: 'commands: get NAMESPACE KEY, quit' });
    continue;
  }
  const key = rest.join(' ');
  try {
    const got = await near.get(namespace, key);
    say('get', {
      ns: namespace, key, found: got.found, value: got.value.toString('utf8'),
      from: got.near ? 'near' : 'sidecar', rpcs: near.rpcs,
    });
  } catch (error) {
    say('error', { op: 'get', ns: namespace, key, code: grpc.status[error.code] ?? 'none', details: error.details ?? error.message });
  }
}

near.close();
client.close();
say('bye');
