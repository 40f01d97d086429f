import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { checkPodManifest, checkPodSecurityRestricted, DEFAULT_POD_CONTRACT, parseConjurHosts, podTemplatesOf } from '../../../src/pod-contract/index.js';
import { describeRealKube } from '../../support/real-kube/describe-real-kube.js';

// daemonset/ on a real kube-apiserver (Pod Security admission on, as in every cluster since 1.25):
// the agent with its SPIFFE CSI driver component applies with `kubectl apply -k`, and a Pod made
// from each example pod template is admitted in a namespace that enforces `restricted`. Pods
// that break `restricted` are refused, and `check pod` names exactly the controls the API server
// names, so what the command says can be trusted before applying.

const DAEMONSET = fileURLToPath(new URL('../../../daemonset/', import.meta.url));
const RESTRICTED = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Objects of a rendered kustomization (kubectl kustomize output). */
function objectsOf(yaml: string): Json[] {
  return parseAllDocuments(yaml).map((d) => d.toJS() as Json);
}

/** A Pod made from a workload's pod template, as its controller would make one. */
function podFrom(workload: Json, name: string): Json {
  const template = workload['kind'] === 'CronJob' ? workload['spec'].jobTemplate.spec.template : workload['spec'].template;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...structuredClone(template.metadata), name }, spec: structuredClone(template.spec) };
}

/** The Pod Security controls a refusal names: `violates PodSecurity "restricted:latest": a (…), b (…)`. */
function refusedControls(message: string): string[] {
  const list = message.split('violates PodSecurity "restricted:latest": ')[1] ?? '';
  return [...list.matchAll(/(?:^|\), )([^()]+?) \(/g)].map((m) => m[1]!).sort();
}

