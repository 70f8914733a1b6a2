// The terminal example's settings: Twofold's URL and the applications it may act as (name → API key),
// from the command line or the environment. Errors name what to fix and never quote a key.
import { readFile, stat } from 'node:fs/promises';

export interface AppKey {
  name: string;
  apiKey: string;
}

export interface TerminalConfig {
  url: string;
  apps: AppKey[];
  /** Said on stderr: e.g. an apps file others can read. */
  warnings: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/**
 * `--url` (else TWOFOLD_URL, else the one-machine cluster's load balancer) and the applications:
 * `--apps FILE` (else TWOFOLD_RP_APPS_FILE), a JSON object of application name → API key; or one
 * application from TWOFOLD_RP_APP (its name) with TWOFOLD_RP_API_KEY or TWOFOLD_RP_API_KEY_FILE.
 */
export async function loadConfig(
  args: { url?: string; apps?: string },
  env: NodeJS.ProcessEnv,
): Promise<TerminalConfig> {
  const url = args.url ?? env.TWOFOLD_URL ?? DEFAULT_URL;
  if (!isHttpUrl(url))
    throw new ConfigError(`the Twofold URL must be an http(s) URL, got ${JSON.stringify(url)}`);
  const warnings: string[] = [];
  const file = args.apps ?? env.TWOFOLD_RP_APPS_FILE;
  let apps: AppKey[];
  if (file) {
    apps = await readAppsFile(file, warnings);
  } else if (env.TWOFOLD_RP_APP || env.TWOFOLD_RP_API_KEY || env.TWOFOLD_RP_API_KEY_FILE) {
    apps = [{ name: env.TWOFOLD_RP_APP?.trim() || 'application', apiKey: await keyFromEnv(env) }];
  } else {
    throw new ConfigError(
      'no application: give --apps FILE (or TWOFOLD_RP_APPS_FILE), or TWOFOLD_RP_APP and TWOFOLD_RP_API_KEY',
    );
  }
  return { url, apps, warnings };
}

async function keyFromEnv(env: NodeJS.ProcessEnv): Promise<string> {
  let key = env.TWOFOLD_RP_API_KEY;
  if (env.TWOFOLD_RP_API_KEY_FILE) {
    try {
      key = await readFile(env.TWOFOLD_RP_API_KEY_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `TWOFOLD_RP_API_KEY_FILE: cannot read it (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  key = key?.trim();
  if (!key) throw new ConfigError('TWOFOLD_RP_API_KEY (or TWOFOLD_RP_API_KEY_FILE) is empty');
  return key;
}

async function readAppsFile(file: string, warnings: string[]): Promise<AppKey[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
    if (((await stat(file)).mode & 0o077) !== 0) {
      warnings.push(`${file} holds API keys and others can read it: chmod 600 ${file}`);
    }
  } catch (error) {
    throw new ConfigError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message: it may quote the file, keys and all.
    throw new ConfigError(`${file}: not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${file}: must be a JSON object of application name to API key`);
  }
  const apps: AppKey[] = [];
  for (const [name, apiKey] of Object.entries(parsed)) {
    if (name.trim() === '' || typeof apiKey !== 'string' || apiKey.trim() === '') {
      throw new ConfigError(`${file}: ${JSON.stringify(name)} must map to an API key (a string)`);
    }
    apps.push({ name: name.trim(), apiKey: apiKey.trim() });
  }
  if (apps.length === 0) throw new ConfigError(`${file}: names no application`);
  return apps.sort((a, b) => a.name.localeCompare(b.name));
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
