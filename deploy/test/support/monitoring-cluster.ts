// Monitoring in the cluster `twofold up` runs (registered inside operator-commands.cluster.test.ts,
// a cluster is costly to start): every scrape target up, a killed replica's alert firing in the
// real Prometheus and mailed by the real Alertmanager to the mail sink, every dashboard panel's
// query answering from the live Prometheus.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { panels } from '../../../monitoring/panels.ts';
import { operatorAuthorization } from '../../src/monitoring.ts';
import { secretsDir } from '../../src/paths.ts';
import { freePort } from '../../src/ports.ts';
import { redisCommand } from '../../src/redis-protocol.ts';
import { waitFor } from '../../src/wait.ts';
import type { OperatorCluster } from './operator-cluster.ts';

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

interface Mail {
  subject: string;
  text: string;
}

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
  assert.equal(response.status, 200, `GET ${url}: ${response.status}`);
  return (await response.json()) as T;
}

/** A generated secret of the cluster (root reads them all). */
const secretOf = (cluster: OperatorCluster, name: string) =>
  readFileSync(path.join(secretsDir(cluster.dataDir), name), 'utf8').trim();

/**
 * Three groups, registered apart in operator-commands.cluster.test.ts so the waits overlap other
 * tests: `first` (targets, attacks, and the kill of auth-2), `alertArrived` (its alert and mail,
 * then the restart), `panels` (last, when the other tests have made the traffic the panels show).
 */
