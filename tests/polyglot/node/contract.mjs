// What the Node scripts here share: the contract loaded from protos/ at run time, the address forms
// a sidecar is dialled by, and the bearer token.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The repository's protos/ directory, for scripts run from this checkout. */
export const defaultProtos = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../protos');

/**
 * The cachesidecar.v1.Cache client constructor, from cache.proto with protos/ as the include root so
 * that google/api/annotations.proto resolves to the vendored copy (the well-known types ship with protobufjs).
 */
export function loadCache(protos = defaultProtos) {
  const definition = protoLoader.loadSync(path.join(protos, 'cachesidecar/v1/cache.proto'), {
    includeDirs: [protos],
    keepCase: true,
    longs: String,
    enums: String, // 'VALUE_SOURCE_STORE' and 'SYNCED', not numbers: the code reads like the contract
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).cachesidecar.v1.Cache;
}

/** host:port, http://host:port, or unix:/path/to/grpc.sock, as grpc-js dials it. */
export const target = (address) => address.replace(/^https?:\/\//, '');

/** Call metadata with `authorization: Bearer <token>`; none at all for a null or empty token. */
export function bearer(token) {
  const metadata = new grpc.Metadata();
  if (token) {
    metadata.set('authorization', `Bearer ${token}`);
  }
  return metadata;
}
