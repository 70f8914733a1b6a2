import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { FastifyBaseLogger } from 'fastify';
import { parseKeyRing, type SecretBox } from '../../../common/src/secret-box.ts';

/**
 * Follows the key ring file (TWOFOLD_ENCRYPTION_KEYS_FILE) so that `twofold keys rotate` works
 * online: a new ring is taken as soon as it is written, a broken one is refused and the old ring
 * kept. Polling, not inotify: the file may be replaced by rename or live on a mounted volume.
 */
export function watchKeyRing(
  file: string,
  box: SecretBox,
  log: FastifyBaseLogger,
  intervalMs = 500,
): () => void {
  const onChange = async () => {
    try {
      const ring = parseKeyRing((await readFile(file, 'utf8')).trim());
      box.reload(ring);
      log.info({ keyIds: box.keyIds }, 'encryption key ring reloaded');
    } catch (error) {
      log.error(
        { reason: (error as Error).message },
        'encryption key ring file is unusable; keeping the current ring',
      );
    }
  };
  const listener = (
    current: { mtimeMs: number; size: number },
    previous: { mtimeMs: number; size: number },
  ) => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) void onChange();
  };
  watchFile(file, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(file, listener);
}
