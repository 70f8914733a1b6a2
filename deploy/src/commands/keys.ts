// `twofold keys rotate`: a new encryption key, every secret re-sealed under it, the old key retired.
// `twofold keys rotate-signing`: new ID-token signing keys, the old ones published for an overlap.
import path from 'node:path';
import { clusterConnections } from '../cluster-connections.ts';
import { rotateKeys } from '../key-rotation.ts';
import { secretsDir } from '../paths.ts';
import { DEFAULT_OVERLAP_SECONDS, rotateSigningKeys } from '../signing-key-rotation.ts';
import { type Command, clusterOptions, targetDataDir, targetOptionsHelp, UsageError } from './command.ts';

const USAGE = 'usage: twofold keys rotate | twofold keys rotate-signing [--overlap-seconds N]';

export const keysCommand: Command = {
  name: 'keys',
  summary: 'rotate the encryption key of the secrets at rest, or the OIDC signing keys, online',
  help: `Usage: twofold keys rotate [options]
       twofold keys rotate-signing [--overlap-seconds N] [options]

rotate: adds a key to the ring (every replica learns it), makes it the encrypting key, re-encrypts
every TOTP secret, OpenID Connect client secret and ID-token signing key, then retires the old key.
The replicas follow the ring file (secrets/encryption-keys) and keep serving throughout; each step
waits until all have it. A secret that decrypts under no key stops the rotation before the old keys go.

rotate-signing: new ID-token signing keys (ES256 and RS256). Every replica publishes them (JWKS)
before any signs with them; then they sign, and the keys they replace stay published for the
overlap (default ${DEFAULT_OVERLAP_SECONDS} s, at least an ID token's lifetime, 3600 s), so that tokens
signed before the switch still verify. After the overlap the old keys are gone from the JWKS.

${targetOptionsHelp}`,
  options: { ...clusterOptions, 'overlap-seconds': { type: 'string' } },
  positionals: true,

  async run(values, positionals) {
    const [action, ...extra] = positionals;
    if (extra.length > 0 || (action !== 'rotate' && action !== 'rotate-signing')) throw new UsageError(USAGE);
    const dataDir = await targetDataDir(values);
    const { databaseUrl, authUrls } = await clusterConnections(dataDir);
    const keysFile = path.join(secretsDir(dataDir), 'encryption-keys');
    const log = (line: string) => console.log(line);
    if (action === 'rotate-signing') {
      const overlapSeconds = overlapOf(values['overlap-seconds']);
      const result = await rotateSigningKeys({ keysFile, authUrls, databaseUrl, overlapSeconds, log });
      console.log(
        `signing keys ${result.current.join(', ')} sign now; ${result.retired.join(', ') || 'none'} published for ${overlapSeconds} s more`,
      );
      return 0;
    }
    if (values['overlap-seconds'] !== undefined)
      throw new UsageError('--overlap-seconds is for rotate-signing');
    const result = await rotateKeys({ keysFile, authUrls, databaseUrl, log });
    console.log(`key ${result.current} is now the only key; retired: ${result.retired.join(', ')}`);
    return 0;
  },
};

function overlapOf(value: unknown): number {
  if (value === undefined) return DEFAULT_OVERLAP_SECONDS;
  const seconds = Number(value);
  // At least an ID token's lifetime: one signed just before the switch must verify until it expires.
  if (typeof value !== 'string' || !/^\d{1,8}$/.test(value) || seconds < 3_600)
    throw new UsageError('--overlap-seconds must be a whole number of seconds, at least 3600');
  return seconds;
}
