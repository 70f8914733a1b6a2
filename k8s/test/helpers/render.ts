// Renders the kustomizations with the machine's kubectl (offline: `kubectl kustomize` needs no
// cluster) and parses what it prints. The local overlay needs the secret files make-local-secrets.ts
// writes: it is rendered from a copy of k8s/ in a temporary directory with freshly made ones, so a
// test never reads nor writes the secrets of this clone.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { makeLocalSecrets } from '../../make-local-secrets.ts';

export const k8sDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoRoot = path.resolve(k8sDir, '..');
export const KUBECTL = process.env.TWOFOLD_KUBECTL || 'kubectl';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped YAML, read field by field
type Yaml = any;
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: Yaml };
  [k: string]: Yaml;
};

/** `kubectl kustomize dir`'s output; a missing kubectl is an error that says what to install. */
export function kustomize(dir: string, kubectl = KUBECTL): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      kubectl,
      ['kustomize', dir],
      { maxBuffer: 32 * 1024 * 1024, timeout: 60_000 },
      (error, stdout, stderr) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          reject(
            new Error(
              `kubectl is not installed (looked for "${kubectl}"): the k8s tests render the manifests with ` +
                '`kubectl kustomize`; install kubectl (the machine image has /usr/bin/kubectl) or set TWOFOLD_KUBECTL',
            ),
          );
        } else if (error) reject(new Error(`kubectl kustomize ${dir} failed: ${stderr || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`unparsable YAML from kustomize: ${doc.errors[0]?.message}`);
    return doc.toJS() as K8sObject;
  });
}

const renders = new Map<string, Promise<K8sObject[]>>();

export function renderBase(): Promise<K8sObject[]> {
  if (!renders.has('base')) renders.set('base', kustomize(path.join(k8sDir, 'base')).then(parseObjects));
  return renders.get('base') as Promise<K8sObject[]>;
}

/** The local overlay from a copy of k8s/ with fresh secrets; the copy is removed afterwards. */
export function renderLocal(): Promise<K8sObject[]> {
  if (!renders.has('local')) {
    renders.set(
      'local',
      (async () => {
        const copy = await mkdtemp(path.join(tmpdir(), 'twofold-k8s-'));
        try {
          const secrets = path.join(k8sDir, 'overlays', 'local', 'secrets');
          await cp(k8sDir, path.join(copy, 'k8s'), {
            recursive: true,
            filter: (source) => source !== secrets && !source.includes(`${path.sep}node_modules`),
          });
          await makeLocalSecrets(path.join(copy, 'k8s', 'overlays', 'local', 'secrets'));
          return parseObjects(await kustomize(path.join(copy, 'k8s', 'overlays', 'local')));
        } finally {
          await rm(copy, { recursive: true, force: true });
        }
      })(),
    );
  }
  return renders.get('local') as Promise<K8sObject[]>;
}

/** Both renders, named. */
export const renderBoth = async () => ({ base: await renderBase(), local: await renderLocal() });

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
}

/** The pod template's spec of a workload (Deployment, StatefulSet, Job). */
// biome-ignore lint/suspicious/noExplicitAny: see K8sObject
export const podSpec = (o: K8sObject): any => o.spec?.template?.spec;

export const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => ['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind));
