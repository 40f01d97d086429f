import { describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { checkPodManifest, DEFAULT_POD_CONTRACT, parseConjurHosts } from '../../../src/pod-contract/index.js';

// The pod contract and Pod Security `restricted` on manifests: a pod that meets both, then one
// change per row, each of which must be named in exactly the line a user would read.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A pod as the README's contract describes it: app container + passive injection target. */
function goodPod(): Json {
  const hardened = () => ({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'orders', annotations: { 'conjur.org/authn-login': 'host/apps/orders' } },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'app',
          image: 'registry.example/orders:1.0',
          env: [{ name: 'SPIFFE_ENDPOINT_SOCKET', value: 'unix:///run/conjur-spiffe/agent.sock' }],
          volumeMounts: [{ name: 'agent-socket', mountPath: '/run/conjur-spiffe', readOnly: true }],
          securityContext: hardened(),
        },
        {
          name: 'authenticator',
          image: 'busybox:1.37',
          command: ['sh', '-c', 'sleep infinity'],
          volumeMounts: [{ name: 'conjur-ssl', mountPath: '/etc/conjur/ssl' }],
          securityContext: hardened(),
        },
      ],
      volumes: [
        { name: 'agent-socket', csi: { driver: 'csi.spiffe.io', readOnly: true } },
        { name: 'conjur-ssl', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
      ],
    },
  };
}

const app = (pod: Json) => pod['spec'].containers[0];
const target = (pod: Json) => pod['spec'].containers[1];
const volume = (pod: Json, name: string) => pod['spec'].volumes.find((v: Json) => v['name'] === name);
const problemsOf = (pod: Json, options = DEFAULT_POD_CONTRACT) => checkPodManifest(stringify(pod), options).problems;

