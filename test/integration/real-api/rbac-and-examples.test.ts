import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { describeRealKube } from '../../support/real-kube/describe-real-kube.js';
import { expectOk } from '../../support/real-kube/kube-http.js';
import type { KubeMethod } from '../../support/real-kube/kube-http.js';
import { AGENT_NAMESPACE, REPO_ROOT, RealApiNode } from '../../support/real-kube/real-api-node.js';
import type { SimulatedPod } from '../../support/simulated-node.js';
import { closeAll } from '../pod-caller.js';
import { holdSvidStream, startRealApiAgent } from './real-api-agent.js';
import type { HeldStream, RunningAgent } from './real-api-agent.js';

// daemonset/ as shipped, on a real API server: the agent's ClusterRole allows what it needs and
// nothing more (checked with the agent's own token), and daemonset/examples applies, its
// workload's pod passing the agent's and Conjur's checks.

interface AccessReview {
  status?: { allowed?: boolean };
}

describeRealKube('daemonset/ on a real API server: RBAC both ways and the example workload', (suite) => {
  let node: RealApiNode;
  let running: RunningAgent;
  let workload: SimulatedPod;
  const held: HeldStream[] = [];

  beforeAll(async () => {
    node = await RealApiNode.start(suite.cluster);
    await node.addAgentPod();
    running = await startRealApiAgent(node);
    const ns = await suite.cluster.createNamespace('rbac');
    workload = await node.addPod({ namespace: ns, name: 'target' });
  }, 180_000);

  afterAll(async () => {
    for (const h of held) h.reader.cancel();
    await closeAll(held.map((h) => h.caller));
    await running?.agent.close();
    await node?.close();
  }, 60_000);

  const asAgent = (method: KubeMethod, path: string, body?: unknown) => suite.cluster.requestAs(node.agentToken, method, path, body);

  async function agentMay(attributes: Record<string, string>): Promise<boolean> {
    const review = await expectOk<AccessReview>(
      asAgent('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attributes } }),
      'access review',
    );
    return review.status?.allowed === true;
  }

  it('lets the agent read, list and watch pods, and read the kubelet pod list (nodes/pods)', async () => {
    const onNode = `fieldSelector=${encodeURIComponent(`spec.nodeName=${node.nodeName}`)}`;
    const answers = {
      list: (await asAgent('GET', `/api/v1/pods?${onNode}`)).status,
      watch: (await asAgent('GET', `/api/v1/pods?${onNode}&watch=true&timeoutSeconds=1`)).status,
      get: (await asAgent('GET', `/api/v1/namespaces/${workload.namespace}/pods/${workload.name}`)).status,
      'get nodes/pods': await agentMay({ verb: 'get', resource: 'nodes', subresource: 'pods', name: node.nodeName }),
    };
    expect(answers).toEqual({ list: 200, watch: 200, get: 200, 'get nodes/pods': true });
  });

  it('refuses the agent secrets, exec, pod writes and nodes/proxy', async () => {
    const pod = `/api/v1/namespaces/${workload.namespace}/pods/${workload.name}`;
    const cases: [string, KubeMethod, string, unknown?][] = [
      ['list secrets in its own namespace', 'GET', `/api/v1/namespaces/${AGENT_NAMESPACE}/secrets`],
      ['list secrets cluster-wide', 'GET', '/api/v1/secrets'],
      ['exec into a pod (POST)', 'POST', `${pod}/exec?command=sh&container=app&stdout=true`],
      ['exec into a pod (GET, as WebSocket clients do)', 'GET', `${pod}/exec?command=sh&container=app&stdout=true`],
      ['create a pod', 'POST', `/api/v1/namespaces/${workload.namespace}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'intruder' }, spec: { containers: [{ name: 'c', image: 'x' }] } }],
      ['patch a pod', 'PATCH', pod, { metadata: { labels: { touched: 'yes' } } }],
      ['patch a pod status', 'PATCH', `${pod}/status`, { status: { phase: 'Failed' } }],
      ['delete a pod', 'DELETE', pod],
      ['proxy to the kubelet (nodes/proxy)', 'GET', `/api/v1/nodes/${node.nodeName}/proxy/pods`],
    ];
    const answers = Object.fromEntries(await Promise.all(cases.map(async ([name, method, path, body]) => [name, (await asAgent(method, path, body)).status] as const)));
    expect(answers).toEqual(Object.fromEntries(cases.map(([name]) => [name, 403])));
    const reviews = {
      'get nodes/proxy': await agentMay({ verb: 'get', resource: 'nodes', subresource: 'proxy', name: node.nodeName }),
      'create pods/exec': await agentMay({ verb: 'create', resource: 'pods', subresource: 'exec', namespace: workload.namespace }),
      'get secrets': await agentMay({ verb: 'get', resource: 'secrets', namespace: AGENT_NAMESPACE }),
    };
    expect(reviews).toEqual({ 'get nodes/proxy': false, 'create pods/exec': false, 'get secrets': false });
    // The pod is untouched.
    const after = await expectOk<{ metadata: { labels?: Record<string, string> }; status: { phase: string } }>(suite.cluster.request('GET', pod), 'the pod');
    expect({ touched: after.metadata.labels?.['touched'], phase: after.status.phase }).toEqual({ touched: undefined, phase: 'Running' });
  });

  it('applies daemonset/examples, and the example pod, made as its Deployment would, gets its SVID', async () => {
    const applied = await suite.cluster.kubectlOk(['apply', '-k', join(REPO_ROOT, 'daemonset', 'examples')]);
    expect(applied).toMatch(/deployment\.apps\/example-app (created|configured|unchanged)/);
    const deployment = await expectOk<Controller>(suite.cluster.request('GET', '/apis/apps/v1/namespaces/spiffe-demo/deployments/example-app'), 'the example Deployment');
    const pod = await podOfDeployment(deployment);
    const annotations = hostAnnotationsFromPolicy('spiffe/example-app');
    node.conjur.addHost('spiffe/example-app', { annotations });
    const injectsBefore = node.conjur.calls.inject;
    const h = await holdSvidStream(node, pod);
    held.push(h);
    expect(h.first.svids[0]?.spiffe_id).toBe(`spiffe://cluster.local/namespace/spiffe-demo/podname/${pod.name}`);
    expect(h.first.svids[0]?.hint).toBe('host/spiffe/example-app');
    expect(node.conjur.calls.inject).toBe(injectsBefore + 1);
    // Conjur checked the pod against the host's deployment restriction through the real API server.
    expect(annotations['authn-k8s/deployment']).toBe('example-app');
  });

  interface Controller {
    metadata: { name: string; namespace: string; uid: string };
    spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> } };
  }

  /** A ReplicaSet and its pod from the Deployment's template, as the two controllers would make them, the pod running on this node. */
  async function podOfDeployment(deployment: Controller): Promise<SimulatedPod> {
    const { namespace } = deployment.metadata;
    const hash = 'demo5c7d';
    const labels = { ...deployment.spec.template.metadata.labels, 'pod-template-hash': hash };
    const rsName = `${deployment.metadata.name}-${hash}`;
    const rs = await expectOk<Controller>(
      suite.cluster.request('POST', `/apis/apps/v1/namespaces/${namespace}/replicasets`, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: rsName, labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name, uid: deployment.metadata.uid, controller: true, blockOwnerDeletion: true }] },
        spec: { replicas: 1, selector: { matchLabels: { ...deployment.spec.selector.matchLabels, 'pod-template-hash': hash } }, template: { ...deployment.spec.template, metadata: { ...deployment.spec.template.metadata, labels } } },
      }),
      'the example ReplicaSet',
    );
    const body = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...rs.spec.template.metadata,
        name: `${rsName}-x7k2q`,
        namespace,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...rs.spec.template.spec, nodeName: node.nodeName } as Record<string, unknown>,
    };
    const serviceAccount = String(body.spec['serviceAccountName'] ?? 'default');
    return node.createRunningPod(body, 'app', { hostId: 'spiffe/example-app', serviceAccount, namespace, registerHost: false });
  }
});

