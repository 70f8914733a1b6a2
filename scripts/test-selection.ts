// Which test files `npm test` runs, and how node's test runner is started for them.
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

export const TEST_ROOTS = [
  'services',
  'deploy',
  'scripts',
  'test',
  'examples',
  'monitoring',
  'loadtest',
  'bench',
  'k8s',
];

/** Every *.test.ts under dir (node_modules and dot folders left out), as absolute paths. */
export async function findTestFiles(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await findTestFiles(full)));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

export interface Selection {
  files: string[];
  /** Filters that kept no file: a typo must fail the run, not pass as a green one. */
  unmatched: string[];
}

/**
 * Keeps the files (paths relative to the repository) under a `unit` folder when `unit` is set, and
 * those whose path starts with a filter (`deploy/`) or whose name contains one (`totp`).
 */
export function selectTestFiles(files: string[], options: { unit: boolean; filters: string[] }): Selection {
  const kinds = files.filter((file) => !options.unit || isUnitTest(file));
  const matches = (file: string, filter: string) =>
    file.startsWith(filter) || path.basename(file).includes(filter);
  return {
    files:
      options.filters.length === 0
        ? kinds
        : kinds.filter((file) => options.filters.some((f) => matches(file, f))),
    unmatched: options.filters.filter((filter) => !kinds.some((file) => matches(file, filter))),
  };
}

/** Each test and hook fails after this long, so a lost await fails the run instead of hanging CI. */
export const DEFAULT_TEST_TIMEOUT_MS = 8 * 60_000;

export function testRunnerArgs(timeoutMs: number, concurrency = 1): string[] {
  return ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`];
}

/** A file under a `unit` folder: pure logic, safe to run beside another. */
export function isUnitTest(file: string): boolean {
  return file.split(path.sep).includes('unit');
}
