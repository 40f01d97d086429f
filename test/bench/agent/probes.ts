import { KubernetesAttestor } from '../../../src/attestation/index.js';
import { ConjurClient } from '../../../src/conjur/index.js';
import { ApiServerPodVerifier, KubeletPodSource } from '../../../src/kube/index.js';

// Timing probes for the agent process of the bench, like an APM agent: the real composition root
// (startAgent) builds everything, and these wrappers on the adapters' prototypes record how long
// each upstream round trip took, so a new pod's first SVID can be split into agent time and
// double time. Only the bench's agent child installs them; src/ knows nothing about it.

export type ProbeKind = 'kubelet' | 'api' | 'inject' | 'authenticate';

export interface ProbeRecord {
  readonly kind: ProbeKind;
  readonly ms: number;
  /** For authenticate: the login, so the agent's own logins can be told apart. */
  readonly detail?: string;
}

export interface Attested {
  readonly pid: number;
  readonly podUid?: string;
  readonly error?: string;
}

export class Probes {
  private records: ProbeRecord[] = [];

  /** Wraps the prototypes; `onAttest` hears every attestation's pid and pod (or failure). */
  install(onAttest: (attested: Attested) => void): void {
    const self = this;
    wrap(KubeletPodSource.prototype, 'findPod', (original) =>
      function (this: KubeletPodSource, ...args: Parameters<KubeletPodSource['findPod']>) {
        return self.time('kubelet', () => original.apply(this, args));
      },
    );
    wrap(ApiServerPodVerifier.prototype, 'getPod', (original) =>
      function (this: ApiServerPodVerifier, ...args: Parameters<ApiServerPodVerifier['getPod']>) {
        return self.time('api', () => original.apply(this, args));
      },
    );
    wrap(ConjurClient.prototype, 'injectClientCert', (original) =>
      function (this: ConjurClient, ...args: Parameters<ConjurClient['injectClientCert']>) {
        return self.time('inject', () => original.apply(this, args));
      },
    );
    wrap(ConjurClient.prototype, 'authenticate', (original) =>
      function (this: ConjurClient, ...args: Parameters<ConjurClient['authenticate']>) {
        return self.time('authenticate', () => original.apply(this, args), args[0]);
      },
    );
    wrap(KubernetesAttestor.prototype, 'attest', (original) =>
      async function (this: KubernetesAttestor, ...args: Parameters<KubernetesAttestor['attest']>) {
        const pid = args[0].credentials.pid;
        try {
          const facts = await original.apply(this, args);
          onAttest({ pid, podUid: facts.podUid });
          return facts;
        } catch (error) {
          onAttest({ pid, error: error instanceof Error ? error.message : String(error) });
          throw error;
        }
      },
    );
  }

  /** Records since the last drain. */
  drain(): { records: ProbeRecord[] } {
    const out = { records: this.records };
    this.records = [];
    return out;
  }

  private async time<T>(kind: ProbeKind, call: () => Promise<T>, detail?: string): Promise<T> {
    const started = process.hrtime.bigint();
    try {
      return await call();
    } finally {
      this.records.push({ kind, ms: Number(process.hrtime.bigint() - started) / 1e6, ...(detail === undefined ? {} : { detail }) });
    }
  }
}

/** Replaces `proto[name]` with `make(original)`; tsc checks the name and the signature. */
function wrap<T, K extends keyof T>(proto: T, name: K, make: (original: T[K]) => T[K]): void {
  proto[name] = make(proto[name]);
}
