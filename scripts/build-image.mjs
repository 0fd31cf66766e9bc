#!/usr/bin/env node
// Builds the container image with whichever engine runs here (Docker, then Podman), and pushes it on request.
//   npm run image                                    # scrape-auth-exporter:<package version>
//   npm run image -- --image registry.example.com/team/scrape-auth-exporter:0.1.0 --push
// Then point kustomize `images:` (or the Helm values' image) at that name: docs/kubernetes.md, "Image".
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const ENGINES = ['docker', 'podman'];
/** `docker info` against a daemon that does not answer must not hang the build (the environment may shorten it). */
const INFO_TIMEOUT_MS = Number(process.env.CONTAINER_ENGINE_INFO_TIMEOUT_MS) || 20_000;

function usage(code) {
  (code === 0 ? process.stdout : process.stderr).write(
    'usage: node scripts/build-image.mjs [--image NAME[:TAG]] [--push] [--engine docker|podman]\n' +
      `  --image   the image to build (default scrape-auth-exporter:${version})\n` +
      '  --push    push it after the build (log in to the registry first)\n' +
      '  --engine  use this engine instead of the first of docker, podman that answers\n',
  );
  process.exit(code);
}

function parseArgs(argv) {
  const options = { image: `scrape-auth-exporter:${version}`, push: false, engine: process.env.CONTAINER_ENGINE || undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? usage(2);
    if (flag === '--image') options.image = value();
    else if (flag === '--push') options.push = true;
    else if (flag === '--engine') options.engine = value();
    else if (flag === '--help' || flag === '-h') usage(0);
    else {
      process.stderr.write(`unknown argument ${argv[i]}\n`);
      usage(2);
    }
  }
  return options;
}

/** The engine to use and why the others were passed over. */
function findEngine(wanted) {
  const reasons = [];
  for (const engine of wanted ? [wanted] : ENGINES) {
    const info = spawnSync(engine, ['info'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: INFO_TIMEOUT_MS });
    if (info.error?.code === 'ENOENT') reasons.push(`${engine}: not installed`);
    else if (info.status === 0) return { engine, reasons };
    else if (info.error?.code === 'ETIMEDOUT') reasons.push(`${engine}: installed, but \`${engine} info\` did not answer within ${INFO_TIMEOUT_MS} ms`);
    else reasons.push(`${engine}: installed, but its engine does not answer (${(info.stderr || String(info.error?.message ?? '')).trim().split('\n').pop()})`);
  }
  return { engine: undefined, reasons };
}

function run(engine, args) {
  process.stdout.write(`+ ${engine} ${args.join(' ')}\n`);
  const result = spawnSync(engine, args, { stdio: 'inherit', cwd: root });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const options = parseArgs(process.argv.slice(2));
const { engine, reasons } = findEngine(options.engine);
if (!engine) {
  process.stderr.write(
    `No container engine to build ${options.image} with:\n${reasons.map((r) => `  - ${r}\n`).join('')}` +
      'Install Docker or Podman (or start its daemon), or build on a machine that has one:\n' +
      `  docker build --build-arg VERSION=${version} -t ${options.image} .\n`,
  );
  process.exit(1);
}
run(engine, ['build', '--build-arg', `VERSION=${version}`, '-t', options.image, '.']);
if (options.push) run(engine, ['push', options.image]);
const [name, tag = 'latest'] = options.image.split(/:(?=[^:/]+$)/);
process.stdout.write(
  `\nBuilt ${options.image}${options.push ? ' and pushed it' : ''}. Point the manifests at it:\n` +
    `  kustomize: images: [{ name: scrape-auth-exporter, newName: ${name}, newTag: "${tag}" }]\n` +
    `  Helm (deploy/kube-prometheus-stack/values.yaml): image: ${options.image}\n`,
);
