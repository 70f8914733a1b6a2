// The web example's OWN users, not Twofold's: a JSON file of username → argon2id hash, checked
// locally before Twofold is ever asked (Twofold is the second factor only).
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import * as argon2 from '@node-rs/argon2';

/** OWASP's argon2id minimum: m=19 MiB, t=2, p=1. */
const ARGON2: argon2.Options = {
  algorithm: argon2.Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/** Lower case letters, digits, ".", "_", "-": the username the link codes this application asks for carry. */
const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MIN_PASSWORD = 10;
export const MAX_PASSWORD = 256;

export function normalizeUsername(input: string): string | undefined {
  const name = input.normalize('NFKC').trim().toLowerCase();
  return USERNAME.test(name) ? name : undefined;
}

export class UserError extends Error {
  override name = 'UserError';
}

export class UserStore {
  readonly #hashes: Map<string, string>;
  /** Checking an unknown user costs what checking a known one does. */
  #dummy: Promise<string> | undefined;

  constructor(hashes: Iterable<[string, string]> = []) {
    this.#hashes = new Map(hashes);
  }

  get size(): number {
    return this.#hashes.size;
  }

  /** The user's name (normalized) when the password is theirs, else undefined. */
  async check(username: string, password: string): Promise<string | undefined> {
    const name = normalizeUsername(username);
    const stored = name === undefined ? undefined : this.#hashes.get(name);
    if (password.length > MAX_PASSWORD) return undefined;
    const hash = stored ?? (await this.#dummyHash());
    let ok = false;
    try {
      ok = await argon2.verify(hash, password.normalize('NFKC'));
    } catch {
      ok = false; // a hash edited by hand into nonsense
    }
    return ok && stored !== undefined ? name : undefined;
  }

  #dummyHash(): Promise<string> {
    if (!this.#dummy) this.#dummy = argon2.hash(randomBytes(16).toString('hex'), ARGON2);
    return this.#dummy;
  }

  /** Adds or replaces a user (in memory; `save` writes the file). */
  async set(username: string, password: string): Promise<string> {
    const name = normalizeUsername(username);
    if (name === undefined) {
      throw new UserError(`username ${JSON.stringify(username)}: 1 to 64 of a-z, 0-9, ".", "_", "-"`);
    }
    if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
      throw new UserError(`the password must have ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
    }
    this.#hashes.set(name, await argon2.hash(password.normalize('NFKC'), ARGON2));
    return name;
  }

  /** The file's users; none when it does not exist yet. */
  static async load(file: string): Promise<UserStore> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new UserStore();
      throw new UserError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UserError(`${file}: not valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UserError(`${file}: must be a JSON object of username to argon2id hash`);
    }
    const entries: Array<[string, string]> = [];
    for (const [name, hash] of Object.entries(parsed)) {
      if (normalizeUsername(name) !== name || typeof hash !== 'string' || !hash.startsWith('$argon2id$')) {
        throw new UserError(
          `${file}: ${JSON.stringify(name)} must be a lower-case username mapped to an argon2id hash`,
        );
      }
      entries.push([name, hash]);
    }
    return new UserStore(entries);
  }

  /** Writes every user to the file (mode 600), replacing it in one rename. */
  async save(file: string): Promise<void> {
    const temporary = `${file}.${process.pid}.tmp`;
    const handle = await open(temporary, 'wx', 0o600);
    try {
      const sorted = Object.fromEntries([...this.#hashes].sort(([a], [b]) => a.localeCompare(b)));
      await handle.writeFile(`${JSON.stringify(sorted, null, 2)}\n`);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temporary, { force: true });
      throw error;
    }
    await handle.close();
    await rename(temporary, file);
  }
}
