// Runs the real `nginx -t` on rendered configs (needs Debian's nginx-light, like the cluster).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testNginxConfig, writeNginxConfig } from '../../src/nginx.ts';

describe('nginx -t on the rendered template', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twofold-nginx-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('accepts the config for load balancers a and b with their auth and push upstreams', async () => {
    for (const [name, listenPort] of [
      ['a', 28080],
      ['b', 28081],
    ] as const) {
      const prefix = path.join(dir, `lb-${name}`);
      const confFile = await writeNginxConfig({
        name,
        prefix,
        listenPort,
        upstreamPorts: [28091, 28092],
        pushUpstreamPorts: [28115, 28116],
      });
      await testNginxConfig(prefix, confFile);
      assert.match(await readFile(confFile, 'utf8'), new RegExp(`listen 127\\.0\\.0\\.1:${listenPort};`));
    }
  });

  test('a broken config fails with nginx explaining why', async () => {
    const prefix = path.join(dir, 'broken');
    const confFile = await writeNginxConfig({
      name: 'a',
      prefix,
      listenPort: 28082,
      upstreamPorts: [28091],
      pushUpstreamPorts: [28115],
    });
    await writeFile(confFile, `${await readFile(confFile, 'utf8')}\nthis_is_not_a_directive on;\n`);
    await assert.rejects(testNginxConfig(prefix, confFile), /unknown directive "this_is_not_a_directive"/);
  });
});
