// Every rendered object validates offline against its schema: Kubernetes' own kinds against
// kubernetes-models (the API's OpenAPI schemas), ServiceMonitor and PrometheusRule against
// @kubernetes-models/prometheus-operator, CloudNativePG's Cluster against the parts of its CRD we use
// (fixtures/cnpg-cluster-v1.30.0.subset.json, with helpers/openapi-check.ts). A kind none of them
// knows fails: nothing passes unvalidated. (kubernetes-models does not refuse unknown fields; the
// other tests read the fields that matter by name, so a misspelt one fails there.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { checkOpenApi, type OpenApiSchema } from '../helpers/openapi-check.ts';
import { type K8sObject, k8sDir, renderBase, renderLocal } from '../helpers/render.ts';

const cnpgSchema = JSON.parse(
  readFileSync(path.join(k8sDir, 'test', 'fixtures', 'cnpg-cluster-v1.30.0.subset.json'), 'utf8'),
) as OpenApiSchema;

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** The npm module that holds the model of apiVersion/kind, or undefined when none does. */
function modelModule(apiVersion: string, kind: string): string | undefined {
  if (!/^[A-Za-z]+$/.test(kind)) return undefined;
  if (apiVersion.startsWith('monitoring.coreos.com/'))
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  // Kubernetes' built-in groups: the core group (apiVersion "v1") and the named ones.
  if (/^v\d+(?:(alpha|beta)\d+)?$/.test(apiVersion)) return `kubernetes-models/${apiVersion}/${kind}`;
  const [group, version] = apiVersion.split('/');
  if (group && version && (!group.includes('.') || group.endsWith('.k8s.io')))
    return `kubernetes-models/${group}/${version}/${kind}`;
  return undefined;
}

async function loadModel(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const module = modelModule(apiVersion, kind);
  if (!module) return undefined;
  try {
    return ((await import(module)) as Record<string, ModelClass>)[kind];
  } catch {
    return undefined;
  }
}

/** Problems of one object; a kind no schema here knows is a problem too. */
async function validate(input: K8sObject): Promise<string[]> {
  let object = input;
  const { apiVersion, kind } = object;
  if (apiVersion === 'postgresql.cnpg.io/v1' && kind === 'Cluster') {
    const problems = checkOpenApi(cnpgSchema, object);
    const Spread = await loadModel('v1', 'TopologySpreadConstraint');
    for (const constraint of object.spec?.topologySpreadConstraints ?? []) {
      try {
        new (Spread as ModelClass)(constraint).validate();
      } catch (error) {
        problems.push(`topologySpreadConstraints: ${(error as Error).message}`);
      }
    }
    return problems;
  }
  const Model = await loadModel(apiVersion, kind);
  // kustomize folds a long base64 value over lines; the API server's decoder (Go's base64) skips the
  // line breaks, kubernetes-models' "byte" format does not: compare what the server would decode.
  if (kind === 'Secret' && object.data)
    object = {
      ...object,
      data: Object.fromEntries(
        Object.entries(object.data as Record<string, string>).map(([key, value]) => [
          key,
          value.replace(/\s+/g, ''),
        ]),
      ),
    };
  if (!Model) return [`no schema for ${apiVersion} ${kind}: add one to this test before using the kind`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

async function assertAllValid(objects: K8sObject[]) {
  const problems: string[] = [];
  for (const object of objects)
    for (const problem of await validate(object))
      problems.push(`${object.kind} ${object.metadata?.name}: ${problem}`);
  assert.deepEqual(problems, [], problems.join('\n'));
}

describe('schemas', () => {
  test('the validators are not vacuous: broken objects and unknown kinds fail', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        selector: {},
        template: { spec: { containers: [{ name: 'a', image: 'b', ports: [{ containerPort: 'http' }] }] } },
      },
    };
    assert.match((await validate(deployment)).join(), /containerPort must be integer/);
    const rule = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'x' },
      spec: { groups: [{ rules: [] }] },
    };
    assert.match((await validate(rule)).join(), /name/);
    const cluster = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'x' },
      spec: {
        instances: 0,
        postgresql: { synchronous: { method: 'sometimes', number: 1 } },
        minSyncReplica: 1,
      },
    };
    assert.deepEqual(await validate(cluster), [
      '/spec/instances: below 1',
      '/spec/postgresql/synchronous/method: "sometimes" is not one of ["any","first"]',
      '/spec/minSyncReplica: unknown field',
    ]);
    assert.match(
      (await validate({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' } })).join(),
      /no schema/,
    );
    assert.match(
      (await validate({ apiVersion: 'v1', kind: 'NoSuchKind', metadata: { name: 'x' } })).join(),
      /no schema/,
    );
  });

  test('every object of k8s/base validates', async () => {
    await assertAllValid(await renderBase());
  });

  test('every object of k8s/overlays/local validates', async () => {
    await assertAllValid(await renderLocal());
  });
});