describeRealKube('daemonset/ on a real API server: the CSI driver component applies, example pods pass Pod Security restricted', (suite) => {
  it('applies daemonset/ with kubectl apply -k: agent, SPIFFE CSI driver DaemonSet and CSIDriver csi.spiffe.io', async () => {
    const { cluster } = suite;
    const applied = await cluster.kubectlOk(['apply', '-k', DAEMONSET]);
    expect(applied).toMatch(/csidriver\.storage\.k8s\.io\/csi\.spiffe\.io created/);
    expect(applied).toMatch(/daemonset\.apps\/spiffe-csi-driver created/);
    expect(applied).toMatch(/daemonset\.apps\/conjur-spiffe-agent created/);
    const driver = JSON.parse(await cluster.kubectlOk(['get', 'csidriver', 'csi.spiffe.io', '-o', 'json'])) as Json;
    expect(driver['spec']).toMatchObject({ attachRequired: false, podInfoOnMount: true, fsGroupPolicy: 'None', volumeLifecycleModes: ['Ephemeral'] });
    // Applying again changes nothing: the manifests are what the API server keeps.
    expect(await cluster.kubectlOk(['apply', '-k', DAEMONSET])).not.toMatch(/configured|created/);
  });

  it("admits the agent's and the driver's own pods in their namespace, which enforces privileged", async () => {
    const { cluster } = suite;
    const rendered = objectsOf(await cluster.kubectlOk(['kustomize', DAEMONSET]));
    const daemonSets = rendered.filter((o) => o['kind'] === 'DaemonSet');
    expect(daemonSets.map((d) => d['metadata'].name).sort()).toEqual(['conjur-spiffe-agent', 'spiffe-csi-driver']);
    // No controller manager runs here to make each namespace's `default` service account.
    await cluster.createServiceAccount('conjur-spiffe-agent', 'default');
    for (const daemonSet of daemonSets) {
      const pod = podFrom(daemonSet, `${daemonSet['metadata'].name}-node-1`);
      const created = await cluster.kubectl(['-n', daemonSet['metadata'].namespace, 'create', '-f', '-'], { input: JSON.stringify(pod) });
      if (created.code !== 0) throw new Error(`kubectl create refused ${pod['metadata'].name}: ${created.stderr}`);
      expect(created.stdout).toContain(`pod/${pod['metadata'].name} created`);
      // The namespace warns against baseline, so whatever else lands there is flagged.
      expect(created.stderr).toMatch(/Warning: would violate PodSecurity "baseline:latest"/);
    }
  });

  it('applies daemonset/examples/ with kubectl apply -k: no Pod Security warning, and nothing changes on a second apply', async () => {
    const { cluster } = suite;
    const first = await cluster.kubectl(['apply', '-k', `${DAEMONSET}examples`]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/namespace\/spiffe-demo created/);
    expect(first.stdout).toMatch(/deployment\.apps\/example-app created/);
    expect(first.stdout).toMatch(/job\.batch\/example-report created/);
    const labels = JSON.parse(await cluster.kubectlOk(['get', 'namespace', 'spiffe-demo', '-o', 'json'])) as Json;
    expect(labels['metadata'].labels).toMatchObject(RESTRICTED);
    expect(await cluster.kubectlOk(['apply', '-k', `${DAEMONSET}examples`])).not.toMatch(/configured|created/);
  });

  it('admits a Pod from each example pod template in a namespace that enforces restricted, with no warning', async () => {
    const { cluster } = suite;
    const examples = objectsOf(await cluster.kubectlOk(['kustomize', `${DAEMONSET}examples`]));
    const workloads = examples.filter((o) => podTemplatesOf(o).length > 0);
    expect(workloads.map((w) => `${w['kind']}/${w['metadata'].name}`)).toEqual(['Deployment/example-app', 'Job/example-report']);
    const hosts = parseConjurHosts(readFileSync(`${DAEMONSET}examples/conjur-policy.yml`, 'utf8'));
    const ns = await cluster.createNamespace('restricted', RESTRICTED);
    for (const serviceAccount of examples.filter((o) => o['kind'] === 'ServiceAccount')) await cluster.createServiceAccount(ns, serviceAccount['metadata'].name);
    for (const workload of workloads) {
      const pod = podFrom(workload, `${workload['metadata'].name}-admitted`);
      const created = await cluster.kubectl(['-n', ns, 'create', '-f', '-'], { input: JSON.stringify(pod) });
      expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
      expect(checkPodManifest(JSON.stringify(pod), { ...DEFAULT_POD_CONTRACT, hosts }).problems).toEqual([]);
    }
  });

  const refused: { name: string; change(pod: Json): void }[] = [
    {
      name: 'the socket directory as a hostPath (the example before the CSI driver)',
      change: (p) => (p['spec'].volumes[0] = { name: 'agent-socket', hostPath: { path: '/run/conjur-spiffe', type: 'DirectoryOrCreate' } }),
    },
    { name: 'an injection target that may escalate privileges', change: (p) => delete p['spec'].containers[1].securityContext.allowPrivilegeEscalation },
    { name: 'no runAsNonRoot and no seccomp profile', change: (p) => (p['spec'].securityContext = { runAsUser: 65532 }) },
    { name: 'an injection target that keeps its capabilities and runs as root', change: (p) => Object.assign(p['spec'].containers[1].securityContext, { capabilities: { add: ['SYS_ADMIN'] }, runAsUser: 0 }) },
    { name: 'the host PID namespace and a host port', change: (p) => ((p['spec'].hostPID = true), (p['spec'].containers[0].ports = [{ containerPort: 8443, hostPort: 8443 }])) },
  ];
  for (const c of refused) {
    it(`refuses a pod with ${c.name}, and check pod names the same controls`, async () => {
      const { cluster } = suite;
      const ns = await cluster.createNamespace('restricted', RESTRICTED);
      await cluster.createServiceAccount(ns, 'example-app');
      const deployment = objectsOf(await cluster.kubectlOk(['kustomize', `${DAEMONSET}examples`])).find((o) => o['kind'] === 'Deployment')!;
      const pod = podFrom(deployment, 'refused');
      c.change(pod);
      const answer = await cluster.request<{ message?: string; reason?: string }>('POST', `/api/v1/namespaces/${ns}/pods`, pod);
      expect(answer.status).toBe(403);
      const byApiServer = refusedControls(answer.body.message ?? '');
      const byCheckPod = [...new Set(podTemplatesOf(pod).flatMap((t) => checkPodSecurityRestricted(t).map((f) => f.reason)))].sort();
      expect(byApiServer.length).toBeGreaterThan(0);
      expect(byCheckPod).toEqual(byApiServer);
    });
  }
});
