#!/usr/bin/python3
"""A CacheSidecar client in Python that knows nothing but protos/.

Its stubs are generated from the contract, at test time, by protoc and gRPC's Python plugin
(Debian: protobuf-compiler, protobuf-compiler-grpc, python3-grpcio, python3-protobuf):

    OUT=$(mktemp -d)
    protoc -I protos --python_out=$OUT --grpc_out=$OUT \\
        --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin \\
        protos/cachesidecar/v1/cache.proto protos/google/api/annotations.proto protos/google/api/http.proto
    CACHESIDECAR_TOKEN=... PYTHONPATH=$OUT /usr/bin/python3 tests/polyglot/python/client.py \\
        --serving 127.0.0.1:50051 --unavailable 127.0.0.1:50052

(google/api/*.proto are generated too because Debian's python3-protobuf does not ship the
google.api modules that cache_pb2 imports; the well-known types, such as Duration, it does ship.)

It checks every RPC and every error status of the contract against two running sidecars:
  --serving      a sidecar with a reachable Redis and store, and a bearer token configured
  --unavailable  a sidecar whose Redis and store are both unreachable (same token)
An address is host:port, or unix:/path/to/grpc.sock for a sidecar on a Unix domain socket (the tests run
the serving sidecar on one).
Each option falls back to an environment variable (CACHESIDECAR_SERVING, CACHESIDECAR_UNAVAILABLE,
CACHESIDECAR_TOKEN); the token is better passed in the environment, out of the process list.
It assumes the sidecars run the default namespaces of src/Sidecar/appsettings.json.
Prints one line per check and exits 1 on the first failure (2 on bad usage).
"""

import argparse
import json
import os
import re
import sys
import traceback
import uuid

import grpc
from google.protobuf import __version__ as protobuf_version
from google.protobuf import descriptor_pb2, message_factory

try:
    from cachesidecar.v1 import cache_pb2, cache_pb2_grpc
except ImportError as missing:
    sys.exit(f"{missing}: generate the stubs with protoc (see this file's docstring) and put them on PYTHONPATH")

CALL_TIMEOUT = 10.0  # seconds; every call is bounded: a hung sidecar fails the run, it never stalls it
# The unavailable sidecar fails a store call after its server-selection timeout, so allow more.
UNAVAILABLE_TIMEOUT = 20.0
JSON_TYPE = "application/json"
OCTETS = "application/octet-stream"
EVERY_BYTE = bytes(range(256))  # includes 0x00 and invalid UTF-8
SOURCE = cache_pb2.ValueSource


