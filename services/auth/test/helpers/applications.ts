// Applications for the verification API's tests: registered as an operator does (`twofold apps
// add`), linked as users do (a link code from the application, entered on the account page), and
// called with their API key.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { addApplication } from '../../src/admin/applications.ts';
import { type EnrolledUser, expectStatus } from './client.ts';

export interface TestApplication {
  name: string;
  key: string;
}

export async function registerApplication(
  app: FastifyInstance,
  input: { allowUsers?: string[]; allowGroups?: string[] } = {},
): Promise<TestApplication> {
  const name = `app-${randomBytes(5).toString('hex')}`;
  const { apiKey } = await addApplication(app.applications, name, input);
  return { name, key: apiKey };
}

/** The application asks Twofold for a link code for its user `appUsername` (POST /api/v1/rp/link-codes). */
export async function createLinkCode(
  app: FastifyInstance,
  application: TestApplication,
  appUsername: string,
): Promise<{ code: string; expiresAt: string }> {
  const response = await rp(app, application.key, 'POST', '/api/v1/rp/link-codes', { username: appUsername });
  return expectStatus(response, 201).json();
}

/**
 * The user links the application under `appUsername`, as it happens for real: the application
 * (its API key) gets a link code for its user, and the user enters it on the account page.
 */
export async function link(user: EnrolledUser, application: TestApplication, appUsername: string) {
  const { code } = await createLinkCode(user.client.target, application, appUsername);
  return expectStatus(await user.client.post('/api/v1/account/applications', { code }), 201).json();
}

/** A call from the application's server: its API key, no cookie. */
export function rp(
  app: FastifyInstance,
  key: string,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

export interface Started {
  id: string;
  state: 'pending';
  number?: number;
  expiresAt: string;
}

export async function startVerification(
  app: FastifyInstance,
  application: TestApplication,
  username: string,
  method: 'push' | 'code',
): Promise<Started> {
  const response = await rp(app, application.key, 'POST', '/api/v1/rp/verifications', { username, method });
  return expectStatus(response, 201).json();
}

export async function verificationState(
  app: FastifyInstance,
  application: TestApplication,
  id: string,
  wait = 0,
): Promise<string> {
  const response = await rp(app, application.key, 'GET', `/api/v1/rp/verifications/${id}?wait=${wait}`);
  return expectStatus(response, 200).json().state;
}

export function sendCode(app: FastifyInstance, application: TestApplication, id: string, code: string) {
  return rp(app, application.key, 'POST', `/api/v1/rp/verifications/${id}/code`, { code });
}
