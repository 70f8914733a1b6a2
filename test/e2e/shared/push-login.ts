// The phone app end to end through the cluster: a CLI phone paired through nginx, push logins
// approved, denied, answered with the wrong number or replayed, a push replica killed under a
// login, and a phone that was offline when the prompt was sent.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { liftBans } from '../../../services/auth/src/admin/bans.ts';
import { createRedisClient } from '../../../services/common/src/redis-client.ts';
import { type LoginPrompt, Phone, PhoneRequestError } from '../../../services/phone/src/phone.ts';
import type { TestCluster } from '../../support/cluster.ts';
import { HttpClient, previousStepCode, totpCode } from '../../support/http-client.ts';
import { sharedTestCluster } from '../../support/shared-cluster.ts';
import { twofold } from '../../support/twofold-cli.ts';

const PASSWORD = 'correct horse battery staple';

describe('push login through the cluster with a CLI phone', () => {
  let cluster: TestCluster;
  let lbA: string;
  let lbB: string;
  let stateDir: string;
  const username = `phone${Date.now()}`;
  let secret: string;
  let statePath: string;
  let userId: string;
  let recoveryCodes: string[];

  before(async () => {
    cluster = await sharedTestCluster();
    [lbA, lbB] = cluster.lbUrls as [string, string];
    stateDir = await mkdtemp(path.join(tmpdir(), 'twofold-phone-'));
    statePath = path.join(stateDir, 'phone.json');
  });
  after(async () => {
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  /** A browser session at the second step, through lb-b. */
  async function passwordVerified(): Promise<HttpClient> {
    const browser = new HttpClient(lbB);
    const login = await browser.post('/api/v1/login', { username, password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.deepEqual(login.body.factors, ['totp', 'recovery', 'push', 'push_code']);
    return browser;
  }

  async function startPush(browser: HttpClient): Promise<{ challengeId: string; number: number }> {
    const sent = await browser.post('/api/v1/login/push', {});
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    return sent.body;
  }

  /** Every prompt a phone receives, kept from the moment it is opened: a prompt can arrive before the
   * browser's POST returns (the POST waits for a Redis replica), so listening afterwards could miss it. */
  const received = new WeakMap<Phone, LoginPrompt[]>();
  async function openPhone(): Promise<Phone> {
    const phone = await Phone.load(statePath);
    const prompts: LoginPrompt[] = [];
    received.set(phone, prompts);
    phone.on('prompt', (prompt) => prompts.push(prompt));
    return phone;
  }

  async function promptFor(phone: Phone, challengeId: string, timeoutMs = 15_000): Promise<LoginPrompt> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = received.get(phone)?.find((p) => p.challengeId === challengeId);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no prompt for ${challengeId} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** What `twofold bans lift <user id>` does, against this cluster's Redis through its sentinels. */
  async function liftLocks(): Promise<void> {
    const redis = createRedisClient({ target: cluster.operatorRedis, name: 'e2e-bans' });
    try {
      await redis.connect();
      assert.ok((await liftBans(redis, 'twofold:', userId)) > 0, 'a lock to lift');
    } finally {
      redis.disconnect();
    }
  }

  async function outcome(browser: HttpClient, challengeId: string) {
    for (;;) {
      const waited = await browser.post('/api/v1/login/push/wait', { challengeId });
      if (waited.status !== 200 || waited.body.state !== 'pending') return waited;
    }
  }

  it('pairs a CLI phone through the load balancer; it shows the authenticator codes', async () => {
    const client = new HttpClient(lbA);
    assert.equal((await client.post('/api/v1/register', { username, password: PASSWORD })).status, 201);
    await client.post('/api/v1/login', { username, password: PASSWORD });
    ({ secret } = (await client.post('/api/v1/totp/enroll')).body);
    const confirmed = await client.post('/api/v1/totp/confirm', {
      code: await previousStepCode(secret),
    });
    assert.equal(confirmed.status, 200);
    recoveryCodes = confirmed.body.recoveryCodes;
    userId = (await client.get('/api/v1/me')).body.user.id;
    const pairing = await client
      .via(lbB)
      .post('/api/v1/devices/pairing', { password: PASSWORD, code: await totpCode(secret) });
    assert.equal(pairing.status, 200, JSON.stringify(pairing.body));
    // Asked through lb-b, the link still points at the public URL the supervisor sets (lb-a), never at a Host header.
    assert.match(pairing.body.link, new RegExp(`^${lbA}phone/#pair=[A-Za-z0-9_-]{43}$`));

    const paired = await twofold([
      'phone',
      'pair',
      pairing.body.link,
      '--state',
      statePath,
      '--name',
      'CLI phone',
    ]).done;
    assert.equal(paired.code, 0, paired.stderr);
    const code = await twofold(['phone', 'code', '--state', statePath]).done;
    assert.equal(code.code, 0, code.stderr);
    // The phone's own secret (not the authenticator app's): its code signs in like one.
    const shown = /\b(\d{6})\b/.exec(code.stdout)?.[1];
    assert.ok(shown, code.stdout);
    const signIn = new HttpClient(lbA);
    await signIn.post('/api/v1/login', { username, password: PASSWORD });
    const byPhoneCode = await signIn.via(lbB).post('/api/v1/login/totp', { code: shown });
    assert.equal(byPhoneCode.status, 200, JSON.stringify(byPhoneCode.body));

    const reused = await twofold([
      'phone',
      'pair',
      pairing.body.link,
      '--state',
      path.join(stateDir, 'b.json'),
    ]).done;
    assert.equal(reused.code, 1, 'a pairing link works once');
    assert.match(reused.stderr, /expired or was already used/);
    const devices = await client.get('/api/v1/devices');
    assert.deepEqual(
      devices.body.devices.map((d: { name: string }) => d.name),
      ['CLI phone'],
    );
  });

  it("the push replicas' database role reads phones' public keys and nothing more", async () => {
    const db = new pg.Client({ connectionString: cluster.pushDatabaseUrl, connectionTimeoutMillis: 5_000 });
    await db.connect();
    try {
      const { deviceId } = await openPhone();
      const { rows } = await db.query('SELECT id, signing_key FROM devices WHERE id = $1', [deviceId]);
      assert.equal(rows.length, 1, 'the paired phone, as the gateway checks its proof');
      // A push replica taken over must not add its own phone to an account, nor read secrets.
      const forged = db.query(
        `INSERT INTO devices (id, user_id, name, signing_key, encryption_key)
         VALUES (gen_random_uuid(), $1, 'attacker', '\\x00', '\\x00')`,
        [userId],
      );
      await assert.rejects(forged, /permission denied/);
      await assert.rejects(db.query('SELECT password_hash FROM users'), /permission denied/);
      await assert.rejects(db.query('SELECT user_id FROM devices'), /permission denied/);
      await assert.rejects(db.query('SELECT * FROM totp_credentials'), /permission denied/);
    } finally {
      await db.end();
    }
  });

  it('approve with the right number signs in; a replayed answer is refused', async () => {
    const phone = await openPhone();
    try {
      await phone.connect();
      const browser = await passwordVerified();
      const sent = await startPush(browser);
      const prompt = await promptFor(phone, sent.challengeId);
      assert.equal(prompt.username, username);
      assert.ok(prompt.choices.includes(sent.number));
      const body = await phone.signedAnswer(sent.challengeId, 'approve', sent.number);
      const waiting = outcome(browser.via(lbA), sent.challengeId);
      assert.deepEqual(await phone.postAnswer(body), { outcome: 'approved' });
      const waited = await waiting;
      assert.deepEqual(waited.body, { state: 'authenticated' });
      assert.equal((await browser.get('/api/v1/me')).status, 200);

      const replay = await phone.postAnswer(body).catch((error) => error);
      assert.ok(replay instanceof PhoneRequestError);
      assert.equal(replay.status, 409);
      // The same signed answer pointed at a new prompt does not verify.
      const next = await startPush(await passwordVerified());
      await promptFor(phone, next.challengeId);
      const forged = await phone
        .postAnswer({ ...body, challengeId: next.challengeId })
        .catch((error) => error);
      assert.equal(forged.status, 401);
    } finally {
      await phone.close();
    }
  });

  it('deny and a wrong number refuse the login (CLI phone listening with --deny, then --ask)', async () => {
    const denying = twofold(['phone', 'listen', '--state', statePath, '--deny', '--once']);
    const browser = await passwordVerified();
    const sent = await startPush(browser);
    const refused = await outcome(browser, sent.challengeId);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'push_refused');
    assert.equal((await denying.done).code, 0);
    // A refusal pauses push prompts for the account; an operator can lift it like any lock.
    const paused = await (await passwordVerified()).post('/api/v1/login/push', {});
    assert.equal(paused.status, 429);
    assert.equal(paused.body.error.code, 'too_many_attempts');
    await liftLocks();

    const second = await passwordVerified();
    const next = await startPush(second);
    const asking = twofold(['phone', 'listen', '--state', statePath, '--ask', '--once'], (line, write) => {
      // The prompt line lists the three numbers; answer with one that is not the browser's.
      const numbers = [...line.matchAll(/\b(\d{2})\b/g)].map((m) => Number(m[1]));
      if (/\[\d{2}\]|choose|tap|numbers?/i.test(line) && numbers.length >= 3) {
        const wrong = numbers.find((n) => n !== next.number);
        write(`${wrong}\n`);
      }
    });
    const wrongNumber = await outcome(second, next.challengeId);
    assert.equal(wrongNumber.status, 401, JSON.stringify(wrongNumber.body));
    const result = await asking.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /wrong|refused|not the number/i);
    await liftLocks();
  });

  it('the push replica holding the phone is SIGKILLed, then a login is pushed: the prompt comes through the other replica', async () => {
    const phone = await openPhone();
    try {
      const holder = await phone.connect();
      assert.match(holder, /^push-[12]$/);
      const other = holder === 'push-1' ? 'push-2' : 'push-1';
      const browser = await passwordVerified();
      const dropped = phone.next('disconnected', 15_000);
      const back = phone.next('ready', 15_000).then((replica) => ({ replica, at: performance.now() }));
      const killedAt = performance.now();
      await cluster.kill(holder);
      // Only once the phone has seen its socket drop is the prompt sent: the dead replica cannot
      // have delivered it, so it must come from the device's stream through the other replica.
      const disconnect = await dropped;
      assert.notEqual(disconnect.reconnectInMs, undefined, 'the phone reconnects by itself');
      const pushAt = performance.now();
      const sent = await startPush(browser);
      const sentAt = performance.now();
      const prompt = await promptFor(phone, sent.challengeId);
      const promptAt = performance.now();
      assert.equal(phone.replica, other, 'the prompt came on the connection to the other replica');
      const waiting = outcome(browser, sent.challengeId);
      assert.deepEqual(await phone.answer(prompt, 'approve', sent.number), { outcome: 'approved' });
      const waited = await waiting;
      assert.equal(waited.status, 200);
      assert.deepEqual(waited.body, { state: 'authenticated' });
      assert.equal((await browser.get('/api/v1/me')).body.user.username, username);
      const reconnected = await back;
      assert.equal(reconnected.replica, other);
      const offline = sentAt < reconnected.at ? 'while the phone was offline' : 'after the phone was back';
      console.log(
        `FAILOVER push SIGKILL ${holder}: phone back on ${reconnected.replica} ${Math.round(reconnected.at - killedAt)} ms ` +
          `after the kill; the prompt, pushed ${Math.round(pushAt - killedAt)} ms after the kill once the phone saw the ` +
          `disconnect (${offline}), reached it ${Math.round(promptAt - pushAt)} ms after the POST; login approved`,
      );
      await cluster.restart(holder);
    } finally {
      await phone.close();
    }
  });

  it('a phone offline when the prompt is sent gets it when it connects, while it is valid', async () => {
    const browser = await passwordVerified();
    const sent = await startPush(browser);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const phone = await openPhone();
    try {
      await phone.connect();
      const prompt = await promptFor(phone, sent.challengeId);
      const waiting = outcome(browser, sent.challengeId);
      await phone.answer(prompt, 'approve', sent.number);
      assert.deepEqual((await waiting).body, { state: 'authenticated' });
    } finally {
      await phone.close();
    }
  });

  it('a code pushed to the phone signs in once', async () => {
    const phone = await openPhone();
    try {
      await phone.connect();
      const browser = await passwordVerified();
      const pushed = phone.next('code', 15_000); // it can arrive before the POST returns
      const sent = await browser.via(lbA).post('/api/v1/login/push-code/send', {});
      assert.deepEqual(sent.body, { sent: true, devices: 1 });
      const { code } = await pushed;
      const verified = await browser.via(lbB).post('/api/v1/login/push-code', { code });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      const thief = await passwordVerified();
      assert.equal((await thief.post('/api/v1/login/push-code', { code })).status, 401);
    } finally {
      await phone.close();
    }
  });

  it('the Redis master is killed: prompts reach the phone again once Sentinel has promoted the replica', async () => {
    const phone = await openPhone();
    try {
      await phone.connect();
      const browser = await passwordVerified();
      const killedAt = performance.now();
      await cluster.kill('redis-master');
      // Until the replica is promoted a push gets 503 (never lost silently): ask again, as the page does.
      let sent: { challengeId: string; number: number } | undefined;
      while (!sent && performance.now() - killedAt < 30_000) {
        const attempt = await browser.post('/api/v1/login/push', {});
        if (attempt.status === 200) sent = attempt.body;
        else {
          assert.equal(attempt.status, 503, JSON.stringify(attempt.body));
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      assert.ok(sent, 'push logins work again within 30 s of the Redis master kill');
      const prompt = await promptFor(phone, sent.challengeId);
      const promptMs = performance.now() - killedAt;
      const waiting = outcome(browser, sent.challengeId);
      assert.deepEqual(await phone.answer(prompt, 'approve', sent.number), { outcome: 'approved' });
      assert.deepEqual((await waiting).body, { state: 'authenticated' });
      console.log(
        `FAILOVER push SIGKILL redis-master: a prompt reached the phone ${Math.round(promptMs)} ms after the kill; login approved`,
      );
    } finally {
      await phone.close();
    }
  });

  it('removing the phone on the dashboard closes its connection and its codes stop showing and working', async () => {
    const phone = await openPhone();
    let shown: { code: string } | undefined;
    // A phone left connected would keep reconnecting, and the test process alive, after a failure.
    try {
      await phone.connect();
      // The next step's code: unused so far, and accepted (one step of skew) while the phone is paired,
      // as the first test's sign-in with the phone's code shows.
      [shown] = await phone.codes(Date.now() + 30_000);
      assert.ok(shown);
      const client = new HttpClient(lbA);
      await client.post('/api/v1/login', { username, password: PASSWORD });
      // A recovery code: the authenticator's code of this step may have been used by an earlier test.
      const signedIn = await client.post('/api/v1/login/recovery', { code: recoveryCodes.pop() });
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      const closed = phone.next('disconnected', 15_000);
      assert.equal((await client.request('DELETE', `/api/v1/devices/${phone.deviceId}`)).status, 204);
      assert.equal((await closed).code, 4403);
    } finally {
      await phone.close();
    }
    const code = await twofold(['phone', 'code', '--state', statePath]).done;
    assert.equal(code.code, 1, `no codes after removal: ${code.stdout}`);
    assert.equal(code.stdout, '');
    assert.match(code.stderr, /no account yet/);
    const later = new HttpClient(lbB);
    await later.post('/api/v1/login', { username, password: PASSWORD });
    const next = await later.post('/api/v1/login/totp', { code: shown?.code });
    assert.equal(next.status, 401, "the removed phone's code no longer signs in");
  });
});
