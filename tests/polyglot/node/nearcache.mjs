// A near cache for CacheSidecar in Node.js, kept coherent by one WatchInvalidations stream: the
// example every other language can follow (README.md, "Watching invalidations (any language)").
//
//   const near = new NearCache(new Cache('unix:/run/cachesidecar/grpc.sock', insecure), ['products'], { token });
//   near.start();
//   const { found, value, near: hit } = await near.get('products', 'sku-1'); // hit: no RPC was made
//   near.close();
//
// The rules, each from the contract (protos/cachesidecar/v1/cache.proto, WatchInvalidations):
// - A namespace is cached only between a SYNCED event and the next RESET; otherwise every read goes
//   to the sidecar and nothing is kept ("bypass").
// - KEYS drops the named keys; NAMESPACE, TAGS (this cache does not track tags) and RESET drop the
//   whole namespace; SYNCED starts caching with an empty map.
// - A read takes a ticket before its Get RPC and installs the answer only if no invalidation of that
//   key or of its namespace arrived meanwhile: an answer that raced a write never becomes a hit.
// - HEARTBEAT arrives at least every heartbeat interval, so a stream silent for silenceFactor times
//   that long is dead; that, a stream error (RESOURCE_EXHAUSTED when this reader was too slow) or
//   its end clears every namespace, bypasses them, cancels the call and watches again after a
//   back-off (doubling up to maxBackoffMs, reset by the next SYNCED).
// - Each namespace's map holds at most maxEntries (the least recently used goes first), only found
//   and not stale answers, and none beyond the ttl_remaining the sidecar gave it.
import * as grpc from '@grpc/grpc-js';
import { bearer } from './contract.mjs';

const DEFAULTS = {
  token: undefined, // the sidecar's bearer token, if it has one
  maxEntries: 1000, // per namespace
  heartbeatMs: 5000, // asked of the sidecar (100 ms .. 5 min)
  silenceFactor: 3, // this many heartbeat intervals without any event: the stream is dead
  initialBackoffMs: 100,
  maxBackoffMs: 5000,
  callDeadlineMs: 10_000, // each Get RPC
  onEvent: () => {}, // told what happens, for logs and tests: { type: 'event' | 'caching' | ..., ... }
  now: () => Date.now(), // the clock of ttl_remaining
  random: Math.random, // spreads reconnects: a delay is between half and all of the back-off
};

export class NearCache {
  #client;
  #options;
  #namespaces = new Map(); // name -> { entries: Map(key -> entry), caching, generation, reading }
  #call = null; // the current WatchInvalidations call, null between calls
  #watchdog = null;
  #retry = null;
  #backoffMs;
  #closed = false;

  /** Get RPCs made, and reads answered from the map: for tests and metrics. */
  rpcs = 0;
  hits = 0;

  /**
   * @param client a cachesidecar.v1.Cache client (see contract.mjs)
   * @param namespaces the namespaces to cache; each must publish its invalidations (PublishInvalidations)
   */
  constructor(client, namespaces, options = {}) {
    this.#client = client;
    this.#options = { ...DEFAULTS, ...options };
    this.#backoffMs = this.#options.initialBackoffMs;
    for (const name of namespaces) {
      this.#namespaces.set(name, { entries: new Map(), caching: false, generation: 0, reading: new Map() });
    }
  }

  /** Opens the stream; reads bypass the map until it says SYNCED. */
  start() {
    this.#watch();
    return this;
  }

  /** Ends the stream and stops caching; the client stays open (its owner closes it). */
  close() {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#end(this.#call);
    for (const [name, ns] of this.#namespaces) {
      this.#bypass(name, ns, 'closed');
    }
  }

  /** Entries held for the namespace now. */
  size(namespace) {
    return this.#namespace(namespace).entries.size;
  }

  /**
   * A Get through the map: { found, value, content_type, etag, ..., near } where near tells a hit
   * (no RPC) from an answer of the sidecar. Rejects with the RPC's error.
   */
  async get(namespace, key) {
    const ns = this.#namespace(namespace);
    const held = ns.caching ? ns.entries.get(key) : undefined;
    if (held !== undefined) {
      ns.entries.delete(key); // re-inserted last: Map order is the LRU order
      if (held.expiresAt > this.#options.now()) {
        ns.entries.set(key, held);
        this.hits += 1;
        return { ...held.response, near: true };
      }
    }

    // The ticket: invalidated by any KEYS event for this key, outdated by any namespace-wide drop.
    const ticket = ns.caching ? { generation: ns.generation, invalidated: false } : null;
    if (ticket) {
      ns.reading.set(key, (ns.reading.get(key) ?? new Set()).add(ticket));
    }
    try {
      this.rpcs += 1;
      const response = await this.#getRpc(namespace, key);
      if (ticket && !ticket.invalidated && ticket.generation === ns.generation && ns.caching
        && response.found && !response.stale) {
        this.#install(ns, key, response);
      }
      return { ...response, near: false };
    } finally {
      if (ticket) {
        const tickets = ns.reading.get(key);
        tickets.delete(ticket);
        if (tickets.size === 0) ns.reading.delete(key);
      }
    }
  }

