import { readFileSync } from 'node:fs';
import type { TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the variables a schema names from the environment, each also from `<NAME>_FILE`
 * (so secrets can come from mounted files), converts and validates them, and throws a
 * ConfigError naming the offending variable.
 */
export function loadEnv<T extends TObject>(schema: T, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const fileName = env[`${name}_FILE`];
    const direct = env[name];
    if (fileName !== undefined && direct !== undefined) {
      throw new ConfigError(`${name} and ${name}_FILE are both set; set only one`);
    }
    if (fileName !== undefined) {
      try {
        raw[name] = readFileSync(fileName, 'utf8').trim();
      } catch (error) {
        throw new ConfigError(`${name}_FILE: cannot read ${fileName} (${(error as Error).message})`);
      }
    } else if (direct !== undefined && direct !== '') {
      raw[name] = direct;
    }
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults) as Record<string, unknown>;
  const firstError = Value.Errors(schema, converted).First();
  if (firstError) {
    const variable = firstError.path.replace(/^\//, '') || 'environment';
    const shown = firstError.value === undefined ? 'missing' : 'invalid';
    throw new ConfigError(`${variable}: ${shown} (${firstError.message})`);
  }
  return converted;
}
