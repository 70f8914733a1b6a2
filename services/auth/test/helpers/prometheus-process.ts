// Debian's real Prometheus for the ops dashboard's tests: on a free loopback port, scraping itself
// every second (job `prometheus`, member `prometheus`), in a temporary data directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../../../deploy/src/ports.ts';

export const PROMETHEUS_BINARY = process.env.TWOFOLD_PROMETHEUS ?? '/usr/bin/prometheus';

export interface PrometheusProcess {
  url: string;
  port: number;
  /** SIGTERM to this process (by its pid), then SIGKILL if it lingers; removes its data. */
  stop(): Promise<void>;
}

function configFor(port: number): string {
  return `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:${port}"]
        labels:
          member: prometheus
`;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited(child);
  clearTimeout(timer);
}

/** Resolves once Prometheus has scraped itself at least once (its target is up). */
export async function startPrometheus(timeoutMs = 30_000): Promise<PrometheusProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'twofold-prometheus-'));
  const port = await freePort();
  await writeFile(path.join(dir, 'prometheus.yml'), configFor(port));
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4_000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}/api/v1/targets`, { signal: AbortSignal.timeout(1_000) });
      const body = (await response.json()) as { data?: { activeTargets?: Array<{ health: string }> } };
      if (body.data?.activeTargets?.some((target) => target.health === 'up')) return { url, port, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`Prometheus did not scrape itself within ${timeoutMs} ms:\n${log}`);
}
