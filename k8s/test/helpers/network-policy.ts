// Whether NetworkPolicies let one pod reach another on a TCP port, by the rules of
// networking.k8s.io/v1: a pod selected by a policy of a direction is isolated in that direction and
// admits only what some rule of those policies allows; a pod no policy selects is open. Peers are
// matched by pod and namespace labels (a namespace's labels: its kubernetes.io/metadata.name);
// ipBlocks match no pod. Enough for the structural checks of edges-agree.test.ts.
import type { K8sObject } from './render.ts';

export interface Peer {
  namespace: string;
  labels: Record<string, string>;
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    const ok =
      operator === 'In'
        ? has && values.includes(labels[key] as string)
        : operator === 'NotIn'
          ? !has || !values.includes(labels[key] as string)
          : operator === 'Exists'
            ? has
            : operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

const namespaceLabels = (namespace: string) => ({ 'kubernetes.io/metadata.name': namespace });

interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}

function peerMatches(peer: PolicyPeer, policyNamespace: string, pod: Peer): boolean {
  if (peer.ipBlock) return false;
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, namespaceLabels(pod.namespace))
    : pod.namespace === policyNamespace;
  return namespaceOk && selects(peer.podSelector, pod.labels);
}

function portMatches(
  ports: Array<{ port?: number | string; protocol?: string }> | undefined,
  port: number,
  named: Record<string, number>,
): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some(
    (p) =>
      (p.protocol ?? 'TCP') === 'TCP' &&
      (p.port === undefined || p.port === port || (typeof p.port === 'string' && named[p.port] === port)),
  );
}

const types = (policy: K8sObject): string[] =>
  policy.spec.policyTypes ?? ['Ingress', ...(policy.spec.egress ? ['Egress'] : [])];

/** May `from` open a TCP connection to `to`:`port`? `named`: the destination's named ports. */
export function reachable(
  policies: K8sObject[],
  from: Peer,
  to: Peer,
  port: number,
  named: Record<string, number> = {},
): boolean {
  const applying = (pod: Peer, type: string) =>
    policies.filter(
      (p) =>
        p.metadata.namespace === pod.namespace &&
        types(p).includes(type) &&
        selects(p.spec.podSelector, pod.labels),
    );
  const egress = applying(from, 'Egress');
  const egressOk =
    egress.length === 0 ||
    egress.some((policy) =>
      (policy.spec.egress ?? []).some(
        // biome-ignore lint/suspicious/noExplicitAny: a rule of the rendered YAML
        (rule: any) =>
          (!rule.to ||
            rule.to.length === 0 ||
            rule.to.some((peer: PolicyPeer) => peerMatches(peer, policy.metadata.namespace, to))) &&
          portMatches(rule.ports, port, named),
      ),
    );
  const ingress = applying(to, 'Ingress');
  const ingressOk =
    ingress.length === 0 ||
    ingress.some((policy) =>
      (policy.spec.ingress ?? []).some(
        // biome-ignore lint/suspicious/noExplicitAny: a rule of the rendered YAML
        (rule: any) =>
          (!rule.from ||
            rule.from.length === 0 ||
            rule.from.some((peer: PolicyPeer) => peerMatches(peer, policy.metadata.namespace, from))) &&
          portMatches(rule.ports, port, named),
      ),
    );
  return egressOk && ingressOk;
}
