// Shared by validate.mjs (npm test) and dump.mjs (JSON for the C# ManifestTests): where the files
// are, and how they are read, so that both see exactly the same documents.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');

// Overridable so a test can point the checks at a deliberately broken copy and see them fail.
export const k8sDir = path.resolve(process.env.CACHESIDECAR_K8S_DIR ?? path.join(repoRoot, 'k8s'));
export const dockerfilePath = path.resolve(process.env.CACHESIDECAR_DOCKERFILE ?? path.join(repoRoot, 'Dockerfile'));

// kubernetes-models and dockerfile-utils are CommonJS packages whose subpaths (kubernetes-models/apps/v1)
// are directories: require() resolves those, ESM import() does not.
export const require = createRequire(import.meta.url);

/** The manifest files: every *.yaml / *.yml directly in the k8s directory, in a stable order. */
export function manifestFiles() {
  return readdirSync(k8sDir)
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
    .sort()
    .map((name) => path.join(k8sDir, name));
}

/**
 * Every document of one YAML file as { index, object, problems }. Parsed as YAML 1.1, the
 * dialect kubectl's parser speaks (0440 is octal, yes/no are booleans), so a value means here
 * what it will mean to the cluster. Duplicate keys are errors, as they are for kubectl.
 */
export function readDocuments(file) {
  const text = readFileSync(file, 'utf8');
  return parseAllDocuments(text, { version: '1.1', uniqueKeys: true, prettyErrors: true })
    .map((doc, index) => ({
      index,
      object: doc.errors.length === 0 ? doc.toJS({ maxAliasCount: 0 }) : undefined,
      problems: [...doc.errors, ...doc.warnings].map((e) => e.message),
    }))
    // A trailing `---` or a file of comments yields an empty document: nothing to apply or check.
    .filter((d) => d.problems.length > 0 || (d.object !== null && d.object !== undefined));
}

/** The kubernetes-models class for an object's apiVersion and kind, or a reason why there is none. */
export function modelFor(object) {
  const { apiVersion, kind } = object ?? {};
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return { error: 'a Kubernetes object needs string apiVersion and kind' };
  }

  // "v1" -> kubernetes-models/v1, "apps/v1" -> kubernetes-models/apps/v1. The pattern keeps the
  // apiVersion from naming anything but a group/version directory of the package.
  if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) {
    return { error: `apiVersion '${apiVersion}' is not a Kubernetes group/version` };
  }

  let module;
  try {
    module = require(`kubernetes-models/${apiVersion}`);
  } catch {
    return { error: `kubernetes-models has no API group/version '${apiVersion}'` };
  }

  const Model = module[kind];
  if (typeof Model !== 'function') {
    return { error: `kubernetes-models has no kind '${kind}' in '${apiVersion}'` };
  }

  return { Model };
}

export function describe(file, doc) {
  const name = doc.object?.metadata?.name ?? '?';
  const kind = doc.object?.kind ?? '?';
  return `${path.relative(repoRoot, file)} #${doc.index} ${kind}/${name}`;
}
