// Small filesystem helpers shared by the members.
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';

/** mkdir -p, then force the mode on the last component (mkdir's mode is filtered by umask). */
export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  await chmod(dir, mode);
}

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** The last `lines` lines of a log file, to show next to an error; '' when unreadable. */
export async function tailFile(file: string, lines = 20, maxBytes = 64 * 1024): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - maxBytes);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

export async function readTrimmed(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).trim();
}
