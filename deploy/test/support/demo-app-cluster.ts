// The demo member (examples/whoami) in the supervisor's cluster test: app1./app2. of the cookie
// domain behind forward auth on both load balancers, and killed and restarted like any member.
// Registered inside that test's describe (a cluster is costly to start).
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import type { Cluster } from '../../src/cluster.ts';

/** A GET through a load balancer as a browser sends it to `host` (fetch would send its own Host). */
function viaHost(
  lbUrl: string,
  host: string,
  route: string,
  headers: Record<string, string | string[]> = {},
) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>(
    (resolve, reject) => {
      const request = http.request(
        new URL(route, lbUrl),
        { headers: { ...headers, host }, timeout: 5000 },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, text }),
          );
        },
      );
      request.once('timeout', () => request.destroy(new Error(`no answer from ${host}${route}`)));
      request.once('error', reject);
      request.end();
    },
  );
}

export function demoAppClusterTests(getCluster: () => Cluster): void {
  const byName = async (name: string) => (await getCluster().status()).find((member) => member.name === name);
  test('forward auth: app1./app2. of the cookie domain on both load balancers, Remote-* from the verdict only', async () => {
    const cluster = getCluster();
    for (const lbUrl of cluster.lbUrls) {
      const port = new URL(lbUrl).port;
      for (const app of ['app1', 'app2']) {
        const host = `${app}.${cluster.cookieDomain}:${port}`;
        const stranger = await viaHost(lbUrl, host, '/reports?year=2026');
        assert.equal(stranger.status, 302, `${host}: ${stranger.text}`);
        assert.equal(
          stranger.headers.location,
          `http://twofold.localhost:${port}/login?rd=${encodeURIComponent(`http://${host}/reports?year=2026`)}`,
        );
        const alice = await viaHost(lbUrl, host, '/page', {
          cookie: 'stub_user=alice',
          accept: 'application/json',
          'remote-user': 'admin',
          'Remote-Groups': 'admins',
        });
        assert.equal(alice.status, 200, alice.text);
        assert.deepEqual(JSON.parse(alice.text), {
          app: 'Twofold demo application (who am I)',
          host,
          path: '/page',
          user: 'alice',
          email: 'alice@example.com',
          name: 'Alice Stub',
          groups: ['staff', 'users'],
          logoutUrl: `//twofold.localhost:${port}/`,
        });
        const page = await viaHost(lbUrl, host, '/', {
          cookie: 'stub_user=alice',
          'remote-name': '<b>x</b>',
        });
        assert.match(page.text, /<h1>Twofold demo application/);
        assert.doesNotMatch(page.text, /&lt;b&gt;/, 'the forged header never reached the page');
        assert.equal((await viaHost(lbUrl, host, '/', { cookie: 'stub_user=mallory' })).status, 403);
      }
    }
  });

  test('the demo member is killed and restarted like any other', async () => {
    const cluster = getCluster();
    await cluster.kill('demo');
    const down = await byName('demo');
    assert.deepEqual([down?.pid, down?.healthy], [null, false]);
    const host = `app1.${cluster.cookieDomain}:${cluster.ports.lbA}`;
    assert.equal(
      (await viaHost(cluster.lbUrls[0] as string, host, '/', { cookie: 'stub_user=alice' })).status,
      502,
    );
    await cluster.restart('demo');
    assert.equal((await byName('demo'))?.healthy, true);
    assert.equal(
      (await viaHost(cluster.lbUrls[0] as string, host, '/', { cookie: 'stub_user=alice' })).status,
      200,
    );
  });
}
