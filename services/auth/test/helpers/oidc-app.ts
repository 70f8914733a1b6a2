// A replica with the OpenID provider on a real port (openid-client talks HTTP), its issuer on it.
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { freePort } from '../../../../deploy/src/ports.ts';
import { addOidcClient, type OidcClientInput } from '../../src/admin/oidc-clients.ts';
import { buildApp } from '../../src/app.ts';
import type { AuthConfig } from '../../src/config.ts';
import { OidcClientsRepository } from '../../src/repositories/oidc-clients.ts';
import { testConfig } from './build-app.ts';
import { enrolledUser, PASSWORD } from './client.ts';

export const REDIRECT_URI = 'http://127.0.0.1:5999/callback';

export interface OidcTestApp {
  app: FastifyInstance;
  baseUrl: string;
  issuer: string;
  config: AuthConfig;
  addClient(
    name: string,
    input?: Partial<OidcClientInput>,
  ): Promise<{ clientId: string; clientSecret?: string }>;
  /** A registered user with a confirmed authenticator, as the OIDC flow signs in. */
  newAccount(): Promise<{ username: string; password: string; totpSecret: string }>;
}

export async function startOidcApp(
  t: { after: (fn: () => Promise<unknown>) => unknown },
  overrides: Partial<AuthConfig> = {},
  databaseUrl?: string,
): Promise<OidcTestApp> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const issuer = `${baseUrl}/oidc`;
  const config = await testConfig({ oidc: { issuer, keyPollSeconds: 1 }, ...overrides }, databaseUrl);
  const app = await buildApp(config);
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port });
  const clients = new OidcClientsRepository(app.db);
  return {
    app,
    baseUrl,
    issuer,
    config,
    async addClient(name, input = {}) {
      const { client, clientSecret } = await addOidcClient(clients, app.secretBox, name, {
        redirectUris: [REDIRECT_URI],
        postLogoutRedirectUris: ['http://127.0.0.1:5999/'],
        ...input,
      });
      return { clientId: client.clientId, ...(clientSecret ? { clientSecret } : {}) };
    },
    async newAccount() {
      const user = await enrolledUser(app);
      return { username: user.username, password: PASSWORD, totpSecret: user.secret };
    },
  };
}

/** For assert.rejects: an OAuth error with this code, in a body or a WWW-Authenticate challenge. */
export function oauthError(code: string) {
  return (error: unknown) => {
    const found = error as { error?: string; cause?: unknown };
    const text = `${found.error ?? ''} ${JSON.stringify(found.cause ?? '')}`;
    assert.ok(text.includes(code), `expected OAuth error ${code}, got ${text} (${String(error)})`);
    return true;
  };
}
