import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildEntry, builtEntryOf, isServiceSource } from '../../src/build-replicas.ts';
import { repoRoot } from '../../src/paths.ts';

const source = (kind: string) => path.join(repoRoot, 'services', kind, 'src', 'server.ts');

describe('compiled replicas', () => {
  it('puts each bundle in dist/, a sibling of src/ (the service finds its files from either)', () => {
    assert.equal(builtEntryOf(source('auth')), path.join(repoRoot, 'services', 'auth', 'dist', 'server.js'));
  });

  it('compiles the services only: a stand-in entry runs as given', () => {
    assert.ok(isServiceSource(source('auth')));
    assert.ok(isServiceSource(source('push')));
    assert.ok(!isServiceSource(path.join(repoRoot, 'deploy', 'test', 'fixtures', 'stand-in.ts')));
    assert.ok(!isServiceSource(path.join(repoRoot, 'services', 'auth', 'src', 'app.ts')));
  });

  it('bundles the service code and leaves node_modules as imports', async () => {
    const built = await buildEntry(source('push'));
    const code = await readFile(built, 'utf8');
    assert.match(code, /from "fastify"/, 'fastify is imported, not inlined');
    assert.doesNotMatch(code, /from "\.{1,2}\/[^"]*\.ts"/, 'no TypeScript file is left to import');
    assert.match(code, /services\/common\/src\//, 'the shared code is inlined');
  });
});
