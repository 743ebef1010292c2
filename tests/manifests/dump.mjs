// `node dump.mjs`: prints the deployment files as one JSON document on stdout, for
// tests/CacheSidecar.Tests/Deployment/ManifestTests.cs, so that the C# side checks exactly the
// objects validate.mjs validated without a YAML or Dockerfile parser of its own:
//   { "manifests":  [ { "file", "index", "object", "problems" } ],
//     "dockerfile": { "file", "stages": [ { "name", "image", "instructions": [
//                       { "keyword", "line", "arguments", "json", "flags", "properties" } ] } ] } }
// `json` holds the strings of an exec-form (JSON) instruction, `properties` the name/value pairs
// of ENV, ARG and LABEL, `flags` the --name=value flags of COPY, FROM, RUN…
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dockerfilePath, manifestFiles, readDocuments, require } from './lib.mjs';

const { DockerfileParser } = require('dockerfile-ast');

const manifests = manifestFiles().flatMap((file) =>
  readDocuments(file).map((doc) => ({ file: path.basename(file), index: doc.index, object: doc.object ?? null, problems: doc.problems })));

const parsed = DockerfileParser.parse(readFileSync(dockerfilePath, 'utf8'));
const froms = parsed.getFROMs();
const stages = froms.map((from) => ({ name: from.getBuildStage(), image: from.getImage(), instructions: [] }));
for (const instruction of parsed.getInstructions()) {
  const startLine = instruction.getRange().start.line;
  // The stage an instruction belongs to is the last FROM at or above it (none: a global ARG).
  const stage = froms.findLastIndex((from) => from.getRange().start.line <= startLine);
  if (stage < 0) {
    continue;
  }

  stages[stage].instructions.push({
    keyword: instruction.getKeyword(),
    line: startLine + 1,
    arguments: instruction.getArguments().map((a) => a.getValue()),
    json: typeof instruction.getJSONStrings === 'function' && instruction.getJSONStrings().length > 0
      ? instruction.getJSONStrings().map((s) => s.getJSONValue())
      : null,
    flags: typeof instruction.getFlags === 'function'
      ? Object.fromEntries(instruction.getFlags().map((f) => [f.getName(), f.getValue()]))
      : {},
    properties: typeof instruction.getProperties === 'function'
      ? instruction.getProperties().map((p) => ({ name: p.getName(), value: p.getUnescapedValue() ?? '' }))
      : [],
  });
}

process.stdout.write(JSON.stringify({ manifests, dockerfile: { file: path.basename(dockerfilePath), stages } }, null, 2));
process.stdout.write('\n');
