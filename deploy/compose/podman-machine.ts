// The machine side of `npm run compose:test`: shell calls with deadlines, Podman set up as root
// on a machine without Docker Hub (base images made of Debian packages with mmdebstrap), and the
// images docker-compose.yml builds.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { repoRoot } from '../src/paths.ts';

const run = promisify(execFile);

// The images docker-compose.yml builds FROM (variable: image), made of Debian packages.
const bases = {
  TWOFOLD_BASE_IMAGE: {
    image: 'localhost/debian:bookworm-slim',
    suite: 'bookworm',
    include: 'ca-certificates',
  },
  TWOFOLD_NODE_IMAGE: {
    image: 'localhost/node:20-trixie-slim',
    suite: 'trixie',
    include: 'ca-certificates,nodejs,npm',
  },
} as const;

/** A command run with a deadline: its stdout, or an error that carries all it printed. */
async function sh(file: string, args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run(file, args, {
      cwd: repoRoot,
      env: process.env,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}
export const podman = (args: string[], timeoutMs?: number) => sh('podman', args, timeoutMs);
/** podman-compose for one project (its containers, network and volumes are named after it). */
export const composeOf = (project: string) => (args: string[], timeoutMs?: number) =>
  sh('podman-compose', ['-p', project, ...args], timeoutMs);

/**
 * Podman as scripts/bare-machine-test.sh runs it (root, runc, cgroupfs): installs what is missing,
 * writes a containers.conf under `work`, builds the base images from Debian packages, and makes the
 * project's network with its subnet.
 */
export async function prepareMachine(options: {
  work: string;
  network: string;
  subnet: string;
  log: (line: string) => void;
}): Promise<void> {
  const { work, network, subnet, log } = options;
  if (process.getuid?.() !== 0) throw new Error('the compose test runs Podman as root: run it as root');
  const missing: string[] = [];
  for (const [tool, pkg] of [
    ['podman', 'podman'],
    ['podman-compose', 'podman-compose'],
    ['mmdebstrap', 'mmdebstrap'],
    ['runc', 'runc'],
  ]) {
    await sh('sh', ['-c', `command -v ${tool}`]).catch(() => missing.push(pkg as string));
  }
  if (missing.length > 0) {
    log(`installing ${missing.join(' ')}`);
    await sh('apt-get', ['update', '-q'], 600_000);
    await sh('apt-get', ['install', '-y', '-q', ...missing], 600_000);
  }
  // As in scripts/bare-machine-test.sh: runc and cgroupfs, and limits no higher than this sandbox's.
  await mkdir(work, { recursive: true });
  const hard = async (flag: string, most: number) => {
    const value = (await sh('bash', ['-c', `ulimit -H${flag}`])).trim();
    return value === 'unlimited' ? most : Math.min(Number(value), most);
  };
  const files = await hard('n', 20_000);
  const processes = await hard('u', 4_096);
  const conf = `${work}/containers.conf`;
  await writeFile(
    conf,
    `[containers]\ndefault_ulimits = ["nofile=${files}:${files}", "nproc=${processes}:${processes}"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n`,
  );
  process.env.CONTAINERS_CONF = conf;
  for (const [variable, base] of Object.entries(bases)) {
    process.env[variable] = base.image;
    const exists = await podman(['image', 'exists', base.image]).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    log(`building ${base.image} from Debian ${base.suite} packages (mmdebstrap)`);
    const tar = `${work}/${base.suite}.tar`;
    await sh(
      'mmdebstrap',
      ['--quiet', '--variant=minbase', `--include=${base.include}`, base.suite, tar],
      900_000,
    );
    await podman(['import', '--quiet', tar, base.image], 300_000);
    await rm(tar, { force: true });
  }
  // The npm registry is reached through this machine's extra certificate authorities, if it has any.
  const extraCas = await sh('sh', ['-c', 'cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true']);
  if (extraCas.trim()) process.env.TWOFOLD_NPM_EXTRA_CA = extraCas.trim();
  // podman-compose creates the network without docker-compose.yml's subnet; made first, it is used as is.
  if (
    !(await podman(['network', 'exists', network]).then(
      () => true,
      () => false,
    ))
  ) {
    await podman(['network', 'create', '--subnet', subnet, network]);
  }
}

interface ComposeService {
  image: string;
  profiles?: string[];
  build?: { dockerfile: string; target?: string; args?: Record<string, string> };
}

export const composeServices = async () =>
  (
    parse(await readFile(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, ComposeService>;
    }
  ).services;

/**
 * Builds every image docker-compose.yml builds, as it says (file, target, arguments), with `podman
 * build`: podman-compose 1.0 leaves empty defaults unexpanded in build arguments and goes on past a
 * failed build. In Docker's format, since the OCI format has no HEALTHCHECK.
 */
export async function buildImages(log: (line: string) => void): Promise<void> {
  const file = { services: await composeServices() };
  const expand = (text: string) =>
    text.replace(
      /\$\{([A-Z0-9_]+):-([^}]*)\}/g,
      (_, name: string, fallback: string) => process.env[name] || fallback,
    );
  for (const [name, service] of Object.entries(file.services)) {
    if (!service.build) continue;
    const image = expand(service.image);
    const args = Object.entries(service.build.args ?? {}).flatMap(([key, value]) => [
      '--build-arg',
      `${key}=${expand(value)}`,
    ]);
    const from = Date.now();
    await podman(
      [
        'build',
        '--quiet',
        '-t',
        image,
        '-f',
        service.build.dockerfile,
        ...(service.build.target ? ['--target', service.build.target] : []),
        ...args,
        '.',
      ],
      1_800_000,
    );
    log(`built ${image} (for ${name}) in ${((Date.now() - from) / 1000).toFixed(0)} s`);
  }
}
