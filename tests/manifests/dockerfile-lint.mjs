// Lints the Dockerfile without a Docker engine (CI has none, so the image is never built there).
//
// 1. dockerfile-utils, the validator behind the VS Code Docker extension: what the Docker builder
//    would refuse (unknown instructions and flags, bad ports, bad EXPOSE/ENV/COPY syntax, invalid
//    image references, …). Its style rules default to warnings; we raise every one of them to an
//    error and disable none. Any finding fails.
// 2. A few image rules of our own, which no syntax checker knows: what a production image of this
//    project must be (see the comments at each rule).
import { readFileSync } from 'node:fs';
import { require } from './lib.mjs';

const { validate, ValidationSeverity } = require('dockerfile-utils');
const { DockerfileParser } = require('dockerfile-ast');

const everyRuleIsAnError = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

const line = (range) => (range ? range.start.line + 1 : '?');

/** Returns a list of "line N: message" findings; empty means the Dockerfile passes. */
export function lintDockerfile(file) {
  const content = readFileSync(file, 'utf8');
  const findings = validate(content, everyRuleIsAnError)
    .map((d) => `line ${line(d.range)}: ${d.message} (dockerfile-utils code ${d.code})`);

  const dockerfile = DockerfileParser.parse(content);
  const froms = dockerfile.getFROMs();
  if (froms.length === 0) {
    return [...findings, 'no FROM instruction'];
  }

  const stageNames = new Set(froms.map((from) => from.getBuildStage()).filter(Boolean));
  for (const from of froms) {
    const image = from.getImage();
    const name = from.getImageName();
    // A base image is pinned to a tag or a digest, and never to `latest`: builds must not change
    // under us when a base image moves to its next major version. (Stages built FROM an earlier
    // stage are exempt.)
    if (name && !stageNames.has(name) && !from.getImageTag() && !from.getImageDigest()) {
      findings.push(`line ${line(from.getRange())}: FROM ${image} has no tag or digest`);
    }

    if (from.getImageTag() === 'latest') {
      findings.push(`line ${line(from.getRange())}: FROM ${image} is not a pinned version`);
    }
  }

  const instructions = dockerfile.getInstructions();
  const finalStageStart = froms[froms.length - 1].getRange().start.line;
  const finalStage = instructions.filter((i) => i.getRange().start.line >= finalStageStart);

  for (const instruction of instructions) {
    // COPY says what it does; ADD also fetches URLs and unpacks archives implicitly.
    if (instruction.getKeyword() === 'ADD') {
      findings.push(`line ${line(instruction.getRange())}: use COPY instead of ADD`);
    }
  }

  // The image runs as an unprivileged user: the last USER of the final stage names one.
  const users = finalStage.filter((i) => i.getKeyword() === 'USER');
  const user = users.length > 0 ? users[users.length - 1].getArgumentsContent()?.trim() : undefined;
  if (!user) {
    findings.push('the final stage has no USER: the image would run as root');
  } else if (/^(root|0)(:.*)?$/.test(user)) {
    findings.push(`line ${line(users[users.length - 1].getRange())}: the final stage runs as ${user}`);
  }

  // ENTRYPOINT in exec (JSON) form: the process is PID 1 and receives SIGTERM itself, which is what
  // drains write-behind on shutdown. The shell form would put /bin/sh in between, and sh does not
  // forward the signal.
  const entrypoints = finalStage.filter((i) => i.getKeyword() === 'ENTRYPOINT');
  const entrypoint = entrypoints[entrypoints.length - 1];
  if (!entrypoint) {
    findings.push('the final stage has no ENTRYPOINT');
  } else if (!entrypoint.getArgumentsContent()?.trim().startsWith('[')) {
    findings.push(`line ${line(entrypoint.getRange())}: ENTRYPOINT must use the exec (JSON) form`);
  }

  return findings;
}
