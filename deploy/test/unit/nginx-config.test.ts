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

  test('accepts the config for load balancers a and b with their auth, push and demo upstreams', async () => {
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
        demo: { port: 28127, cookieDomain: 'twofold.localhost' },
      });
      await testNginxConfig(prefix, confFile);
      const config = await readFile(confFile, 'utf8');
      assert.match(config, new RegExp(`listen 127\\.0\\.0\\.1:${listenPort};`));
      assert.match(config, /server_name app1\.twofold\.localhost;/);
      assert.match(config, /server_name app2\.twofold\.localhost;/);
      // The edge writes the address it saw; what the client wrote is never passed on (issue 9 §2):
      // /push/, both auth_request targets, and each demo application's pages and verdicts.
      assert.equal(config.match(/proxy_set_header X-Forwarded-For \$remote_addr;/g)?.length, 3 + 2 * 2);
      // The demo applications get Remote-* from the verdict alone (issue 10).
      assert.equal(config.match(/^\s*proxy_set_header Remote-User \$twofold_user;$/gm)?.length, 2);
      for (const line of config.split('\n').filter((l) => /^\s*listen /.test(l)))
        assert.equal(line.trim(), `listen 127.0.0.1:${listenPort};`);
      assert.doesNotMatch(config, /proxy_add_x_forwarded_for|set_real_ip_from/);
    }
  });

  test('behind a trusted proxy, takes the client address from it (real_ip), and refuses a bad one', async () => {
    const prefix = path.join(dir, 'behind-cdn');
    const options = {
      name: 'a',
      prefix,
      listenPort: 28082,
      upstreamPorts: [28091],
      pushUpstreamPorts: [28115],
    };
    const confFile = await writeNginxConfig({
      ...options,
      trustedEdgeProxies: ['10.0.0.0/8', '2001:db8::1'],
    });
    await testNginxConfig(prefix, confFile);
    const config = await readFile(confFile, 'utf8');
    assert.match(
      config,
      /set_real_ip_from 10\.0\.0\.0\/8;\n\s+set_real_ip_from 2001:db8::1;\n\s+real_ip_header X-Forwarded-For;/,
    );
    await assert.rejects(
      writeNginxConfig({ ...options, trustedEdgeProxies: ['10.0.0.0/8; include /etc/passwd'] }),
      /TWOFOLD_EDGE_TRUSTED_PROXIES: "10\.0\.0\.0\/8; include \/etc\/passwd" is not an address or CIDR/,
    );
  });

  test('limits the API per address at 20 requests a second by default; 0 turns it off', async () => {
    const options = { name: 'a', listenPort: 28083, upstreamPorts: [28091], pushUpstreamPorts: [28115] };
    const limited = await writeNginxConfig({ ...options, prefix: path.join(dir, 'limited') });
    await testNginxConfig(path.join(dir, 'limited'), limited);
    const config = await readFile(limited, 'utf8');
    assert.match(config, /rate=20r\/s;/);
    assert.match(config, /limit_req zone=twofold_api_per_address burst=200 nodelay;/);
    const open = await writeNginxConfig({ ...options, prefix: path.join(dir, 'open'), apiRatePerSecond: 0 });
    assert.doesNotMatch(await readFile(open, 'utf8'), /^\s*limit_req zone/m);
    await assert.rejects(
      writeNginxConfig({ ...options, prefix: path.join(dir, 'bad'), apiRatePerSecond: -1 }),
      /invalid API rate/,
    );
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
