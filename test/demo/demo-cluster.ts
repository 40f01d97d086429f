import { randomBytes } from 'node:crypto';
import { SimulatedNode } from '../support/simulated-node.js';
import type { SimulatedPod } from '../support/simulated-node.js';

// The world the demo runs in: one simulated Kubernetes node (API server with exec, kubelet,
// Conjur with its authn-k8s service and CA), the agent's own pod, and two application pods in
// namespace `shop`, each with a Conjur host and one secret that only that host may read.

export interface DemoApp {
  readonly name: 'payments' | 'orders';
  readonly pod: SimulatedPod;
  /** The Conjur host id (without `host/`). */
  readonly hostId: string;
  readonly secretId: string;
  /** Fresh per run; the workloads never print it, only a masked form. */
  readonly secretValue: string;
}

export interface DemoCluster {
  readonly node: SimulatedNode;
  readonly agentPod: SimulatedPod;
  readonly payments: DemoApp;
  readonly orders: DemoApp;
}

export async function startDemoCluster(): Promise<DemoCluster> {
  const node = await SimulatedNode.start({ nodeName: 'node-1', account: 'demo', serviceId: 'dev-cluster', trustDomain: 'cluster.local' });
  try {
    const agentPod = node.addAgentPod();
    const payments = addApp(node, 'payments', 'db-password', `pg-${randomBytes(8).toString('hex')}`);
    const orders = addApp(node, 'orders', 'api-key', `ak_${randomBytes(10).toString('hex')}`);
    return { node, agentPod, payments, orders };
  } catch (error) {
    await node.close();
    throw error;
  }
}

function addApp(node: SimulatedNode, name: DemoApp['name'], secretName: string, secretValue: string): DemoApp {
  const hostId = `apps/shop/${name}`;
  const pod = node.addPod({ namespace: 'shop', name, hostId });
  const secretId = `shop/${name}/${secretName}`;
  node.conjur.setVariable(secretId, secretValue, { permitted: [hostId] });
  return { name, pod, hostId, secretId, secretValue };
}