export function monitoringClusterTests(getCluster: () => OperatorCluster) {
  const prometheusUrl = () => `http://127.0.0.1:${getCluster().ports.monitoring.prometheus}/`;
  const alertmanagerUrl = () => `http://127.0.0.1:${getCluster().ports.monitoring.alertmanager}/`;
  const prometheus = (route: string) =>
    getJson<{ data: unknown }>(`${prometheusUrl()}api/v1/${route}`, {
      authorization: operatorAuthorization(secretOf(getCluster(), 'prometheus-operator.password')),
    });
  const targets = async () =>
    ((await prometheus('targets?state=active')).data as { activeTargets: Target[] }).activeTargets;
  const firing = async () =>
    ((await prometheus('alerts')).data as { alerts: Alert[] }).alerts.filter(
      (alert) => alert.state === 'firing',
    );
  const mails = () =>
    getJson<Mail[]>(
      `http://127.0.0.1:${getCluster().ports.mail.http}/api/messages?to=operators@twofold.localhost`,
    );

  let killedAt: number | undefined;

  const first = () => {
    test('every scrape target is up after `twofold up`: each member, itself or through its exporter', async () => {
      let last: Target[] = [];
      await waitFor(
        async () => {
          last = await targets();
          return last.length > 0 && last.every((target) => target.health === 'up');
        },
        { description: 'every scrape target to be up', timeoutMs: 30_000, intervalMs: 1_000 },
      ).catch((error) => {
        const down = last.filter((target) => target.health !== 'up');
        throw new Error(
          `${error.message}: ${JSON.stringify(down.map((t) => [t.labels.member, t.lastError]))}`,
        );
      });
      const members = new Set(last.map((target) => target.labels.member));
      for (const member of [
        'etcd',
        'pg-1',
        'pg-2',
        'haproxy',
        'redis-1',
        'redis-2',
        'sentinel-1',
        'sentinel-3',
      ]) {
        assert.ok(members.has(member), `${member} is scraped`);
      }
      for (const member of ['auth-1', 'auth-2', 'auth-3', 'push-1', 'push-2', 'lb-a', 'lb-b', 'prometheus']) {
        assert.ok(members.has(member), `${member} is scraped`);
      }
      for (const member of ['alertmanager', 'node-exporter', 'postgres-exporter', 'redis-exporter']) {
        assert.ok(members.has(member), `${member} is scraped`);
      }
      // What the exporters read is up too, not only the exporters.
      const query = async (expr: string) =>
        (
          (await prometheus(`query?query=${encodeURIComponent(expr)}`)).data as {
            result: Array<{ metric: Record<string, string>; value: [number, string] }>;
          }
        ).result;
      assert.deepEqual((await query('nginx_up == 1')).map((r) => r.metric.member).sort(), ['lb-a', 'lb-b']);
      assert.equal((await query('redis_up == 1')).length, 5);
      assert.deepEqual((await query('patroni_master == 1')).length, 1);
      assert.deepEqual(await firing(), [], 'no alert fires on a healthy cluster');
    });

    test('attacks by another local user: no anonymous read of Prometheus, no silence or fake alert in Alertmanager', async () => {
      const anonymous = (url: string, init: RequestInit = {}) =>
        fetch(url, { ...init, signal: AbortSignal.timeout(5_000) }).then((response) => response.status);
      assert.equal(await anonymous(`${prometheusUrl()}api/v1/query?query=up`), 401);
      assert.equal(await anonymous(`${prometheusUrl()}api/v1/targets`), 401);
      const json = { method: 'POST', headers: { 'content-type': 'application/json' } };
      const silence = {
        matchers: [{ name: 'cluster', value: 'twofold', isRegex: false }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 86_400_000).toISOString(),
        createdBy: 'mallory',
        comment: 'quiet',
      };
      assert.equal(
        await anonymous(`${alertmanagerUrl()}api/v2/silences`, { ...json, body: JSON.stringify(silence) }),
        401,
      );
      const fake = [
        { labels: { alertname: 'ResetYourPassword' }, annotations: { runbook: 'https://evil.example' } },
      ];
      assert.equal(
        await anonymous(`${alertmanagerUrl()}api/v2/alerts`, { ...json, body: JSON.stringify(fake) }),
        401,
      );
      const wrong = { authorization: operatorAuthorization('guess') };
      assert.equal(await anonymous(`${prometheusUrl()}api/v1/query?query=up`, { headers: wrong }), 401);
    });

    test('attacks on the Redis exporter: its password goes to no one else, and opens no CONFIG or SLOWLOG', async () => {
      const cluster = getCluster();
      const password = secretOf(cluster, 'redis-monitor.password');
      // Mallory asks the exporter to scrape her own server, to catch the AUTH it sends.
      const caught: Buffer[] = [];
      const trap = net.createServer((socket) => {
        socket.on('data', (chunk) => {
          caught.push(chunk);
          socket.write('-ERR no\r\n');
        });
        socket.on('error', () => {});
      });
      const port = await freePort();
      await new Promise<void>((resolve) => trap.listen(port, '127.0.0.1', resolve));
      try {
        const exporter = `http://127.0.0.1:${cluster.ports.monitoring.redisExporter}/`;
        await fetch(`${exporter}scrape?target=redis://127.0.0.1:${port}`, {
          signal: AbortSignal.timeout(10_000),
        });
        assert.ok(caught.length > 0, 'the exporter did connect to the trap');
        assert.ok(
          !Buffer.concat(caught).toString('latin1').includes(password),
          'the monitor password was sent',
        );
      } finally {
        trap.close();
      }
      // With the password, `monitor` reads statistics, not the replication password nor commands' arguments.
      const auth = { username: 'monitor', password };
      const redisPort = cluster.ports.redis[0] as number;
      assert.match(String(await redisCommand(redisPort, ['INFO', 'replication'], { auth })), /role:/);
      for (const command of [
        ['CONFIG', 'GET', 'masterauth'],
        ['SLOWLOG', 'GET'],
        ['GET', 'twofold:x'],
        ['KEYS', '*'],
      ]) {
        await assert.rejects(redisCommand(redisPort, command, { auth }), /NOPERM/, command.join(' '));
      }
    });
    test('kill auth-2 (its alert is awaited after the import tests)', async () => {
      killedAt = Date.now();
      assert.equal((await getCluster().run('kill', 'auth-2')).code, 0);
    });
  };

  const alertArrived = () =>
    test('the killed auth-2: TwofoldReplicaDown fires in Prometheus and its mail reaches the sink', async () => {
      const cluster = getCluster();
      assert.ok(killedAt, 'auth-2 was killed by an earlier test');
      try {
        let alert: Alert | undefined;
        await waitFor(
          async () => {
            alert = (await firing()).find(
              (candidate) =>
                candidate.labels.alertname === 'TwofoldReplicaDown' && candidate.labels.member === 'auth-2',
            );
            return alert !== undefined;
          },
          { description: 'TwofoldReplicaDown for auth-2 to fire', timeoutMs: 60_000, intervalMs: 1_000 },
        );
        const firedAfter = Date.now() - killedAt;
        let mail: Mail | undefined;
        await waitFor(
          async () => {
            mail = (await mails()).find((candidate) =>
              /FIRING.*TwofoldReplicaDown.*auth-2/.test(candidate.subject),
            );
            return mail !== undefined;
          },
          { description: 'the alert mail for auth-2', timeoutMs: 30_000, intervalMs: 1_000 },
        );
        console.log(
          `auth-2 killed: alert firing after ${firedAfter} ms, mail after ${Date.now() - killedAt} ms`,
        );
        assert.match(String(mail?.text), /FIRING TwofoldReplicaDown \(warning\) on auth-2/);
        assert.match(String(mail?.text), /Runbook: .*docs\/alerts\.md#twofoldreplicadown/);
      } finally {
        assert.equal((await cluster.run('restart', 'auth-2')).code, 0);
      }
    });

  const panelsTest = () =>
    test('every dashboard panel (the /ops page and the Grafana JSON) answers from the live Prometheus', async () => {
      // After the file's other tests: imports, logins with both factors, locks, a key rotation.
      const end = Date.now() / 1000;
      const empty: string[] = [];
      for (const panel of panels) {
        for (const { expr } of panel.queries) {
          const range = `query_range?query=${encodeURIComponent(expr)}&start=${end - 600}&end=${end}&step=5`;
          const result = ((await prometheus(range)).data as { result: unknown[] }).result;
          if (result.length === 0) empty.push(`${panel.id}: ${expr}`);
        }
      }
      assert.deepEqual(empty, [], 'queries that returned no series');
      // `or vector(0)` must not hide a misspelt name: every Twofold metric a panel reads exists,
      // but the retries, which appear at their first one (a PostgreSQL failover).
      const names = new Set((await prometheus('label/__name__/values')).data as string[]);
      const atFirstEvent = ['twofold_pg_retries_total'];
      const read = panels.flatMap((panel) =>
        panel.queries.flatMap(({ expr }) => expr.match(/twofold_\w+/g) ?? []),
      );
      const missing = [...new Set(read)].filter((name) => !names.has(name) && !atFirstEvent.includes(name));
      assert.deepEqual(missing, [], 'metrics the panels read that Prometheus does not have');
    });

  return { first, alertArrived, panels: panelsTest };
}
