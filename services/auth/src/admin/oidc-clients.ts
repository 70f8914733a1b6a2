// Operators' OpenID Connect clients (`twofold clients`): the checks on what they give, and add,
// rotate-secret, remove and list. The client secret is shown once and stored sealed, never in clear.
import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../../../common/src/secret-box.ts';
import { isPolicy, NAME, type Policy } from '../lib/application-access.ts';
import { sealClientSecret } from '../lib/oidc-client-secrets.ts';
import {
  CLIENT_ID,
  type IdTokenAlg,
  type OidcClientRow,
  type OidcClientsRepository,
} from '../repositories/oidc-clients.ts';
import { checkName, InvalidInputError } from './applications.ts';

export const SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
export const ID_TOKEN_ALGS: readonly IdTokenAlg[] = ['RS256', 'ES256'];
const MAX_URIS = 20;
const MAX_URI_LENGTH = 2000;

/** What `clients add` is given, as given. */
export interface OidcClientInput {
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** No secret; the client must use PKCE (a native app or a single-page application). */
  public?: boolean;
  scopes?: string[];
  policy?: string;
  idTokenAlg?: string;
}

export type CheckedOidcClient = Omit<OidcClientRow, 'clientId' | 'name' | 'secretEnvelope' | 'createdAt'> & {
  public: boolean;
};

/** A public client that is asked for a new secret: it has none. */
export class PublicClientError extends Error {
  override name = 'PublicClientError';
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;
// RFC 8252 section 7.1: a native app's own scheme is a reverse domain name (com.example.app).
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:/;
const USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?]*@/i;

/**
 * An absolute URL without fragment or userinfo: https, http on a loopback host, or (a public client
 * only) a private-use scheme. Kept as given: the provider compares redirect_uri exactly with it.
 */
