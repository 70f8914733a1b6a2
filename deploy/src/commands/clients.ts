// `twofold clients add|list|remove|rotate-secret`: the relying parties of Twofold's OpenID Connect
// provider. A confidential client's secret is sealed with the cluster's key ring and shown once.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkName, InvalidInputError } from '../../../services/auth/src/admin/applications.ts';
import {
  addOidcClient,
  checkClientInput,
  checkClientRef,
  describeClient,
  listOidcClients,
  type OidcClientInput,
  PublicClientError,
  removeOidcClient,
  rotateOidcClientSecret,
} from '../../../services/auth/src/admin/oidc-clients.ts';
import {
  OidcClientExistsError,
  OidcClientsRepository,
} from '../../../services/auth/src/repositories/oidc-clients.ts';
import { parseKeyRing, SecretBox } from '../../../services/common/src/secret-box.ts';
import { secretsDir } from '../paths.ts';
import {
  type Command,
  clusterOptions,
  type OptionValues,
  targetDataDir,
  targetOptionsHelp,
  UsageError,
} from './command.ts';
import { listOption, withDatabase } from './users.ts';

const USAGE = `usage: twofold clients add <name> --redirect-uri U [--redirect-uri U]... [--post-logout-redirect-uri U]...
         [--public] [--scope S]... [--policy one_factor|two_factor] [--id-token-alg RS256|ES256]
       twofold clients list [--json]
       twofold clients remove <name|client_id>
       twofold clients rotate-secret <name|client_id>`;

const SECRET_NOTICE = 'This secret is not shown again: store it now (rotate-secret makes a new one).';
const ADD_OPTIONS = ['redirect-uri', 'post-logout-redirect-uri', 'public', 'scope', 'policy', 'id-token-alg'];

/**
 * The key ring the replicas seal with: --keys-file, else the data directory's. With --database-url
 * the ring must be named too: the default one may be another cluster's, whose key would seal a
 * secret the provider cannot open.
 */
export async function keyRingFile(values: OptionValues): Promise<string> {
  if (typeof values['keys-file'] === 'string') return path.resolve(values['keys-file']);
  if (typeof values['database-url'] === 'string')
    throw new UsageError('with --database-url, name the key ring of that cluster with --keys-file');
  return path.join(secretsDir(await targetDataDir(values)), 'encryption-keys');
}

