// A real Twofold auth app (real PostgreSQL and Redis, as the auth service's integration tests use)
// listening on a loopback port, for the example clients' tests: an application registered as an
// operator does, users who enrolled TOTP, paired a phone and linked the application, as users do
// (with a link code the application asked for, entered on the account page).
import type { FastifyInstance } from 'fastify';
import {
  link,
  registerApplication,
  type TestApplication,
} from '../../../services/auth/test/helpers/applications.ts';
import { buildTestApp } from '../../../services/auth/test/helpers/build-app.ts';
import { type EnrolledUser, enrolledUser } from '../../../services/auth/test/helpers/client.ts';
import { type Prompt, TestPhone } from '../../../services/auth/test/helpers/test-phone.ts';

export { enrolledUser, totpCode } from '../../../services/auth/test/helpers/client.ts';
export type { EnrolledUser, TestApplication };

export interface Twofold {
  app: FastifyInstance;
  /** Where an application's server reaches it. */
  url: string;
}

/** Builds the auth app on its own database, listens on 127.0.0.1:<free port>, closes it after the tests. */
export async function startTwofold(t: { after: (fn: () => Promise<unknown>) => unknown }): Promise<Twofold> {
  const app = await buildTestApp(t);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

export { registerApplication };

/** A Twofold user with TOTP and a paired phone who linked the application under `appUsername`. */
export async function linkedUser(
  app: FastifyInstance,
  application: TestApplication,
  appUsername: string,
): Promise<{ user: EnrolledUser; phone: TestPhone }> {
  const user = await enrolledUser(app);
  const phone = await TestPhone.pair(app, user);
  await link(user, application, appUsername);
  return { user, phone };
}

/** The same without a phone: codes from the authenticator app only. */
export async function linkedUserWithoutPhone(
  app: FastifyInstance,
  application: TestApplication,
  appUsername: string,
): Promise<{ user: EnrolledUser }> {
  const user = await enrolledUser(app);
  await link(user, application, appUsername);
  return { user };
}

/** The user enters a link code on Twofold's account page: the linked application, or the refusal. */
export async function enterLinkCode(user: EnrolledUser, code: string) {
  const response = await user.client.post('/api/v1/account/applications', { code });
  return { status: response.statusCode, body: response.json() };
}

/** The application's prompt on the phone, as soon as it is there. */
export async function promptOf(phone: TestPhone, application: TestApplication): Promise<Prompt> {
  for (let i = 0; i < 100; i += 1) {
    const found = (await phone.inbox()).find((m) => m.type === 'login' && m.application === application.name);
    if (found) return found as unknown as Prompt;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no prompt from ${application.name} on the phone`);
}

/** A six-digit code that is none of the codes an authenticator shows around now. */
export async function wrongCode(secret: string, totp: (secret: string, atMs?: number) => Promise<string>) {
  const near = new Set(
    await Promise.all([-2, -1, 0, 1, 2].map((step) => totp(secret, Date.now() + step * 30_000))),
  );
  for (let n = 0; ; n += 1) {
    const candidate = String((123_456 + n * 7_919) % 1_000_000).padStart(6, '0');
    if (!near.has(candidate)) return candidate;
  }
}
