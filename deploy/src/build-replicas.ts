// The replicas run compiled JavaScript: each service's server is bundled once by esbuild (its own
// code inlined, node_modules left as imports) into services/<kind>/dist/server.js, so no TypeScript
// transpiler runs in a replica. That saves the replica tsx's module hooks, its first-start compile
// (over a minute on a loaded 2-core machine) and their memory.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './paths.ts';

/** Where the bundle of `source` (services/<kind>/src/server.ts) goes: services/<kind>/dist/server.js. */
export const builtEntryOf = (source: string): string =>
  path.join(path.dirname(path.dirname(source)), 'dist', `${path.basename(source, '.ts')}.js`);

/** The sources `twofold up` compiles: a stand-in entry (tests) runs as given, under tsx. */
export const isServiceSource = (entry: string): boolean =>
  /^services\/[a-z]+\/src\/server\.ts$/.test(path.relative(repoRoot, entry));

/**
 * Bundles `source` and returns the bundle's path. The files are written under a temporary name and
 * renamed into place, since clusters started side by side (the tests) build the same files at once
 * and a replica must never load a half-written bundle.
 */
export async function buildEntry(source: string): Promise<string> {
  const { build } = await import('esbuild');
  const target = builtEntryOf(source);
  const result = await build({
    entryPoints: [source],
    outfile: target,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // The sources read files next to them (migrations, pages) from their own directory: the bundle
    // sits at the same depth (src/ and dist/ are siblings) and each service finds its root alike.
    write: false,
    logLevel: 'silent',
  });
  // Root builds what the replicas' users run: a directory anyone could write to would let them swap it.
  await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  await chmod(path.dirname(target), 0o755);
  for (const file of result.outputFiles) {
    const temporary = `${file.path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, file.contents, { mode: 0o644 });
    await rename(temporary, file.path);
  }
  return target;
}

const building = new Map<string, Promise<string>>();

/**
 * The entry a replica runs: a service's source is bundled afresh at every start (so `twofold
 * restart` runs the code as it is now, as it did under tsx), once for replicas starting together;
 * a stand-in runs as given.
 */
export function runnableEntry(entry: string): Promise<string> {
  if (!isServiceSource(entry)) return Promise.resolve(entry);
  let build = building.get(entry);
  if (!build) {
    build = buildEntry(entry).finally(() => building.delete(entry));
    building.set(entry, build);
  }
  return build;
}

/** `npm run build`: what `twofold up` does before it starts the replicas, for images and by hand. */
export async function buildServices(): Promise<string[]> {
  const sources = [
    ...['auth', 'push'].map((kind) => path.join(repoRoot, 'services', kind, 'src', 'server.ts')),
    // The schema migration on its own, for images (a Kubernetes Job runs it before new replicas).
    path.join(repoRoot, 'services', 'auth', 'src', 'migrate-main.ts'),
  ];
  return Promise.all(sources.map(buildEntry));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const built of await buildServices()) console.log(`built ${path.relative(repoRoot, built)}`);
}