async function loadKeyRing(file: string): Promise<SecretBox> {
  let spec: string;
  try {
    spec = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the key ring ${file}: ${(error as Error).message}`);
  }
  return new SecretBox(parseKeyRing(spec.trim()));
}

function inputOf(values: OptionValues): OidcClientInput {
  const input: OidcClientInput = { redirectUris: listOption(values, 'redirect-uri') ?? [] };
  const postLogout = listOption(values, 'post-logout-redirect-uri');
  const scopes = listOption(values, 'scope');
  if (postLogout) input.postLogoutRedirectUris = postLogout;
  if (scopes) input.scopes = scopes;
  if (values.public === true) input.public = true;
  if (typeof values.policy === 'string') input.policy = values.policy;
  if (typeof values['id-token-alg'] === 'string') input.idTokenAlg = values['id-token-alg'];
  return input;
}

const WIDTHS = [20, 24, 13, 11, 6, 36, 40];
const HEADER = ['NAME', 'CLIENT_ID', 'TYPE', 'POLICY', 'ALG', 'SCOPES', 'REDIRECT URIS', 'CREATED'];

/** One line of `list` and `add`; never the secret. */
function summary(client: ReturnType<typeof describeClient>): string {
  const cells = [
    client.name,
    client.clientId,
    client.type,
    client.policy,
    client.idTokenAlg,
    client.scopes.join(','),
    client.redirectUris.join(','),
    client.createdAt.toISOString(),
  ];
  return cells.map((cell, i) => cell.padEnd(WIDTHS[i] ?? 0)).join(' ');
}

async function run(values: OptionValues, action: string, ref: string | undefined): Promise<number> {
  // Everything the operator typed is checked before the cluster is looked for.
  if (action === 'add') {
    checkName(ref as string, 'client name');
    checkClientInput(inputOf(values));
  } else if (ref !== undefined) checkClientRef(ref);
  const needsRing = action === 'rotate-secret' || (action === 'add' && values.public !== true);
  const ringFile = needsRing ? await keyRingFile(values) : undefined;
  return withDatabase(values, 'twofold-clients', async (db) => {
    const repo = new OidcClientsRepository(db);
    // Read once the cluster is found: with none running, that is what the operator hears.
    const box = ringFile === undefined ? undefined : await loadKeyRing(ringFile);
    switch (action) {
      case 'list': {
        const clients = await listOidcClients(repo);
        if (values.json) console.log(JSON.stringify(clients));
        else if (clients.length === 0) console.log('no client registered');
        else {
          console.log(HEADER.map((cell, i) => cell.padEnd(WIDTHS[i] ?? 0)).join(' '));
          for (const client of clients) console.log(summary(client));
        }
        return 0;
      }
      case 'add': {
        const { client, clientSecret } = await addOidcClient(repo, box, ref as string, inputOf(values));
        console.log(summary(describeClient(client)));
        console.log(`client_id: ${client.clientId}`);
        if (clientSecret === undefined) console.log('public client: no secret; it must use PKCE');
        else {
          console.log(`client_secret: ${clientSecret}`);
          console.log(SECRET_NOTICE);
        }
        return 0;
      }
      case 'rotate-secret': {
        const rotated = await rotateOidcClientSecret(repo, box as SecretBox, ref as string);
        if (!rotated) return missing(ref as string);
        console.log(`client_id: ${rotated.client.clientId}`);
        console.log(`client_secret: ${rotated.clientSecret}`);
        console.log(`${SECRET_NOTICE} The previous secret no longer works.`);
        return 0;
      }
      default: {
        if (!(await removeOidcClient(repo, ref as string))) return missing(ref as string);
        console.log(`removed ${ref}, its grants and refresh tokens`);
        return 0;
      }
    }
  });
}

function missing(ref: string): number {
  console.error(`twofold clients: no client named ${ref} or with that client_id`);
  return 1;
}

export const clientsCommand: Command = {
  name: 'clients',
  summary: 'register OpenID Connect clients: redirect URIs, scopes, policy, client secret',
  help: `Usage: ${USAGE.slice('usage: '.length)}

Registers the relying parties of Twofold's OpenID Connect provider (issuer: the cluster's public
URL). \`add\` prints the client_id and, for a confidential client, the client_secret: once, it is
stored encrypted with the cluster's key ring (\`twofold keys rotate\` re-encrypts it). A --public
client (a native or single-page app) has no secret and must use PKCE. \`rotate-secret\` replaces
the secret; the old one stops working at once. \`remove\` also ends the client's grants and refresh
tokens. Names: 1 to 32 characters of a-z, 0-9, "-" and "_".

Redirect URIs (1 to 20) and post-logout redirect URIs (0 to 20): absolute URLs without fragment or
user:password@, compared exactly; https, or http on a loopback host (localhost, 127.0.0.1, [::1]);
a public client may also use a private-use scheme of its own (com.example.app:/callback, RFC 8252).
Scopes: openid (required), profile, email, offline_access (default: all four). Policy two_factor
(the default: password and second factor) or one_factor (the password alone).

${targetOptionsHelp}
  --database-url URL  use this database instead of the running cluster's (with --keys-file)
  --keys-file FILE    the key ring the replicas use (default: <data-dir>/secrets/encryption-keys)
  --redirect-uri U    where the provider may send the browser back (repeatable)
  --post-logout-redirect-uri U
                      where the browser may go after logging out (repeatable)
  --public            no client secret; PKCE
  --scope S           a scope the client may ask for (repeatable)
  --policy P          one_factor or two_factor
  --id-token-alg A    RS256 (the default) or ES256: how its ID tokens are signed
  --json              list as JSON (never a secret)`,
  options: {
    ...clusterOptions,
    'database-url': { type: 'string' },
    'keys-file': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    public: { type: 'boolean' },
    scope: { type: 'string', multiple: true },
    policy: { type: 'string' },
    'id-token-alg': { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: true,

  async run(values, positionals) {
    const [action, ref] = positionals;
    const addOptions = ADD_OPTIONS.some((name) => values[name] !== undefined);
    const valid =
      (action === 'list' && positionals.length === 1 && !addOptions) ||
      (action === 'add' && positionals.length === 2 && values.json === undefined) ||
      ((action === 'remove' || action === 'rotate-secret') &&
        positionals.length === 2 &&
        !addOptions &&
        values.json === undefined);
    if (!valid) throw new UsageError(USAGE);
    try {
      return await run(values, action as string, ref);
    } catch (error) {
      if (error instanceof InvalidInputError) throw new UsageError(error.message);
      if (error instanceof OidcClientExistsError) throw new Error(`a client named ${ref} exists already`);
      if (error instanceof PublicClientError) throw new Error(error.message);
      throw error;
    }
  },
};
