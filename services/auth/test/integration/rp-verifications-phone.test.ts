// The verification API end to end with the real CLI phone (services/phone), without a cluster: the
// phone pairs, connects to a push gateway through one origin as it would through nginx, sees
// "<application> asks you to confirm", and approves, denies or picks the wrong number.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { twofold } from '../../../../test/support/twofold-cli.ts';
import { type LoginPrompt, Phone } from '../../../phone/src/phone.ts';
import { startGateway } from '../../../push/test/helpers/gateway-client.ts';
import { liftBans } from '../../src/admin/bans.ts';
import {
  link,
  registerApplication,
  startVerification,
  type TestApplication,
  verificationState,
} from '../helpers/applications.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { type EnrolledUser, enrolledUser, expectStatus, PASSWORD, totpCode } from '../helpers/client.ts';
import { type PhoneEdge, startPhoneEdge } from '../helpers/phone-edge.ts';

const portOf = (server: { address(): unknown }) => {
  const address = server.address();
  return typeof address === 'object' && address ? (address as { port: number }).port : 0;
};

describe('verification API with the CLI phone', async () => {
  const app = await buildTestApp({ after });
  const gateway = await startGateway(app, 'push-a');
  after(() => gateway.close());
  let edge: PhoneEdge;
  let stateDir: string;
  let statePath: string;
  let user: EnrolledUser;
  let wiki: TestApplication;
  let phone: Phone;
  const prompts: LoginPrompt[] = [];

  before(async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    edge = await startPhoneEdge(portOf(app.server), portOf(gateway.app.server));
    stateDir = await mkdtemp(path.join(tmpdir(), 'twofold-rp-phone-'));
    statePath = path.join(stateDir, 'phone.json');
    user = await enrolledUser(app);
    wiki = await registerApplication(app);
    await link(user, wiki, 'cli-user');
    const pairing = expectStatus(
      await user.client.post('/api/v1/devices/pairing', {
        password: PASSWORD,
        code: await totpCode(user.secret),
      }),
      200,
    ).json();
    phone = await Phone.pair(pairing.link, { statePath, server: edge.origin, name: 'CLI phone' });
    phone.on('prompt', (prompt) => prompts.push(prompt));
    await phone.connect();
  });
  after(async () => {
    await phone?.close();
    await edge?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  async function promptFor(id: string): Promise<LoginPrompt> {
    for (let i = 0; i < 500; i += 1) {
      const found = prompts.find((p) => p.challengeId === id);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no prompt for ${id}`);
  }

  /** What `twofold bans lift` does: a refusal paused the account's prompts. */
  async function liftPause() {
    const { user: me } = expectStatus(await user.client.get('/api/v1/me'), 200).json();
    await liftBans(app.redis, app.config.redisKeyPrefix, me.id);
  }

  it('approve with the number the application shows', async () => {
    const started = await startVerification(app, wiki, 'cli-user', 'push');
    const prompt = await promptFor(started.id);
    assert.equal(prompt.application, wiki.name);
    assert.equal(prompt.username, user.username);
    const waiting = verificationState(app, wiki, started.id, 20);
    assert.deepEqual(await phone.answer(prompt, 'approve', started.number), { outcome: 'approved' });
    assert.equal(await waiting, 'approved');
  });

  it('deny', async () => {
    const started = await startVerification(app, wiki, 'cli-user', 'push');
    assert.deepEqual(await phone.answer(await promptFor(started.id), 'deny'), { outcome: 'denied' });
    assert.equal(await verificationState(app, wiki, started.id, 20), 'denied');
    await liftPause();
  });

  it('a wrong number is denied', async () => {
    const started = await startVerification(app, wiki, 'cli-user', 'push');
    const prompt = await promptFor(started.id);
    const wrong = prompt.choices.find((n) => n !== started.number) as number;
    assert.deepEqual(await phone.answer(prompt, 'approve', wrong), { outcome: 'wrong_number' });
    assert.equal(await verificationState(app, wiki, started.id, 20), 'denied');
    await liftPause();
  });

  it('`twofold phone listen` shows "<application> asks you to confirm" and approves', async () => {
    await phone.close(); // one phone at a time on the state file
    const started = await startVerification(app, wiki, 'cli-user', 'push');
    const listen = await twofold([
      'phone',
      'listen',
      '--state',
      statePath,
      '--approve',
      '--number',
      String(started.number),
      '--once',
    ]).done;
    assert.equal(listen.code, 0, listen.stderr);
    assert.match(listen.stdout, new RegExp(`${wiki.name} asks you to confirm \\(${user.username}\\)`));
    assert.match(listen.stdout, new RegExp(`approved the request of ${wiki.name} for ${user.username}`));
    assert.equal(await verificationState(app, wiki, started.id), 'approved');
  });
});
