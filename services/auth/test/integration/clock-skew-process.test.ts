import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { startServer, validEnv, waitReady } from '../helpers/auth-process.ts';

/**
 * The replica measures skew against the database's `clock_timestamp()`. Nothing here can move this
 * machine's clock, so the database's clock is moved instead: in a schema searched before pg_catalog
 * (through the connection's search_path), clock_timestamp() answers the real time plus `offset`.
 */
async function databaseWithClockOff(databaseUrl: string, offset: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE SCHEMA skewed');
    await client.query(
      `CREATE FUNCTION skewed.clock_timestamp() RETURNS timestamptz LANGUAGE sql
       AS $$ SELECT pg_catalog.clock_timestamp() + interval '${offset}' $$`,
    );
    const url = new URL(databaseUrl);
    url.searchParams.set('options', '-c search_path=skewed,pg_catalog,public');
    const check = new pg.Client({ connectionString: url.toString() });
    await check.connect();
    const { rows } = await check.query<{ ahead: number }>(
      'SELECT extract(epoch FROM clock_timestamp() - pg_catalog.clock_timestamp()) AS ahead',
    );
    await check.end();
    assert.ok(Number(rows[0]?.ahead) > 1, 'the database clock as the replica reads it is off');
    return url.toString();
  } finally {
    await client.end();
  }
}

describe('a replica and a database whose clocks disagree', () => {
  it('refuses to start (exit 3) when the skew is over TWOFOLD_MAX_CLOCK_SKEW_MS', async (t: TestContext) => {
    const env = await validEnv();
    const databaseUrl = await databaseWithClockOff(env.TWOFOLD_DATABASE_URL as string, '2 minutes');
    const server = startServer({
      ...env,
      TWOFOLD_DATABASE_URL: databaseUrl,
      TWOFOLD_MAX_CLOCK_SKEW_MS: '60000',
    });
    t.after(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });
    // It must exit; a replica that comes up instead fails the test at once.
    const started = waitReady(env.TWOFOLD_PORT as string, server).then(
      () => 'ready' as const,
      () => 'not ready' as const,
    );
    const outcome = await Promise.race([once(server.child, 'exit').then(([code]) => code), started]);
    assert.equal(outcome, 3, server.output());
    assert.match(
      server.output(),
      /refusing to start: this machine's clock is 1\d{5} ms behind the database's \(at most 60000 ms allowed, TWOFOLD_MAX_CLOCK_SKEW_MS\)/,
    );
  });

  it('starts when the skew is within TWOFOLD_MAX_CLOCK_SKEW_MS', async (t: TestContext) => {
    const env = await validEnv();
    const databaseUrl = await databaseWithClockOff(env.TWOFOLD_DATABASE_URL as string, '2 seconds');
    const server = startServer({
      ...env,
      TWOFOLD_DATABASE_URL: databaseUrl,
      TWOFOLD_MAX_CLOCK_SKEW_MS: '5000',
    });
    t.after(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });
    await waitReady(env.TWOFOLD_PORT as string, server);
    server.child.kill('SIGTERM');
    const [code] = await once(server.child, 'exit');
    assert.equal(code, 0, server.output());
  });
});