/** A host's annotations as daemonset/examples/conjur-policy.yml declares them (`policy/.../host` id). */
function hostAnnotationsFromPolicy(hostId: string): Record<string, string> {
  const text = readFileSync(join(REPO_ROOT, 'daemonset', 'examples', 'conjur-policy.yml'), 'utf8');
  const tags = ['policy', 'host', 'variable', 'permit', 'grant', 'group', 'webservice', 'layer', 'user', 'deny', 'role'];
  const customTags = [...tags.map((t) => ({ tag: `!${t}`, collection: 'map' as const, resolve: (v: unknown) => v })), ...tags.map((t) => ({ tag: `!${t}`, resolve: (v: string) => v }))];
  const found = new Map<string, Record<string, string>>();
  const walk = (items: unknown, prefix: string): void => {
    if (!Array.isArray(items)) return;
    for (const item of items) {
      if (typeof item !== 'object' || item === null) continue;
      const entry = item as { id?: string; body?: unknown; annotations?: Record<string, string> };
      const id = entry.id ? (prefix ? `${prefix}/${entry.id}` : entry.id) : prefix;
      if (entry.annotations) found.set(id, entry.annotations);
      if (entry.body) walk(entry.body, id);
    }
  };
  walk(parse(text, { customTags, logLevel: 'error' }), '');
  const annotations = found.get(hostId);
  if (!annotations) throw new Error(`conjur-policy.yml declares no host ${hostId}`);
  return annotations;
}
