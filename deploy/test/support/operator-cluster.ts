// A cluster that `twofold up` runs as a child process on spare ports, and `bin/twofold.js` commands
// run against it as an operator runs them (deploy/test/operator-commands.cluster.test.ts), with
// the accounts and checks those tests need, through nginx and in PostgreSQL.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spareBase } from '../../../test/support/cluster.ts';
import { HttpClient, totpCode } from '../../../test/support/http-client.ts';
import { type CliResult, twofold } from '../../../test/support/twofold-cli.ts';
import { clusterConnections } from '../../src/cluster-connections.ts';
import { killLeftovers } from '../../src/leftovers.ts';
import { derivePorts, type PortMap } from '../../src/ports.ts';
import { isAlive } from '../../src/proc.ts';

export const PASSWORD = 'correct horse battery staple';

export class OperatorCluster {
  private constructor(
    readonly dataDir: string,
    readonly ports: PortMap,
    readonly databaseUrl: string,
    private readonly up: ReturnType<typeof twofold>,
  ) {}

  get lbA(): string {
    return `http://127.0.0.1:${this.ports.lbA}/`;
  }

  get lbB(): string {
    return `http://127.0.0.1:${this.ports.lbB}/`;
  }

  /** `twofold up` on spare ports in a data directory of its own; resolves once it says it is up. */
  static async start(): Promise<OperatorCluster> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-cli-cluster-'));
    await chmod(dataDir, 0o755); // PostgreSQL runs as `postgres`, who must be able to enter it
    const portBase = await spareBase();
    let output = '';
    const up = twofold(['up', '--data-dir', dataDir, '--port-base', String(portBase)], (line) => {
      output += `${line}\n`;
    });
    try {
      await new Promise<void>((resolve, reject) => {
        up.child.stdout?.on('data', () => {
          if (output.includes('Twofold is up')) resolve();
        });
        void up.done.then((result) =>
          reject(
            new Error(
              `twofold up exited (${result.code}) before the cluster was up:\n${output}${result.stderr}`,
            ),
          ),
        );
      });
      const ports = derivePorts(portBase);
      assert.ok(output.includes(`http://127.0.0.1:${ports.lbA}/`), `twofold up names lb-a:\n${output}`);
      const { databaseUrl } = await clusterConnections(dataDir);
      return new OperatorCluster(dataDir, ports, databaseUrl, up);
    } catch (error) {
      await OperatorCluster.cleanUp(dataDir, up);
      throw error;
    }
  }

  /** `twofold down`; what it did not stop (or a cluster that never came up) is ended and removed. */
  async stop(): Promise<void> {
    if (this.up.child.pid && isAlive(this.up.child.pid)) {
      const down = await this.run('down');
      if (down.code !== 0) console.error(`twofold down: ${down.stdout}${down.stderr}`);
    }
    await OperatorCluster.cleanUp(this.dataDir, this.up);
  }

  private static async cleanUp(dataDir: string, up: ReturnType<typeof twofold>): Promise<void> {
    // `down` waits for the up process to stop its members; should it not, end it (and what it left).
    if (up.child.pid && isAlive(up.child.pid)) up.child.kill('SIGTERM');
    await up.done;
    await killLeftovers(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  }

  /** A cluster command with this cluster's data directory. */
  run(...args: string[]): Promise<CliResult> {
    return twofold([...args, '--data-dir', this.dataDir]).done;
  }

  async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Registers through lb-a; the account has a password only (the login answers enrollment_required). */
  async register(username: string): Promise<void> {
    const registered = await new HttpClient(this.lbA).post('/api/v1/register', {
      username,
      password: PASSWORD,
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
  }

  /** Registers and enrols an authenticator through both load balancers; gives the TOTP secret. */
  async enrol(username: string): Promise<string> {
    await this.register(username);
    const client = new HttpClient(this.lbB);
    assert.equal(
      (await client.post('/api/v1/login', { username, password: PASSWORD })).body.state,
      'enrollment_required',
    );
    const enrolment = await client.via(this.lbA).post('/api/v1/totp/enroll');
    assert.equal(enrolment.status, 200, JSON.stringify(enrolment.body));
    // The previous step's code: the login that follows may use the current one (a code wins once).
    const confirm = await client
      .via(this.lbB)
      .post('/api/v1/totp/confirm', { code: await totpCode(enrolment.body.secret, Date.now() - 30_000) });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    return enrolment.body.secret;
  }

  /** Password then TOTP, a fresh browser through `lb`; `atMs` picks the code's time step. */
  async loginWithTotp(username: string, secret: string, lb: string, atMs = Date.now()): Promise<void> {
    const browser = new HttpClient(lb);
    const password = await browser.post('/api/v1/login', { username, password: PASSWORD });
    assert.equal(password.status, 200, `${username}: ${JSON.stringify(password.body)}`);
    assert.equal(password.body.state, 'mfa_required');
    const totp = await browser.post('/api/v1/login/totp', { code: await totpCode(secret, atMs) });
    assert.equal(totp.status, 200, `${username}: ${JSON.stringify(totp.body)}`);
    assert.equal(totp.body.state, 'authenticated');
    assert.equal(
      (await browser.via(lb === this.lbA ? this.lbB : this.lbA).get('/api/v1/session')).body.state,
      'authenticated',
    );
  }

  async passwordHashOf(username: string): Promise<string> {
    const [row] = await this.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE username_key = $1',
      [username.toLowerCase()],
    );
    assert.ok(row, `${username} exists`);
    return row.password_hash;
  }
}

export { type CliResult, twofold };
