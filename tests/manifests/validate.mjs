// `npm test`: offline validation of the deployment files, for CI machines that have neither a
// cluster nor a Docker engine.
//   - every document of every k8s/*.yaml parses (YAML 1.1, as kubectl reads it), is a kind that
//     kubernetes-models knows, passes that model's .validate() (the Kubernetes OpenAPI schema:
//     types, enums, required fields), and has no field the schema does not define;
//   - the Dockerfile passes dockerfile-lint.mjs.
// Prints one line per file checked and one per problem; exits 1 on any problem.
// The consistency between these files and the sidecar (ports, probe paths, option names, the
// policy file's validation) is checked in C#: tests/CacheSidecar.Tests/Deployment/ManifestTests.cs.
import path from 'node:path';
import { describe, dockerfilePath, manifestFiles, modelFor, readDocuments, repoRoot, require } from './lib.mjs';
import { lintDockerfile } from './dockerfile-lint.mjs';
import { selfTest, unknownFields } from './unknown-fields.mjs';

const problems = [];
const fail = (where, message) => problems.push(`${where}: ${message}`);

selfTest(require('kubernetes-models/apps/v1').Deployment);

const files = manifestFiles();
let documents = 0;
for (const file of files) {
  const docs = readDocuments(file);
  if (docs.length === 0) {
    fail(path.relative(repoRoot, file), 'no Kubernetes object in the file');
  }

  for (const doc of docs) {
    const where = describe(file, doc);
    documents += 1;
    if (doc.problems.length > 0) {
      doc.problems.forEach((p) => fail(where, `YAML: ${p}`));
      continue;
    }

    const { Model, error } = modelFor(doc.object);
    if (error) {
      fail(where, error);
      continue;
    }

    if (typeof doc.object.metadata?.name !== 'string' || doc.object.metadata.name === '') {
      fail(where, 'metadata.name is required (these files are applied, never generated)');
    }

    const model = new Model(doc.object);
    try {
      model.validate();
    } catch (e) {
      fail(where, `schema: ${e.message}`);
      continue; // unknown-field detection needs a document the validator walked completely
    }

    const unknown = unknownFields(model);
    unknown.forEach((field) =>
      fail(where, `unknown field '${field}' (not in the ${doc.object.kind} schema: a typo, or at the wrong level?)`));
    if (unknown.length === 0 && typeof doc.object.metadata?.name === 'string') {
      console.log(`ok   ${where}`);
    }
  }
}

if (files.length === 0) {
  fail(path.relative(repoRoot, path.dirname(dockerfilePath)), 'no k8s/*.yaml files found');
}

const findings = lintDockerfile(dockerfilePath);
findings.forEach((f) => fail(path.relative(repoRoot, dockerfilePath), f));
if (findings.length === 0) {
  console.log(`ok   ${path.relative(repoRoot, dockerfilePath)}`);
}

for (const problem of problems) {
  console.log(`FAIL ${problem}`);
}

console.log(`${documents} Kubernetes objects in ${files.length} files and the Dockerfile checked: ` +
  `${problems.length === 0 ? 'no problems' : `${problems.length} problems`}`);
process.exitCode = problems.length === 0 ? 0 : 1;
