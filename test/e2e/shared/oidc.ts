// OpenID Connect through the cluster: the example application (examples/oidc-app) signs a person in
// with Twofold in Chromium, refreshes and signs out; then flows driven over HTTP go on across the
// SIGKILL of the replica that stored their interaction, and across the SIGKILL of the Redis master.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { memberLogFile, secretsDir } from '../../../deploy/src/paths.ts';
import { freePort } from '../../../deploy/src/ports.ts';
import { buildOidcApp } from '../../../examples/oidc-app/app.ts';
import { launchChromium, phonePage } from '../../support/browser.ts';
import { type TestCluster, waitUntilHealthy } from '../../support/cluster.ts';
import { PASSWORD, report, uniqueName } from '../../support/failover-workers.ts';
import { enrolSteps } from '../../support/login-workers.ts';
import {
  type Account,
  authorizationRequest,
  checksOf,
  discover,
  driveLogin,
  FlowStopped,
  type Hop,
  OidcBrowser,
  type PendingLogin,
} from '../../support/oidc-flow.ts';
import { sharedTestCluster } from '../../support/shared-cluster.ts';
import { totpCode } from '../../support/totp-codes.ts';
import { sleep } from '../../support/traffic.ts';
import { twofold } from '../../support/twofold-cli.ts';

/** How long a step is asked again while it answers 502 or 503 (a dependency failing over). */
const RETRY_MS = 30_000;

interface User {
  id: string;
  account: Account;
}

/** The HTTP status behind an openid-client error: an OAuth error's, or the raw answer's (nginx's 502). */
function statusOf(error: unknown): number | undefined {
  const found = error as { status?: unknown; cause?: unknown };
  if (typeof found.status === 'number') return found.status;
  return found.cause instanceof Response ? found.cause.status : undefined;
}

/** What a person would see as a refusal they can act on (try again), or undefined for anything else. */
function clearError(error: unknown): string | undefined {
  if (error instanceof FlowStopped && error.hop.status >= 400 && error.hop.status < 500)
    return `HTTP ${error.hop.status} at ${new URL(error.hop.url).pathname}: ${error.hop.text.slice(0, 200)}`;
  if (error instanceof oidc.AuthorizationResponseError) return `error redirect to the app: ${error.error}`;
  const status = statusOf(error);
  if (error instanceof oidc.ResponseBodyError && status !== undefined && status < 500)
    return `token endpoint ${status}: ${error.error}`;
  return undefined;
}