export function checkRedirectUri(uri: string, isPublic: boolean, what = 'redirect URI'): string {
  const refuse = (rule: string): never => {
    throw new InvalidInputError(`${what} "${uri}": ${rule}`);
  };
  if (!/^[\x21-\x7e]+$/.test(uri) || uri.includes('\\'))
    refuse('printable ASCII without spaces or backslashes (percent-encode the rest)');
  if (uri.length > MAX_URI_LENGTH) refuse(`at most ${MAX_URI_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return refuse('not an absolute URL');
  }
  if (uri.includes('#')) refuse('no fragment (#) allowed');
  if (USERINFO.test(uri) || url.username !== '' || url.password !== '') refuse('no user:password@ allowed');
  const special = url.protocol === 'https:' || url.protocol === 'http:';
  // The URL parser forgives https:host/path and https:///host/path; the provider compares the string.
  if (special && !/^https?:\/\/[^/]/i.test(uri)) refuse(`${url.protocol}//host/path`);
  if (url.protocol === 'https:') return uri;
  if (url.protocol === 'http:') {
    if (LOOPBACK.test(url.hostname)) return uri;
    return refuse('http only on a loopback host (localhost, 127.0.0.1, [::1]); https otherwise');
  }
  if (!PRIVATE_USE_SCHEME.test(uri.toLowerCase()))
    return refuse('https, http on a loopback host, or for a public client a scheme like com.example.app:/');
  if (!isPublic) return refuse('a private-use scheme is for public clients (--public) only');
  return uri;
}

function checkUris(uris: string[], isPublic: boolean, what: string, min: number): string[] {
  const checked = [...new Set(uris.map((uri) => checkRedirectUri(uri, isPublic, what)))];
  if (checked.length < min || checked.length > MAX_URIS)
    throw new InvalidInputError(`${min} to ${MAX_URIS} ${what}s, got ${checked.length}`);
  return checked;
}

function checkScopes(scopes: string[] | undefined): string[] {
  if (scopes === undefined) return [...SCOPES];
  for (const scope of scopes) {
    if (!(SCOPES as readonly string[]).includes(scope))
      throw new InvalidInputError(`scope "${scope}": one of ${SCOPES.join(', ')}`);
  }
  if (!scopes.includes('openid')) throw new InvalidInputError('the scopes must include openid');
  return SCOPES.filter((scope) => scopes.includes(scope));
}

export function checkClientInput(input: OidcClientInput): CheckedOidcClient {
  const isPublic = input.public === true;
  if (input.policy !== undefined && !isPolicy(input.policy))
    throw new InvalidInputError(`policy "${input.policy}": one_factor or two_factor`);
  const alg = input.idTokenAlg;
  if (alg !== undefined && !(ID_TOKEN_ALGS as readonly string[]).includes(alg))
    throw new InvalidInputError(`id token alg "${alg}": ${ID_TOKEN_ALGS.join(' or ')}`);
  return {
    public: isPublic,
    redirectUris: checkUris(input.redirectUris, isPublic, 'redirect URI', 1),
    postLogoutRedirectUris: checkUris(
      input.postLogoutRedirectUris ?? [],
      isPublic,
      'post-logout redirect URI',
      0,
    ),
    scopes: checkScopes(input.scopes),
    policy: (input.policy as Policy | undefined) ?? 'two_factor',
    idTokenAlg: (alg as IdTokenAlg | undefined) ?? 'RS256',
  };
}

/** A client's name or its client_id, as `remove` and `rotate-secret` take it. */
export function checkClientRef(ref: string): string {
  if (!NAME.test(ref) && !CLIENT_ID.test(ref))
    throw new InvalidInputError(`client "${ref}": a client name or a client_id`);
  return ref;
}

const newSecret = () => randomBytes(32).toString('base64url');

/**
 * 128 random bits, base64url, never starting with '-': the CLI (`twofold clients remove <id>`)
 * would read such an id as an option. Drawn again rather than altered, so ids stay uniform.
 */
export function newClientId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Registers a client; its secret (a confidential client's) is in the answer and nowhere else in
 * clear. `box`: the cluster's key ring, needed for a confidential client only.
 */
export async function addOidcClient(
  repo: OidcClientsRepository,
  box: SecretBox | undefined,
  name: string,
  input: OidcClientInput,
): Promise<{ client: OidcClientRow; clientSecret: string | undefined }> {
  const { public: isPublic, ...checked } = checkClientInput(input);
  checkName(name, 'client name');
  const clientId = newClientId();
  const clientSecret = isPublic ? undefined : newSecret();
  if (clientSecret !== undefined && !box) throw new Error('a confidential client needs the key ring');
  const client = await repo.add({
    clientId,
    name,
    secretEnvelope:
      clientSecret === undefined ? null : sealClientSecret(box as SecretBox, clientId, clientSecret),
    ...checked,
  });
  return { client, clientSecret };
}

/** A new secret (shown once); the old one stops working at once. Undefined: no such client. */
export async function rotateOidcClientSecret(
  repo: OidcClientsRepository,
  box: SecretBox,
  ref: string,
): Promise<{ client: OidcClientRow; clientSecret: string } | undefined> {
  const client = await repo.find(checkClientRef(ref));
  if (!client) return undefined;
  if (client.secretEnvelope === null)
    throw new PublicClientError(`client ${client.name} is public: it has no secret (it uses PKCE)`);
  const clientSecret = newSecret();
  const replaced = await repo.replaceSecret(
    client.clientId,
    sealClientSecret(box, client.clientId, clientSecret),
  );
  return replaced ? { client, clientSecret } : undefined;
}

/** Its grants and refresh tokens go with it. False: no such client. */
export async function removeOidcClient(repo: OidcClientsRepository, ref: string): Promise<boolean> {
  return repo.remove(checkClientRef(ref));
}

/** What `clients list` shows of a client: everything but the secret. */
export function describeClient(client: OidcClientRow) {
  const { secretEnvelope, ...rest } = client;
  return { ...rest, type: secretEnvelope === null ? ('public' as const) : ('confidential' as const) };
}

export async function listOidcClients(repo: OidcClientsRepository) {
  return (await repo.list()).map(describeClient);
}