class CheckFailed(Exception):
    """A check's expectation did not hold (an explicit exception: `python -O` strips asserts)."""


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def expect_equal(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def health_stub(channel):
    """grpc.health.v1.Health/Check, which the sidecar serves but protos/ does not describe.

    Its two tiny messages are declared here (same names, numbers and types as
    grpc/health/v1/health.proto) and built by the protobuf runtime, rather than shipping another
    .proto file or depending on the grpcio-health-checking package, which Debian does not have.
    """
    file = descriptor_pb2.FileDescriptorProto(name="polyglot/grpc_health_v1.proto", package="grpc.health.v1", syntax="proto3")
    field = descriptor_pb2.FieldDescriptorProto
    request = file.message_type.add(name="HealthCheckRequest")
    request.field.add(name="service", number=1, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL)
    response = file.message_type.add(name="HealthCheckResponse")
    statuses = response.enum_type.add(name="ServingStatus")
    for number, name in enumerate(["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]):
        statuses.value.add(name=name, number=number)
    response.field.add(name="status", number=1, type=field.TYPE_ENUM, label=field.LABEL_OPTIONAL,
                       type_name=".grpc.health.v1.HealthCheckResponse.ServingStatus")
    messages = message_factory.GetMessages([file])
    request_type = messages["grpc.health.v1.HealthCheckRequest"]
    response_type = messages["grpc.health.v1.HealthCheckResponse"]
    check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                request_serializer=request_type.SerializeToString,
                                response_deserializer=response_type.FromString)

    def status(timeout):
        reply = check(request_type(service=""), timeout=timeout)
        return response_type.DESCRIPTOR.enum_types_by_name["ServingStatus"].values_by_number[reply.status].name

    return status


class Client:
    """The generated stub plus the bearer token and a bounded deadline on every call."""

    def __init__(self, channel, token):
        self._stub = cache_pb2_grpc.CacheStub(channel)
        self._token = token

    def __getattr__(self, method):
        rpc = getattr(self._stub, method)

        def call(request, token=..., timeout=CALL_TIMEOUT):
            token = self._token if token is ... else token  # None: send no authorization header
            metadata = [] if token is None else [("authorization", f"Bearer {token}")]
            return rpc(request, metadata=metadata, timeout=timeout)

        return call


def expect_status(code, call, *args, **kwargs):
    """Runs the call and checks that it fails with exactly this status and a message."""
    try:
        response = call(*args, **kwargs)
    except grpc.RpcError as error:
        expect_equal(error.code(), code, f"status (details: {error.details()})")
        expect(error.details(), "the status carries a message")
        return error
    raise CheckFailed(f"expected {code.name}, but the call succeeded: {response}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving", default=os.environ.get("CACHESIDECAR_SERVING"))
    parser.add_argument("--unavailable", default=os.environ.get("CACHESIDECAR_UNAVAILABLE"))
    parser.add_argument("--token", default=os.environ.get("CACHESIDECAR_TOKEN"))
    args = parser.parse_args()
    if not (args.serving and args.unavailable and args.token):
        parser.print_usage(sys.stderr)
        sys.exit(2)

    target = lambda address: address.removeprefix("http://")  # accept "http://host:port" too
    serving_channel = grpc.insecure_channel(target(args.serving))
    unavailable_channel = grpc.insecure_channel(target(args.unavailable))
    serving = Client(serving_channel, args.token)
    unavailable = Client(unavailable_channel, args.token)
    serving_health = health_stub(serving_channel)
    unavailable_health = health_stub(unavailable_channel)

    # Unique per run, so reruns against the same Redis and store never see each other's keys.
    run = f"py-{uuid.uuid4().hex[:8]}"
    key = lambda name: f"{run}-{name}"
    get = lambda ns, k: serving.Get(cache_pb2.GetRequest(namespace=ns, key=k))
    state = {}
    passed = 0

    def check(name):
        # Used as a decorator: the decorated function runs at once, as one numbered check.
        def run_check(body):
            nonlocal passed
            try:
                body()
            except Exception:  # any failure, assertion or RPC error, ends the run here
                print(f"FAIL - {name}: {traceback.format_exc()}", flush=True)
                sys.exit(1)
            passed += 1
            print(f"ok {passed} - {name}", flush=True)
        return run_check

    # protoc 3.21 generates code for the protobuf 4.21 runtime (Debian 12 ships the pair):
    # importing cache_pb2 above is the compatibility check; the versions go in the log.
    print(f"# python {sys.version.split()[0]}, protobuf {protobuf_version}, grpcio {grpc.__version__}", flush=True)

    # ---- health (no token needed) -----------------------------------------------------------
    @check("health: the serving sidecar is SERVING, without a token")
    def _():
        expect_equal(serving_health(CALL_TIMEOUT), "SERVING", "health")

    # ---- ListNamespaces -----------------------------------------------------------------------
    @check("ListNamespaces: the five default namespaces with their policies")
    def _():
        by_name = {ns.name: ns for ns in serving.ListNamespaces(cache_pb2.ListNamespacesRequest()).namespaces}
        expect_equal(sorted(by_name), ["carts", "events", "products", "sessions", "users"], "namespaces")
        expect_equal({name: ns.strategy for name, ns in by_name.items()},
                     {"users": "CacheAside", "products": "Ttl", "carts": "WriteThrough", "events": "WriteBehind", "sessions": "Ttl"},
                     "strategies")
        expect_equal(by_name["users"].collection, "users", "users collection")
        expect_equal(by_name["sessions"].collection, "", "sessions is a pure cache: no collection")
        expect_equal(by_name["users"].ttl.seconds, 3600, "users ttl")
        expect_equal(by_name["users"].ttl_jitter.seconds, 60, "users ttl jitter")
        expect_equal(by_name["users"].id_type, "String", "users id type")
        expect(by_name["users"].max_value_bytes > 0, "max_value_bytes is set")

    # ---- Put / Get through each strategy ------------------------------------------------------
    profile = {"name": "Ada Lovelace", "tags": ["math", "engines"], "born": 1815, "city": "Zürich ✓"}

    @check("Put users (cache-aside, JSON): an etag, persisted, not queued")
    def _():
        put = serving.Put(cache_pb2.PutRequest(namespace="users", key=key("ada"), value=json.dumps(profile).encode(), content_type=JSON_TYPE))
        expect(put.etag.isdigit(), f"etag {put.etag!r} is a version number")
        expect_equal(put.persisted, True, "persisted")
        expect_equal(put.queued, False, "queued")
        state["user_etag"] = put.etag

    @check("Get users: first read loads from the STORE with the Put's etag and the same JSON")
    def _():
        got = get("users", key("ada"))
        expect_equal(got.found, True, "found")
        expect_equal(got.source, SOURCE.VALUE_SOURCE_STORE, "source")
        expect_equal(got.etag, state["user_etag"], "etag")
        expect_equal(got.content_type, JSON_TYPE, "content type")
        # JSON is stored as a BSON document, so compare the value, not its formatting.
        expect_equal(json.loads(got.value), profile, "value")
        expect_equal(got.stale, False, "stale")

    @check("Get users again: served from the CACHE with a TTL of about an hour")
    def _():
        got = get("users", key("ada"))
        expect_equal(got.source, SOURCE.VALUE_SOURCE_CACHE, "source")
        expect_equal(got.etag, state["user_etag"], "etag")
        expect(got.HasField("ttl_remaining"), "ttl_remaining is set for a cache hit")
        left = got.ttl_remaining.ToTimedelta().total_seconds()
        expect(3000 < left <= 3660, f"ttl_remaining {left}s within ttl 1 h + jitter 1 min")

    @check("Put users with if_match = the current etag: accepted, and the etag changes")
    def _():
        updated = dict(profile, born=1816)
        put = serving.Put(cache_pb2.PutRequest(namespace="users", key=key("ada"), value=json.dumps(updated).encode(),
                                               content_type=JSON_TYPE, if_match=state["user_etag"]))
        expect(put.etag != state["user_etag"], "the etag changed")
        expect(int(put.etag) > int(state["user_etag"]), "etags are monotonic versions")
        got = get("users", key("ada"))
        expect_equal(got.etag, put.etag, "etag")
        expect_equal(json.loads(got.value), updated, "value")
        state["user_etag"] = put.etag

    @check("FAILED_PRECONDITION: Put with a stale if_match, and the value stays as it was")
    def _():
        stale = str(int(state["user_etag"]) - 1)
        expect_status(grpc.StatusCode.FAILED_PRECONDITION, serving.Put,
                      cache_pb2.PutRequest(namespace="users", key=key("ada"), value=b'{"lost":true}', content_type=JSON_TYPE, if_match=stale))
        got = get("users", key("ada"))
        expect_equal(got.etag, state["user_etag"], "etag")
        expect_equal(json.loads(got.value)["born"], 1816, "value")

    @check("Put users (binary, every byte value) then Get from the STORE: byte for byte")
    def _():
        put = serving.Put(cache_pb2.PutRequest(namespace="users", key=key("bytes"), value=EVERY_BYTE, content_type=OCTETS))
        got = get("users", key("bytes"))
        expect_equal(got.source, SOURCE.VALUE_SOURCE_STORE, "source")
        expect_equal(got.etag, put.etag, "etag")
        expect_equal(got.content_type, OCTETS, "content type")
        expect_equal(got.value, EVERY_BYTE, "value")

    @check("Put products (TTL strategy with a store): persisted; Get loads from the STORE")
    def _():
        value = os.urandom(64)
        put = serving.Put(cache_pb2.PutRequest(namespace="products", key=key("p1"), value=value))
        expect_equal((put.persisted, put.queued), (True, False), "(persisted, queued)")
        got = get("products", key("p1"))
        expect_equal(got.source, SOURCE.VALUE_SOURCE_STORE, "source")
        expect_equal(got.content_type, OCTETS, "an empty content type means application/octet-stream")
        expect_equal(got.value, value, "value")

    @check("Put carts (write-through): persisted, not queued; Get hits the CACHE the Put filled")
    def _():
        cart = {"items": [{"sku": "A-1", "qty": 2}]}
        put = serving.Put(cache_pb2.PutRequest(namespace="carts", key=key("cart"), value=json.dumps(cart).encode(), content_type=JSON_TYPE))
        expect_equal((put.persisted, put.queued), (True, False), "(persisted, queued)")
        got = get("carts", key("cart"))
        expect_equal(got.source, SOURCE.VALUE_SOURCE_CACHE, "source")
        expect_equal(got.etag, put.etag, "etag")
        expect_equal(json.loads(got.value), cart, "value")

    @check("Put events (write-behind): queued, not yet persisted; Get hits the CACHE")
    def _():
        put = serving.Put(cache_pb2.PutRequest(namespace="events", key=key("e1"), value=b'{"type":"clicked","at":1}', content_type=JSON_TYPE))
        expect_equal((put.persisted, put.queued), (False, True), "(persisted, queued)")
        got = get("events", key("e1"))
        expect_equal(got.source, SOURCE.VALUE_SOURCE_CACHE, "source")
        expect_equal(got.etag, put.etag, "etag")

    @check("Put sessions (pure cache, every byte value): persisted; Get from the CACHE byte for byte")
    def _():
        request = cache_pb2.PutRequest(namespace="sessions", key=key("s1"), value=EVERY_BYTE, content_type=OCTETS)
        request.ttl.FromSeconds(600)
        put = serving.Put(request)
        expect_equal((put.persisted, put.queued), (True, False), "(persisted, queued): no store, the cache is where it persists")
        got = get("sessions", key("s1"))
        expect_equal(got.found, True, "found")
        expect_equal(got.source, SOURCE.VALUE_SOURCE_CACHE, "source")
        expect_equal(got.etag, put.etag, "etag")
        expect_equal(got.value, EVERY_BYTE, "value")
        left = got.ttl_remaining.ToTimedelta().total_seconds()
        expect(500 < left <= 600, f"the Put's own ttl (600 s) applies, {left}s left")

    # ---- BatchGet --------------------------------------------------------------------------
    @check("BatchGet users: one answer per key in request order, duplicates answered twice")
    def _():
        keys = [key("bytes"), key("missing"), key("ada"), key("bytes")]
        items = serving.BatchGet(cache_pb2.BatchGetRequest(namespace="users", keys=keys)).items
        expect_equal([item.key for item in items], keys, "keys")
        expect_equal([item.result.found for item in items], [True, False, True, True], "found")
        expect_equal(items[0].result.value, EVERY_BYTE, "first value")
        expect_equal(items[3].result.value, EVERY_BYTE, "duplicate's value")
        expect_equal((items[1].result.etag, items[1].result.value), ("", b""), "a missing key has no etag or value")
        expect_equal(items[2].result.etag, state["user_etag"], "etag")

    # ---- Invalidate --------------------------------------------------------------------------
    @check("Invalidate users keys: drops the cached entry only; the next Get reloads it from the STORE")
    def _():
        get("users", key("ada"))  # make sure it is cached
        response = serving.Invalidate(cache_pb2.InvalidateRequest(namespace="users", keys=[key("ada"), key("never-read")]))
        expect_equal(response.invalidated, 1, "only the one cached key counts")
        reloaded = get("users", key("ada"))
        expect_equal(reloaded.source, SOURCE.VALUE_SOURCE_STORE, "source after invalidation")
        expect_equal(reloaded.etag, state["user_etag"], "the store was untouched")
        expect_equal(get("users", key("ada")).source, SOURCE.VALUE_SOURCE_CACHE, "source of the read after")

    # ---- BatchPut ----------------------------------------------------------------------------
    @check("BatchPut users: one result per item in order; a stale if_match fails alone")
    def _():
        items = [
            cache_pb2.BatchPutItem(key=key("bp1"), value=b'{"n":1}', content_type="application/json"),
            cache_pb2.BatchPutItem(key=key("ada"), value=b'{"n":2}', content_type="application/json", if_match="1"),
        ]
        results = serving.BatchPut(cache_pb2.BatchPutRequest(namespace="users", items=items)).items
        expect_equal([r.key for r in results], [key("bp1"), key("ada")], "keys")
        expect_equal(results[0].code, 0, "the first item's code")
        expect_equal(results[1].code, 9, "FAILED_PRECONDITION for the stale if_match")
        expect_equal(get("users", key("bp1")).etag, results[0].etag, "etag")

    # ---- Touch -------------------------------------------------------------------------------
    @check("Touch users: the cached entry gets a new remaining TTL; value and etag unchanged")
    def _():
        request = cache_pb2.TouchRequest(namespace="users", key=key("ada"))
        request.ttl.FromSeconds(42)
        touched = serving.Touch(request)
        expect_equal(touched.found, True, "found")
        expect_equal(touched.ttl_remaining.ToTimedelta().total_seconds(), 42.0, "ttl_remaining")
        got = get("users", key("ada"))
        expect_equal(got.etag, state["user_etag"], "not rewritten")
        left = got.ttl_remaining.ToTimedelta().total_seconds()
        expect(0 < left <= 42, f"the new ttl applies, {left}s left")
        missing = cache_pb2.TouchRequest(namespace="users", key=key("never-read"))
        missing.ttl.FromSeconds(42)
        expect_equal(serving.Touch(missing).found, False, "a key that is not cached")

    # ---- Increment and create-if-absent -------------------------------------------------------
    @check("Increment users and sessions: a counter from 0, exact past 2^53; OUT_OF_RANGE past int64")
    def _():
        for ns in ("users", "sessions"):
            first = serving.Increment(cache_pb2.IncrementRequest(namespace=ns, key=key("views"), delta=5))
            expect_equal(first.value, 5, "first value")
            big = serving.Increment(cache_pb2.IncrementRequest(namespace=ns, key=key("views"), delta=9007199254740990))
            expect_equal(big.value, 9007199254740995, "exact beyond a double")
            got = get(ns, key("views"))
            expect_equal((got.value, got.content_type, got.etag), (b"9007199254740995", JSON_TYPE, big.etag), "(value, content_type, etag)")
            expect_status(grpc.StatusCode.OUT_OF_RANGE, serving.Increment,
                          cache_pb2.IncrementRequest(namespace=ns, key=key("views"), delta=9223372036854775807))
        expect_status(grpc.StatusCode.FAILED_PRECONDITION, serving.Increment,
                      cache_pb2.IncrementRequest(namespace="users", key=key("bytes"), delta=1))

    @check("Put users with if_none_match \"*\": created once; the second create is FAILED_PRECONDITION and writes nothing")
    def _():
        created = serving.Put(cache_pb2.PutRequest(namespace="users", key=key("created"), value=b'"first"',
                                                   content_type=JSON_TYPE, if_none_match="*"))
        expect_status(grpc.StatusCode.FAILED_PRECONDITION, serving.Put,
                      cache_pb2.PutRequest(namespace="users", key=key("created"), value=b'"second"',
                                           content_type=JSON_TYPE, if_none_match="*"))
        got = get("users", key("created"))
        expect_equal((got.value, got.etag), (b'"first"', created.etag), "(value, etag)")

    @check("InvalidateTags users: a value Put with the tag is loaded from the store again; others stay cached")
    def _():
        serving.Put(cache_pb2.PutRequest(namespace="users", key=key("tagged"), value=b"1", content_type=JSON_TYPE,
                                         tags=["team:a", "x"]))
        serving.Put(cache_pb2.PutRequest(namespace="users", key=key("other-tag"), value=b"2", content_type=JSON_TYPE,
                                         tags=["team:b"]))
        for name in ("tagged", "tagged", "other-tag", "other-tag"):
            get("users", key(name))  # cache-aside: the first read fills
        serving.InvalidateTags(cache_pb2.InvalidateTagsRequest(namespace="users", tags=["team:a"]))
        expect_equal(get("users", key("tagged")).source, SOURCE.VALUE_SOURCE_STORE, "the tagged value's source")
        expect_equal(get("users", key("other-tag")).source, SOURCE.VALUE_SOURCE_CACHE, "the other value's source")
        expect_status(grpc.StatusCode.INVALID_ARGUMENT, serving.InvalidateTags,
                      cache_pb2.InvalidateTagsRequest(namespace="users", tags=[]))

    @check("WatchInvalidations sessions: SYNCED, then KEYS with the next sequence for a Put; "
           "FAILED_PRECONDITION for users, which does not publish")
    def _():
        event_type = cache_pb2.InvalidationEvent
        stream = serving.WatchInvalidations(cache_pb2.WatchInvalidationsRequest(namespaces=["sessions"]))
        try:
            # RESET first while the sidecar subscribes; HEARTBEATs whenever nothing happens.
            synced = next(e for e in stream if e.kind not in (event_type.RESET, event_type.HEARTBEAT))
            expect_equal((synced.kind, synced.namespace), (event_type.SYNCED, "sessions"), "the opening event")
            serving.Put(cache_pb2.PutRequest(namespace="sessions", key=key("watched"), value=b"1",
                                             content_type=JSON_TYPE))
            put = next(e for e in stream if e.kind != event_type.HEARTBEAT)
            expect_equal((put.kind, put.sequence, list(put.keys)),
                         (event_type.KEYS, synced.sequence + 1, [key("watched")]), "the Put's event")
        finally:
            stream.cancel()
        refused = serving.WatchInvalidations(cache_pb2.WatchInvalidationsRequest(namespaces=["users"]))
        try:
            next(refused)
            raise AssertionError("users, which does not publish, was watchable")
        except grpc.RpcError as error:
            expect_equal(error.code(), grpc.StatusCode.FAILED_PRECONDITION, f"status (details: {error.details()})")
            expect(error.details(), "the status carries a message")

    @check("Invalidate whole namespace sessions: the pure-cache entry is gone")
    def _():
        response = serving.Invalidate(cache_pb2.InvalidateRequest(namespace="sessions", whole_namespace=True))
        expect_equal(response.invalidated, 0, "0 for whole_namespace")
        expect_equal(get("sessions", key("s1")).found, False, "found")

    @check("Invalidate whole namespace users: the store still serves every value")
    def _():
        serving.Invalidate(cache_pb2.InvalidateRequest(namespace="users", whole_namespace=True))
        got = get("users", key("bytes"))
        expect_equal(got.source, SOURCE.VALUE_SOURCE_STORE, "source")
        expect_equal(got.value, EVERY_BYTE, "value")

    # ---- Delete -------------------------------------------------------------------------------
    @check("FAILED_PRECONDITION: Delete with a stale if_match keeps the value")
    def _():
        stale = str(int(state["user_etag"]) - 1)
        expect_status(grpc.StatusCode.FAILED_PRECONDITION, serving.Delete, cache_pb2.DeleteRequest(namespace="users", key=key("ada"), if_match=stale))
        expect_equal(get("users", key("ada")).found, True, "found")

    @check("Delete users with the current etag: deleted and persisted; then not found; a second Delete deletes nothing")
    def _():
        deleted = serving.Delete(cache_pb2.DeleteRequest(namespace="users", key=key("ada"), if_match=state["user_etag"]))
        expect_equal((deleted.deleted, deleted.persisted, deleted.queued), (True, True, False), "(deleted, persisted, queued)")
        got = get("users", key("ada"))
        expect_equal((got.found, got.etag), (False, ""), "(found, etag)")
        expect_equal(serving.Delete(cache_pb2.DeleteRequest(namespace="users", key=key("ada"))).deleted, False, "second delete")

    # ---- The error statuses of the contract ---------------------------------------------------
    @check("INVALID_ARGUMENT: Get with an empty key")
    def _():
        expect_status(grpc.StatusCode.INVALID_ARGUMENT, serving.Get, cache_pb2.GetRequest(namespace="users", key=""))

    @check("INVALID_ARGUMENT: Put of invalid JSON with a JSON content type; nothing is written")
    def _():
        expect_status(grpc.StatusCode.INVALID_ARGUMENT, serving.Put,
                      cache_pb2.PutRequest(namespace="users", key=key("bad-json"), value=b'{"a":', content_type=JSON_TYPE))
        expect_equal(get("users", key("bad-json")).found, False, "found")

    @check("NOT_FOUND: Get and Put on an unknown namespace")
    def _():
        expect_status(grpc.StatusCode.NOT_FOUND, serving.Get, cache_pb2.GetRequest(namespace=f"no-such-{run}", key=key("x")))
        expect_status(grpc.StatusCode.NOT_FOUND, serving.Put, cache_pb2.PutRequest(namespace=f"no-such-{run}", key=key("x"), value=b"1"))

    @check("RESOURCE_EXHAUSTED: a 5 MiB Put is over the server's 4 MB message limit; nothing is written")
    def _():
        # grpcio sends messages of any size by default, so the server's limit is what refuses it.
        expect_status(grpc.StatusCode.RESOURCE_EXHAUSTED, serving.Put,
                      cache_pb2.PutRequest(namespace="users", key=key("huge"), value=b"a" * (5 * 1024 * 1024), content_type=OCTETS))
        expect_equal(get("users", key("huge")).found, False, "found")

    @check("UNAUTHENTICATED: no bearer token, and a wrong one")
    def _():
        expect_status(grpc.StatusCode.UNAUTHENTICATED, serving.Get, cache_pb2.GetRequest(namespace="users", key=key("bytes")), token=None)
        expect_status(grpc.StatusCode.UNAUTHENTICATED, serving.Put,
                      cache_pb2.PutRequest(namespace="users", key=key("bytes"), value=b"x"), token=args.token + "-wrong")
        expect_equal(get("users", key("bytes")).value, EVERY_BYTE, "the refused Put wrote nothing")

    @check("the serving sidecar still serves after every refused call")
    def _():
        expect_equal(get("users", key("bytes")).found, True, "found")

    # ---- A sidecar whose Redis and store are both down ----------------------------------------
    @check("health: the sidecar with Redis and store down is NOT_SERVING")
    def _():
        expect_equal(unavailable_health(UNAVAILABLE_TIMEOUT), "NOT_SERVING", "health")

    @check("DEADLINE_EXCEEDED: a Get with a 1 ms deadline")
    def _():
        # On the serving sidecar a cache hit can answer within 1 ms, so the check would be a race.
        # Here the Get needs the store, which this sidecar waits its server-selection timeout
        # (seconds) for: the caller's 1 ms deadline passes first, every time.
        expect_status(grpc.StatusCode.DEADLINE_EXCEEDED, unavailable.Get, cache_pb2.GetRequest(namespace="users", key=key("slow")), timeout=0.001)

    @check("UNAVAILABLE: Get, Put, BatchGet and Invalidate when neither Redis nor the store answers")
    def _():
        calls = [
            (unavailable.Get, cache_pb2.GetRequest(namespace="users", key=key("down"))),
            (unavailable.Put, cache_pb2.PutRequest(namespace="users", key=key("down"), value=b"{}", content_type=JSON_TYPE)),
            (unavailable.BatchGet, cache_pb2.BatchGetRequest(namespace="users", keys=[key("down")])),
            (unavailable.Invalidate, cache_pb2.InvalidateRequest(namespace="users", whole_namespace=True)),
        ]
        for method, request in calls:
            error = expect_status(grpc.StatusCode.UNAVAILABLE, method, request, timeout=UNAVAILABLE_TIMEOUT)
            # A client that cannot connect at all reports UNAVAILABLE too; the sidecar's own answer
            # names the dependency that is down ("The store (MongoDB) is unreachable", "The cache tier ...").
            expect(re.search(r"\b(store|cache)\b", error.details(), re.IGNORECASE),
                   f"the sidecar answered, naming what is down: {error.details()!r}")

    serving_channel.close()
    unavailable_channel.close()
    print(f"all {passed} checks passed", flush=True)


if __name__ == "__main__":
    main()