describe('OpenID Connect through nginx: the example application, and flows across kills', () => {
  let cluster: TestCluster;
  let lbA: string;
  let lbB: string;
  let issuer: string;
  let clientId: string;
  let clientSecret: string;
  let appUrl: string;
  let redirectUri: string;
  let app: FastifyInstance | undefined;
  let browser: Browser | undefined;

  before(async () => {
    cluster = await sharedTestCluster();
    [lbA, lbB] = cluster.lbUrls as [string, string];
    issuer = new URL('oidc', lbA).href;
    // The client is registered before the application starts (it needs the client id): its port first.
    const port = await freePort();
    appUrl = `http://localhost:${port}/`;
    redirectUri = new URL('callback', appUrl).href;
    // As an operator would, on the test cluster's database and key ring (no `twofold up` supervisor here).
    const added = await twofold([
      'clients',
      'add',
      'oidc-app',
      '--redirect-uri',
      redirectUri,
      '--post-logout-redirect-uri',
      appUrl,
      '--database-url',
      cluster.databaseUrl,
      '--keys-file',
      path.join(secretsDir(cluster.dataDir), 'encryption-keys'),
    ]).done;
    assert.equal(added.code, 0, added.stderr);
    clientId = /^client_id: (\S+)$/m.exec(added.stdout)?.[1] as string;
    clientSecret = /^client_secret: (\S+)$/m.exec(added.stdout)?.[1] as string;
    assert.ok(clientId && clientSecret, added.stdout);
    app = await buildOidcApp({ issuer, clientId, clientSecret, redirectUri, postLogoutRedirectUri: appUrl });
    await app.listen({ host: '127.0.0.1', port });
    browser = await launchChromium();
  });
  after(async () => {
    await app?.close();
    await browser?.close();
  });

  /** Registered and enrolled (authenticator app) through the API, alternating load balancers. */
  async function newUser(prefix: string): Promise<User> {
    const enrolled = await enrolSteps([lbA, lbB], uniqueName(prefix));
    assert.ok(enrolled.ok && enrolled.user, enrolled.detail);
    const { username, secret, client } = enrolled.user;
    const me = await client.get('/api/v1/me');
    assert.equal(me.status, 200);
    return { id: me.body.user.id, account: { username, password: PASSWORD, totpSecret: secret } };
  }

  /** Each auth replica's log lines about the request nginx tagged with `requestId`. */
  async function loggedBy(requestId: string): Promise<Array<{ member: string; lines: string[] }>> {
    const members = cluster.ports.auth.map((_port, i) => `auth-${i + 1}`);
    return Promise.all(
      members.map(async (member) => {
        const log = await readFile(memberLogFile(cluster.dataDir, member), 'utf8').catch(() => '');
        return { member, lines: log.split('\n').filter((line) => line.includes(`"reqId":"${requestId}"`)) };
      }),
    );
  }

  /** The auth replica whose log has the request nginx tagged with `requestId`. */
  async function replicaThatAnswered(requestId: string | undefined): Promise<string> {
    assert.match(requestId ?? '', /^[0-9a-f]{32}$/);
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(100)) {
      const found = (await loggedBy(requestId as string)).find((logged) => logged.lines.length > 0);
      if (found) return found.member;
    }
    throw new Error(`no auth replica logged request ${requestId}`);
  }

  /** A replica's 5xx comes with what the replica logged about it (the cluster's logs go with it). */
  async function withReplicaLog(error: unknown): Promise<unknown> {
    if (!(error instanceof FlowStopped) || error.hop.status < 500 || !error.hop.requestId) return error;
    await sleep(500);
    for (const { member, lines } of await loggedBy(error.hop.requestId))
      for (const line of lines) error.message += `\n${member}: ${line.slice(0, 1_500)}`;
    return error;
  }

  /** Waits for the page to reach a URL; else fails saying where it stayed and what error it shows. */
  async function reach(page: Page, what: string, where: (url: URL) => boolean): Promise<void> {
    await page.waitForURL(where, { timeout: 30_000 }).catch(async (error: Error) => {
      const shown = await page.textContent('#error').catch(() => null);
      throw new Error(`${what}: still at ${page.url()}${shown ? `, showing "${shown}"` : ''}`, {
        cause: error,
      });
    });
  }

  /** The code exchange through lb-a (the issuer's), asked again on 502/503 for up to RETRY_MS. */
  async function exchange(
    config: oidc.Configuration,
    callback: URL,
    pending: PendingLogin,
    retried: string[],
  ) {
    const until = Date.now() + RETRY_MS;
    for (;;) {
      try {
        return await oidc.authorizationCodeGrant(config, callback, checksOf(pending));
      } catch (error) {
        const status = statusOf(error);
        if ((status !== 502 && status !== 503) || Date.now() >= until) throw error;
        retried.push(`${status} /oidc/token`);
        await sleep(250);
      }
    }
  }

  it('signs in at the example application in Chromium (password, TOTP, consent), refreshes, and signs out of both', async () => {
    const user = await newUser('oidcweb');
    const { username } = user.account;
    const { page, context, problems } = await phonePage(browser as Browser);
    const twofoldOrigin = new URL(lbA).origin;
    const atApp = (url: URL) => url.origin === new URL(appUrl).origin && url.pathname === '/';
    try {
      await page.goto(appUrl);
      await page.click('#sign-in');
      await reach(
        page,
        "Twofold's login page",
        (url) => url.origin === twofoldOrigin && url.pathname === '/login',
      );
      await page.fill('#username', username);
      await page.fill('#password', PASSWORD);
      await page.click('#login-submit');
      await reach(page, 'the second-factor page', (url) => url.pathname === '/verify-2fa');
      await page.fill('#code', await totpCode(user.account.totpSecret));
      await page.click('#verify-submit');
      await reach(page, 'the consent page', (url) => /^\/oidc\/interaction\/[^/]+$/.test(url.pathname));
      await page.locator('#consent-user', { hasText: username }).waitFor();
      assert.match((await page.textContent('#consent-client')) ?? '', /oidc-app/);
      await page.click('#consent-allow');
      await reach(page, 'back at the application', atApp);

      const claims = JSON.parse((await page.textContent('#id-token-claims')) ?? '{}');
      assert.equal(claims.sub, user.id, "the ID token's subject is the user's id");
      for (const method of ['pwd', 'otp', 'mfa'])
        assert.ok(claims.amr?.includes(method), `amr ${claims.amr}`);
      assert.equal(claims.iss, issuer);
      const userinfo = JSON.parse((await page.textContent('#userinfo')) ?? '{}');
      assert.equal(userinfo.sub, user.id);
      assert.equal(userinfo.preferred_username, username);
      assert.equal(await page.getAttribute('#refreshed', 'data-count'), '0');

      await page.click('#refresh');
      await page.locator('#refreshed[data-count="1"]').waitFor();
      assert.equal(JSON.parse((await page.textContent('#userinfo')) ?? '{}').preferred_username, username);
      const session = new URL('/api/v1/session', lbA).href;
      assert.equal((await context.request.get(session)).status(), 200, 'signed in to Twofold meanwhile');

      await page.click('#sign-out');
      await reach(page, "Twofold's logout confirmation", (url) => url.origin === twofoldOrigin);
      await page.click('#logout-confirm');
      await reach(page, 'back at the application, signed out', atApp);
      await page.locator('#sign-in').waitFor();
      assert.equal(await page.locator('#id-token-claims').count(), 0);
      assert.equal((await context.request.get(session)).status(), 401, "Twofold's session ended too");
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('the replica that answered the authorization request is SIGKILLed: the flow completes through the others', async (t) => {
    const user = await newUser('oidckill');
    const config = await discover(issuer, clientId, clientSecret);
    const pending = await authorizationRequest(config, redirectUri);
    const flow = new OidcBrowser(lbA);
    let victim: string | undefined;
    let killedAt = 0;
    const { callback, hops } = await driveLogin(
      flow,
      pending.url.href,
      redirectUri,
      user.account,
      async (hop) => {
        if (victim) return;
        // The interaction is stored (in Redis) once the provider has sent the browser to it.
        assert.equal(hop.status, 303, hop.text);
        assert.match(hop.location ?? '', /\/oidc\/interaction\/[^/]+$/);
        const answered = await replicaThatAnswered(hop.requestId);
        victim = answered;
        t.after(() => cluster.restart(answered));
        killedAt = performance.now();
        await cluster.kill(answered);
      },
    );
    const tokens = await oidc.authorizationCodeGrant(config, callback, checksOf(pending));
    const completedMs = performance.now() - killedAt;
    assert.equal(tokens.claims()?.sub, user.id);
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    assert.equal(userinfo.preferred_username, user.account.username);
    const later = hops.slice(1).filter((hop) => hop.requestId);
    const servedBy = await Promise.all(later.map((hop) => replicaThatAnswered(hop.requestId)));
    assert.ok(!servedBy.includes(victim as string), `after the kill: ${servedBy.join(', ')}`);
    report('oidc auth-replica', {
      killed: victim,
      afterTheKill: servedBy.join(' → '),
      tokensAfterMs: Math.round(completedMs),
    });
  });

  it('the Redis master is SIGKILLed mid-flow: tokens for this user, or a clear error and a fresh attempt gets them', {
    timeout: 300_000,
  }, async () => {
    const user = await newUser('oidcredis');
    const config = await discover(issuer, clientId, clientSecret);
    const master = await cluster.resolve('redis-master');
    let killedAt: number | undefined;
    const sinceKill = () => Math.round(performance.now() - (killedAt ?? performance.now()));

    /** One whole sign-in through lb-a; `between` runs once, after the authorization request's answer. */
    async function attempt(between?: (hop: Hop) => Promise<void>) {
      const flow = new OidcBrowser(lbA, { retryUnavailableMs: RETRY_MS });
      const retried: string[] = [];
      const pending = await authorizationRequest(config, redirectUri);
      try {
        const { callback } = await driveLogin(
          flow,
          pending.url.href,
          redirectUri,
          user.account,
          async (hop) => {
            const once = between;
            between = undefined;
            await once?.(hop);
          },
        );
        const tokens = await exchange(config, callback, pending, retried);
        return { tokens, retried: flow.retried.length + retried.length };
      } catch (error) {
        const refusal = clearError(error);
        if (!refusal) throw await withReplicaLog(error);
        return { refusal, retried: flow.retried.length + retried.length };
      }
    }

    try {
      const first = await attempt(async (hop) => {
        assert.match(hop.location ?? '', /\/oidc\/interaction\/[^/]+$/);
        killedAt = performance.now();
        await cluster.kill(master);
      });
      assert.ok(killedAt, 'the Redis master was killed during the flow');
      const firstMs = sinceKill();
      let tokens = first.tokens;
      let fresh: { ms: number; retried: number } | undefined;
      if (!tokens) {
        // The first attempt may have spent this step's code: the fresh one signs in with the next.
        await sleep(30_000 - (Date.now() % 30_000) + 200);
        const second = await attempt();
        assert.ok(second.tokens, `a fresh attempt after "${first.refusal}" failed too: ${second.refusal}`);
        tokens = second.tokens;
        fresh = { ms: sinceKill(), retried: second.retried };
      }
      assert.equal(tokens.claims()?.sub, user.id, "the tokens are this user's");
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
      assert.equal(userinfo.preferred_username, user.account.username);
      report('oidc redis-master', {
        killed: master,
        newMaster: await cluster.resolve('redis-master'),
        firstAttempt: first.tokens ? 'tokens' : first.refusal,
        firstAttemptEndedAfterMs: firstMs,
        answersAskedAgain: first.retried,
        ...(fresh ? { freshAttemptTokensAfterMs: fresh.ms, freshAttemptAskedAgain: fresh.retried } : {}),
      });
    } finally {
      if (killedAt) {
        await cluster.restart(master);
        const healthy = await waitUntilHealthy(cluster);
        assert.deepEqual(healthy.unhealthy, [], 'every member healthy once the old master is back');
      }
    }
  });
});
