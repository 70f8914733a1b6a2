// What a `twofold` subcommand looks like, and the options several of them share.
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { resolveDefaultDataDir } from '../default-data-dir.ts';
import { resolvePortBase } from '../ports.ts';
import { liveSupervisor } from '../supervisor-file.ts';

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

/** For commands that act on a running cluster: it is found by its data directory. */
export const targetOptionsHelp = `  --data-dir DIR     data directory the cluster was started with (default: <repo>/.twofold)
  --port-base N      optional: fail unless that cluster runs on this port base`;

export function dataDirOption(values: OptionValues): string {
  const given = values['data-dir'];
  return typeof given === 'string' ? path.resolve(given) : resolveDefaultDataDir();
}

export function portBaseOption(values: OptionValues): number {
  const given = values['port-base'];
  return resolvePortBase(typeof given === 'string' ? given : undefined);
}

/** The data directory of a running cluster, checked against an explicit --port-base. */
export async function targetDataDir(values: OptionValues): Promise<string> {
  const dataDir = dataDirOption(values);
  if (typeof values['port-base'] === 'string') {
    const wanted = portBaseOption(values);
    const running = await liveSupervisor(dataDir);
    if (running && running.portBase !== wanted) {
      throw new UsageError(`the cluster in ${dataDir} runs on port base ${running.portBase}, not ${wanted}`);
    }
  }
  return dataDir;
}

/** The one positional argument: a member name or alias. */
export function memberArgument(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError('name exactly one member (e.g. pg-1, or pg-primary)');
  return positionals[0] as string;
}

export class UsageError extends Error {}
