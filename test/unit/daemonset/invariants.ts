import { ConfigError } from '../../../src/config/index.js';
import type { AgentConfig } from '../../../src/config/index.js';
import { ACCESS_INVARIANTS } from './access-invariants.js';
import { AGENT_INVARIANTS } from './agent-invariants.js';
import { CSI_INVARIANTS } from './csi-invariants.js';
import type { Invariant } from './agent-invariants.js';
import { agentConfigOf } from './manifests.js';
import type { Manifests } from './manifests.js';
import { WORKLOAD_INVARIANTS } from './workload-invariants.js';

// The whole table and its runner. The first row runs the agent's own configuration loader on
// the ConfigMap, inside a simulation of the agent container (its env and mounts).

export const CONFIG_LOADS = 'the agent loads its configuration from these manifests in its container';

export const INVARIANTS: readonly Invariant[] = [...AGENT_INVARIANTS, ...ACCESS_INVARIANTS, ...WORKLOAD_INVARIANTS, ...CSI_INVARIANTS];

export const INVARIANT_NAMES: readonly string[] = [CONFIG_LOADS, ...INVARIANTS.map((i) => i.name)];

export interface Violation {
  readonly invariant: string;
  readonly problems: readonly string[];
}

/** Every broken invariant with what breaks it; empty when the manifests are sound. */
export function checkManifests(m: Manifests, conjurCaPem: string): Violation[] {
  let config: AgentConfig | undefined;
  let configProblems: string[] = [];
  try {
    config = agentConfigOf(m, conjurCaPem);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configProblems = error.lines();
  }
  const results: Violation[] = [{ invariant: CONFIG_LOADS, problems: configProblems }];
  for (const invariant of INVARIANTS) {
    if (!invariant.usesConfig) results.push({ invariant: invariant.name, problems: invariant.check(m) });
    else if (config !== undefined) results.push({ invariant: invariant.name, problems: invariant.check(m, config) });
  }
  return results.filter((r) => r.problems.length > 0);
}