describe('checkPodManifest', () => {
  it('finds nothing wrong with a pod that meets the contract and restricted', () => {
    expect(checkPodManifest(stringify(goodPod()))).toEqual({ workloads: ['Pod/orders'], problems: [] });
  });

  const contractCases: { name: string; change(pod: Json): void; expect: string }[] = [
    { name: 'the login annotation is missing', change: (p) => delete p['metadata'].annotations, expect: 'Pod/orders: no conjur.org/authn-login annotation on the pod: it claims no Conjur host, so it gets no identity (unless the agent sets conjur.defaultLoginTemplate)' },
    { name: 'the login annotation is not a host id', change: (p) => (p['metadata'].annotations['conjur.org/authn-login'] = 'apps/orders'), expect: 'Pod/orders: conjur.org/authn-login is "apps/orders": a Conjur host id is host/<id>' },
    { name: 'no container has the injection target name', change: (p) => (target(p).name = 'sidecar'), expect: 'Pod/orders: no container named "authenticator" for Conjur to exec into; the containers are "app", "sidecar": name the target in the Conjur host\'s authn-k8s/authentication-container-name (tell check pod with --policy FILE or --container NAME), or add a passive container with sh named "authenticator"' },
    { name: 'the injection target is an init container', change: (p) => (p['spec'].initContainers = p['spec'].containers.splice(1, 1)), expect: 'Pod/orders: no container named "authenticator" for Conjur to exec into ("authenticator" is an init or ephemeral container, not running when Conjur injects); the containers are "app": name the target in the Conjur host\'s authn-k8s/authentication-container-name (tell check pod with --policy FILE or --container NAME), or add a passive container with sh named "authenticator"' },
    { name: 'the injection target has no shell', change: (p) => (target(p).image = 'gcr.io/distroless/static:nonroot'), expect: 'Pod/orders: container "authenticator": image gcr.io/distroless/static:nonroot has no sh, which Conjur runs to write the certificate; name a container whose image has sh, or add a passive one that only waits' },
    { name: 'the target mounts nothing at /etc/conjur/ssl', change: (p) => (target(p).volumeMounts[0].mountPath = '/etc/ssl'), expect: 'Pod/orders: container "authenticator" mounts nothing at /etc/conjur/ssl, where Conjur writes the certificate: mount an emptyDir (medium: Memory) there' },
    { name: '/etc/conjur/ssl is not an emptyDir', change: (p) => (volume(p, 'conjur-ssl').emptyDir = undefined, volume(p, 'conjur-ssl').secret = { secretName: 'x' }), expect: 'Pod/orders: container "authenticator": /etc/conjur/ssl is a secret volume ("conjur-ssl"), not an emptyDir; the agent reads the certificate from the pod\'s emptyDir on the node' },
    { name: 'the emptyDir is on disk', change: (p) => delete volume(p, 'conjur-ssl').emptyDir.medium, expect: 'Pod/orders: volume "conjur-ssl" at /etc/conjur/ssl is on the node\'s disk: set emptyDir.medium: Memory so the certificate never touches it' },
    { name: '/etc/conjur/ssl is read-only', change: (p) => (target(p).volumeMounts[0].readOnly = true), expect: 'Pod/orders: container "authenticator": /etc/conjur/ssl is mounted read-only, so Conjur cannot write the certificate' },
    { name: '/etc/conjur/ssl is a subPath', change: (p) => (target(p).volumeMounts[0].subPath = 'ssl'), expect: 'Pod/orders: container "authenticator": /etc/conjur/ssl mounts a subPath; the agent reads client.pem at the volume\'s root' },
    { name: 'the socket volume is missing', change: (p) => ((p['spec'].volumes = [volume(p, 'conjur-ssl')]), (app(p).volumeMounts = []), (app(p).env = [])), expect: "Pod/orders: no volume brings the agent's socket into the pod: add a volume csi: {driver: csi.spiffe.io, readOnly: true} mounted at /run/conjur-spiffe" },
    { name: 'the CSI volume is not read-only', change: (p) => delete volume(p, 'agent-socket').csi.readOnly, expect: 'Pod/orders: volume "agent-socket": csi.readOnly is not true; the SPIFFE CSI driver refuses writable volumes' },
    { name: 'no container mounts the socket volume', change: (p) => ((app(p).volumeMounts = []), (app(p).env = [])), expect: 'Pod/orders: no container mounts the socket volume "agent-socket"' },
    { name: 'SPIFFE_ENDPOINT_SOCKET names another path', change: (p) => (app(p).env[0].value = 'unix:///run/spire/sockets/agent.sock'), expect: "Pod/orders: container \"app\": SPIFFE_ENDPOINT_SOCKET is unix:///run/spire/sockets/agent.sock, but the agent's socket is at unix:///run/conjur-spiffe/agent.sock" },
  ];
  for (const c of contractCases) {
    it(`says so when ${c.name}`, () => {
      const pod = goodPod();
      c.change(pod);
      expect(problemsOf(pod)).toEqual([c.expect]);
    });
  }

  it('takes the injection target named by the Conjur host (--container)', () => {
    const pod = goodPod();
    pod['spec'].containers = [{ ...app(pod), volumeMounts: [...app(pod).volumeMounts, ...target(pod).volumeMounts] }];
    expect(problemsOf(pod, { ...DEFAULT_POD_CONTRACT, injectionContainer: 'app' })).toEqual([]);
    expect(problemsOf(pod)[0]).toMatch(/^Pod\/orders: no container named "authenticator"/);
  });

  it("takes each pod's injection target from its own Conjur host when given the policy", () => {
    const hosts = parseConjurHosts(['- !policy', '  id: apps', '  body:', '    - !host', '      id: orders', '      annotations:', '        authn-k8s/authentication-container-name: app', ''].join('\n'));
    expect(hosts).toEqual(new Map([['apps/orders', { 'authn-k8s/authentication-container-name': 'app' }]]));
    const pod = goodPod();
    pod['spec'].containers = [{ ...app(pod), volumeMounts: [...app(pod).volumeMounts, ...target(pod).volumeMounts] }];
    expect(problemsOf(pod, { ...DEFAULT_POD_CONTRACT, hosts })).toEqual([]);
    pod['metadata'].annotations['conjur.org/authn-login'] = 'host/apps/unknown';
    expect(problemsOf(pod, { ...DEFAULT_POD_CONTRACT, hosts })).toEqual([
      'Pod/orders: conjur.org/authn-login names host/apps/unknown, which the Conjur policy does not declare',
      expect.stringMatching(/^Pod\/orders: no container named "authenticator"/),
    ]);
  });

  const restrictedCases: { name: string; change(pod: Json): void; expect: string }[] = [
    { name: 'the socket is a hostPath', change: (p) => (volume(p, 'agent-socket').csi = undefined, volume(p, 'agent-socket').hostPath = { path: '/run/conjur-spiffe' }), expect: 'restricted volume types (volume "agent-socket" uses restricted volume type "hostPath")' },
    { name: 'the pod shares the host PID namespace', change: (p) => (p['spec'].hostPID = true), expect: 'host namespaces (hostPID=true)' },
    { name: 'a container is privileged', change: (p) => (app(p).securityContext.privileged = true), expect: 'privileged (container "app" must not set securityContext.privileged=true)' },
    { name: 'a capability beyond the default set is added', change: (p) => (target(p).securityContext.capabilities.add = ['SYS_ADMIN']), expect: 'unrestricted capabilities (container "authenticator" must not add "SYS_ADMIN" to securityContext.capabilities.add)' },
    { name: 'the injection target allows privilege escalation', change: (p) => delete target(p).securityContext.allowPrivilegeEscalation, expect: 'allowPrivilegeEscalation != false (container "authenticator" must set securityContext.allowPrivilegeEscalation=false)' },
    { name: 'runAsNonRoot is not set', change: (p) => delete p['spec'].securityContext.runAsNonRoot, expect: 'runAsNonRoot != true (containers "app", "authenticator" must set securityContext.runAsNonRoot=true (or the pod must))' },
    { name: 'a container runs as uid 0', change: (p) => (target(p).securityContext.runAsUser = 0), expect: 'runAsUser=0 (container "authenticator" must not set runAsUser=0)' },
    { name: 'no seccomp profile is set', change: (p) => delete p['spec'].securityContext.seccompProfile, expect: 'seccompProfile (containers "app", "authenticator" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost" (or the pod must))' },
    { name: 'a container is Unconfined', change: (p) => (target(p).securityContext.seccompProfile = { type: 'Unconfined' }), expect: 'seccompProfile (container "authenticator" must not set securityContext.seccompProfile.type to anything but "RuntimeDefault" or "Localhost")' },
    { name: 'capabilities are not all dropped', change: (p) => delete target(p).securityContext.capabilities, expect: 'unrestricted capabilities (container "authenticator" must set securityContext.capabilities.drop=["ALL"])' },
    { name: 'a volume type restricted forbids is used', change: (p) => p['spec'].volumes.push({ name: 'repo', gitRepo: { repository: 'x' } }), expect: 'restricted volume types (volume "repo" uses restricted volume type "gitRepo")' },
    { name: 'a port is opened on the host', change: (p) => (app(p).ports = [{ containerPort: 8443, hostPort: 8443 }]), expect: 'hostPort (container "app" must not use hostPort)' },
    { name: 'an unsafe sysctl is set', change: (p) => (p['spec'].securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]), expect: 'forbidden sysctls (kernel.msgmax)' },
    { name: 'a probe targets another host', change: (p) => (app(p).livenessProbe = { httpGet: { host: '10.0.0.1', port: 80 } }), expect: 'probe or lifecycle host (container "app" must not set host in probes or lifecycle handlers)' },
  ];
  for (const c of restrictedCases) {
    it(`reports the Pod Security restricted violation when ${c.name}`, () => {
      const pod = goodPod();
      c.change(pod);
      expect(problemsOf(pod)).toEqual([`Pod/orders: Pod Security restricted: ${c.expect}`]);
    });
  }

  const template = (kind: string, wrap: (spec: Json) => Json): Json => ({ apiVersion: 'apps/v1', kind, metadata: { name: 'orders' }, ...wrap({ metadata: goodPod()['metadata'], spec: goodPod()['spec'] }) });
  const kinds: [string, Json][] = [
    ['Deployment', template('Deployment', (t) => ({ spec: { template: t } }))],
    ['StatefulSet', template('StatefulSet', (t) => ({ spec: { template: t } }))],
    ['DaemonSet', template('DaemonSet', (t) => ({ spec: { template: t } }))],
    ['Job', template('Job', (t) => ({ spec: { template: t } }))],
    ['CronJob', template('CronJob', (t) => ({ spec: { jobTemplate: { spec: { template: t } } } }))],
  ];
  for (const [kind, object] of kinds) {
    it(`reads the pod template of a ${kind}`, () => {
      expect(checkPodManifest(stringify(object))).toEqual({ workloads: [`${kind}/orders`], problems: [] });
      object['spec'] = JSON.parse(JSON.stringify(object['spec']).replace('"RuntimeDefault"', '"Unconfined"'));
      expect(checkPodManifest(stringify(object)).problems).toEqual([`${kind}/orders: Pod Security restricted: seccompProfile (the pod must not set securityContext.seccompProfile.type to "Unconfined"; containers "app", "authenticator" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost" (or the pod must))`]);
    });
  }

  it('reads JSON, several YAML documents and Lists, and passes over objects that hold no pod', () => {
    const broken = goodPod();
    broken['metadata'].name = 'broken';
    delete broken['metadata'].annotations;
    const yaml = [stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }), stringify(goodPod()), stringify({ apiVersion: 'v1', kind: 'List', items: [broken] })].join('---\n');
    expect(checkPodManifest(yaml)).toEqual({ workloads: ['Pod/orders', 'Pod/broken'], problems: [expect.stringMatching(/^Pod\/broken: no conjur.org\/authn-login annotation/)] });
    expect(checkPodManifest(JSON.stringify(goodPod()))).toEqual({ workloads: ['Pod/orders'], problems: [] });
  });

  it('names a document that is not YAML, and still checks the others', () => {
    const report = checkPodManifest(`${stringify(goodPod())}---\nkind: Pod\nspec: [unclosed\n`);
    expect(report.workloads).toEqual(['Pod/orders']);
    expect(report.problems).toEqual([expect.stringMatching(/^document 2: not valid YAML or JSON: /)]);
  });

  it('survives fields of the wrong type (reads them as absent) without throwing', () => {
    const pod = goodPod();
    pod['spec'].containers[0].volumeMounts = 'nope';
    pod['spec'].volumes = { not: 'a list' };
    pod['spec'].securityContext = 7;
    expect(() => checkPodManifest(stringify(pod))).not.toThrow();
    expect(checkPodManifest(stringify(pod)).problems.length).toBeGreaterThan(0);
  });
});
