// `twofold keys rotate`: a new encryption key, every secret re-sealed under it, the old key retired.
import path from 'node:path';
import { clusterConnections } from '../cluster-connections.ts';
import { rotateKeys } from '../key-rotation.ts';
import { secretsDir } from '../paths.ts';
import { type Command, clusterOptions, targetDataDir, targetOptionsHelp, UsageError } from './command.ts';

export const keysCommand: Command = {
  name: 'keys',
  summary: 'rotate the encryption key of the TOTP secrets, online',
  help: `Usage: twofold keys rotate [options]

Adds a key to the ring (every replica learns it), makes it the encrypting key, re-encrypts every
TOTP secret in batches, then retires the old key. The replicas follow the ring file
(secrets/encryption-keys) and keep serving throughout; each step waits until all have it.

${targetOptionsHelp}`,
  options: { ...clusterOptions },
  positionals: true,

  async run(values, positionals) {
    if (positionals.length !== 1 || positionals[0] !== 'rotate')
      throw new UsageError('usage: twofold keys rotate');
    const dataDir = await targetDataDir(values);
    const { databaseUrl, authUrls } = await clusterConnections(dataDir);
    const result = await rotateKeys({
      keysFile: path.join(secretsDir(dataDir), 'encryption-keys'),
      authUrls,
      databaseUrl,
      log: (line) => console.log(line),
    });
    console.log(`key ${result.current} is now the only key; retired: ${result.retired.join(', ')}`);
    return 0;
  },
};
