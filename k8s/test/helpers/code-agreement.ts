// What the manifests are checked against: each Twofold container's service (its entry point, the
// variables its schema reads, its port and routes), read from the code itself, and the loop that
// checks the base and the local overlay alike.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe } from 'node:test';
import type { TObject } from '@sinclair/typebox';
import { EnvSchema } from '../../../services/auth/src/config.ts';
import { PushEnvSchema } from '../../../services/push/src/config.ts';
import { type K8sObject, podSpec, renderBase, renderLocal, repoRoot, workloads } from './render.ts';

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, read field by field
export type Any = any;

/** migrate-main.ts runs on import; its schema's variables are read from its source instead. */
function migrateSchemaVariables(): string[] {
  const source = readFileSync(path.join(repoRoot, 'services/auth/src/migrate-main.ts'), 'utf8');
  const schema = /const MigrateEnvSchema = Type\.Object\(\{([\s\S]*?)\}\);/.exec(source)?.[1];
  assert.ok(schema, 'MigrateEnvSchema not found in services/auth/src/migrate-main.ts');
  return [...schema.matchAll(/^\s*(TWOFOLD_[A-Z0-9_]+):/gm)].map((m) => m[1] as string);
}

export interface Service {
  /** What the container runs, as the image's contract says. */
  entry: string;
  known: string[];
  /** Neither Optional nor with a default: must be set. */
  required: string[];
  /** Where the image listens by default (TWOFOLD_PORT's default), undefined for a one-shot. */
  port?: number;
  /** Where its routes are registered. */
  sources?: string;
}

function fromSchema(schema: TObject, entry: string, sources: string): Service {
  const properties = schema.properties as Record<string, { default?: unknown }>;
  return {
    entry,
    known: Object.keys(properties),
    required: (schema.required ?? []).filter((name) => properties[name]?.default === undefined),
    port: properties.TWOFOLD_PORT?.default as number,
    sources,
  };
}

export const SERVICES: Record<string, Service> = {
  auth: fromSchema(EnvSchema, 'services/auth/dist/server.js', 'services/auth/src'),
  push: fromSchema(PushEnvSchema, 'services/push/dist/server.js', 'services/push/src'),
  migrate: {
    entry: 'services/auth/dist/migrate-main.js',
    known: migrateSchemaVariables(),
    required: migrateSchemaVariables(),
  },
};

/** The Twofold containers of a render: each with its service (by the command it runs). */
export function twofoldContainers(objects: K8sObject[]) {
  const found: Array<{ workload: K8sObject; container: Any; service: Service; kind: string }> = [];
  for (const workload of workloads(objects)) {
    for (const container of podSpec(workload).containers) {
      const command = (container.command ?? []).join(' ');
      const kind = Object.keys(SERVICES).find((k) => command === `node ${SERVICES[k]?.entry}`);
      if (kind) found.push({ workload, container, service: SERVICES[kind] as Service, kind });
    }
  }
  return found;
}

/** GET routes registered with `.get('<path>'` under a service's sources. */
export function getRoutes(dir: string): Set<string> {
  const routes = new Set<string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts'))
        for (const m of readFileSync(file, 'utf8').matchAll(/\.get\(\s*'([^']+)'/g))
          routes.add(m[1] as string);
    }
  };
  walk(path.join(repoRoot, dir));
  return routes;
}

export const envValue = (container: Any, name: string) =>
  container.env?.find((e: Any) => e.name === name)?.value;
export const decode = (secret: K8sObject, key: string) =>
  Buffer.from(String(secret.data?.[key] ?? '').replace(/\s+/g, ''), 'base64')
    .toString('utf8')
    .trim();

/** `body` as a describe block for k8s/base and for k8s/overlays/local, given that rendering and its name. */
export function forEachRendering(
  what: string,
  body: (render: () => Promise<K8sObject[]>, name: string) => void,
): void {
  for (const [name, render] of [
    ['k8s/base', renderBase],
    ['k8s/overlays/local', renderLocal],
  ] as const) {
    describe(`${name}: ${what}`, () => body(render, name));
  }
}
