// What a `twofold` subcommand looks like, and the options several of them share.
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { defaultDataDir } from '../paths.ts';
import { resolvePortBase } from '../ports.ts';

export type OptionValues = Record<string, string | boolean | undefined>;

export interface Command {
  name: string;
  summary: string;
  /** Usage and option lines for `twofold <name> --help`. */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Whether it takes positional arguments (e.g. a member name). */
  positionals?: boolean;
  run(values: OptionValues, positionals: string[]): Promise<number>;
}

export const clusterOptions = {
  'data-dir': { type: 'string' },
  'port-base': { type: 'string' },
} satisfies ParseArgsConfig['options'];

export const clusterOptionsHelp = `  --data-dir DIR     cluster data directory (default: <repo>/.twofold)
  --port-base N      first port; every other port is derived from it
                     (default: TWOFOLD_PORT_BASE or 8080)`;

export function dataDirOption(values: OptionValues): string {
  const given = values['data-dir'];
  return typeof given === 'string' ? path.resolve(given) : defaultDataDir;
}

export function portBaseOption(values: OptionValues): number {
  const given = values['port-base'];
  return resolvePortBase(typeof given === 'string' ? given : undefined);
}

export class UsageError extends Error {}