  /**
   * Drops keys here at once, for this process's own writes: call it when a Put or Delete returns,
   * as the sidecar's KEYS event for it may arrive after the caller's next read.
   */
  drop(namespace, ...keys) {
    return this.#dropKeys(this.#namespace(namespace), keys);
  }

  #namespace(name) {
    const ns = this.#namespaces.get(name);
    if (!ns) throw new Error(`namespace '${name}' is not watched by this near cache`);
    return ns;
  }

  #getRpc(namespace, key) {
    const deadline = new Date(Date.now() + this.#options.callDeadlineMs);
    return new Promise((resolve, reject) => {
      this.#client.Get({ namespace, key }, bearer(this.#options.token), { deadline }, (error, response) =>
        error ? reject(error) : resolve(response));
    });
  }

  #install(ns, key, response) {
    const ttl = response.ttl_remaining;
    const expiresAt = ttl ? this.#options.now() + Number(ttl.seconds) * 1000 + ttl.nanos / 1e6 : Infinity;
    ns.entries.delete(key);
    while (ns.entries.size >= this.#options.maxEntries) {
      ns.entries.delete(ns.entries.keys().next().value); // the least recently used
    }
    ns.entries.set(key, { response, expiresAt });
  }

  // ---- the stream ------------------------------------------------------------------------------

  #watch() {
    const { heartbeatMs, token } = this.#options;
    const call = this.#client.WatchInvalidations({
      namespaces: [...this.#namespaces.keys()],
      heartbeat_interval: { seconds: Math.floor(heartbeatMs / 1000), nanos: (heartbeatMs % 1000) * 1e6 },
    }, bearer(token));
    this.#call = call;
    this.#armWatchdog(call);
    call.on('data', (event) => this.#onEvent(call, event));
    call.on('error', (error) => this.#lose(call, `${grpc.status[error.code] ?? error.code}: ${error.details}`));
    call.on('end', () => this.#lose(call, 'the stream ended'));
  }

  /** (Re)starts the silence timer: any event proves the stream alive. */
  #armWatchdog(call) {
    clearTimeout(this.#watchdog);
    const silenceMs = this.#options.heartbeatMs * this.#options.silenceFactor;
    this.#watchdog = setTimeout(() => this.#lose(call, `no event for ${silenceMs} ms`), silenceMs);
  }

  #onEvent(call, event) {
    if (call !== this.#call) return; // a call already given up
    this.#armWatchdog(call);
    this.#options.onEvent({ type: 'event', event });
    if (event.kind === 'HEARTBEAT') return;
    const ns = this.#namespaces.get(event.namespace);
    if (!ns) return; // not asked for
    switch (event.kind) {
      case 'SYNCED':
        this.#clear(ns);
        ns.caching = true;
        this.#backoffMs = this.#options.initialBackoffMs;
        this.#options.onEvent({ type: 'caching', namespace: event.namespace });
        break;
      case 'KEYS': {
        const held = this.#dropKeys(ns, event.keys);
        this.#options.onEvent({ type: 'dropped', namespace: event.namespace, keys: held });
        break;
      }
      case 'NAMESPACE':
      case 'TAGS':
        this.#clear(ns);
        this.#options.onEvent({ type: 'cleared', namespace: event.namespace, reason: event.kind });
        break;
      default: // RESET, or a kind this code does not know: it cannot tell what it missed
        this.#bypass(event.namespace, ns, event.kind, true);
    }
  }

  /** The stream is gone (error, end, silence): bypass everything, then watch again after a back-off. */
  #lose(call, reason) {
    if (call !== this.#call) return;
    this.#end(call);
    for (const [name, ns] of this.#namespaces) {
      this.#bypass(name, ns, reason);
    }
    if (this.#closed) return;
    const delayMs = Math.round(this.#backoffMs * (0.5 + 0.5 * this.#options.random()));
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#options.maxBackoffMs);
    this.#options.onEvent({ type: 'lost', reason, retryInMs: delayMs });
    this.#retry = setTimeout(() => this.#watch(), delayMs);
  }

  #end(call) {
    if (call === null || call !== this.#call) return;
    this.#call = null;
    clearTimeout(this.#watchdog);
    call.cancel(); // its CANCELLED error comes back to #lose, which ignores a call no longer current
  }

  // ---- dropping ----------------------------------------------------------------------------------

  /** Drops keys and invalidates the tickets of reads in flight for them; returns the keys that were held. */
  #dropKeys(ns, keys) {
    const held = [];
    for (const key of keys) {
      if (ns.entries.delete(key)) held.push(key);
      for (const ticket of ns.reading.get(key) ?? []) {
        ticket.invalidated = true;
      }
    }
    return held;
  }

  /** Drops the whole namespace; a new generation outdates every ticket taken before. */
  #clear(ns) {
    ns.entries.clear();
    ns.generation += 1;
  }

  /** Drops the whole namespace and stops caching it; tells onEvent when it was caching or when asked. */
  #bypass(name, ns, reason, tell = ns.caching) {
    this.#clear(ns);
    ns.caching = false;
    if (tell) {
      this.#options.onEvent({ type: 'bypass', namespace: name, reason });
    }
  }
}
