import { randomBytes } from 'node:crypto';
import type { handleBidiStreamingCall, ServerDuplexStream } from '@grpc/grpc-js';
import { F } from '../log/index.js';
import type { Logger } from '../log/index.js';
import type { DiscoveryRequest__Output } from '../gen/envoy/service/discovery/v3/DiscoveryRequest.js';
import type { DiscoveryResponse } from '../gen/envoy/service/discovery/v3/DiscoveryResponse.js';
import { authorizeCaller, serveStream, WorkloadApiError } from '../workload-api/index.js';
import type { CallerDeps, StreamDeps, SvidSubscriptions } from '../workload-api/index.js';
import type { SdsObserver } from './ports.js';
import { SecretStream } from './secret-stream.js';
import type { PlannedResponse, RequestStep } from './secret-stream.js';
import type { SdsOptions } from './sds-options.js';
import type { SecretSetCache } from './secret-set.js';

export interface StreamSecretsDeps extends StreamDeps, CallerDeps {
  readonly svids: SvidSubscriptions;
  readonly options: SdsOptions;
  /** Shared by every stream and fetch, so a pod's streams encode a rotation once. */
  readonly sets: SecretSetCache;
  readonly observer: SdsObserver;
  /** Counts this service's open streams (the `..._sds_streams` gauge). */
  readonly onStreamOpen: () => () => void;
}

/** A nonce no earlier response on any stream had: 64 random bits. */
export function randomNonce(): string {
  return randomBytes(8).toString('hex');
}

/**
 * StreamSecrets: the caller is attested from the kernel as for FetchX509SVID (no security header:
 * Envoy sends none), then every request and every new X.509 context goes through the stream's
 * xDS bookkeeping (SecretStream), which says what to send. Attestation and issuance failures end
 * the stream with the same statuses as FetchX509SVID.
 */
export function streamSecrets(deps: StreamSecretsDeps): handleBidiStreamingCall<DiscoveryRequest__Output, DiscoveryResponse> {
  return (call) =>
    serveStream(call, deps, async ({ peer, signal, send, logFields }) => {
      const closeGauge = deps.onStreamOpen();
      const local = linkedController(signal);
      const stream = new SecretStream(deps.options, randomNonce, deps.sets);
      // A bad request, or a push that cannot be sent, ends only this stream (`local`); the call
      // then ends with that error's status.
      const endStream = (error: unknown) => local.abort(error);
      const stopReading = readRequests(call, (request) => {
        const step = stream.onRequest(request);
        logRequest(deps.logger, step, logFields);
        if (step.kind === 'nack') deps.observer.nacked();
        if (step.planned) push(step.planned).catch(endStream);
      }, endStream);
      const push = async (planned: PlannedResponse) => {
        deps.logger.debug('Sent secrets', { ...logFields, [F.versionInfo]: planned.versionInfo, [F.nonce]: planned.nonce, [F.count]: planned.secretCount });
        deps.observer.pushed(planned.trigger);
        await send(planned.response);
      };
      const endedHere = () => (local.signal.aborted && !signal.aborted ? (local.signal.reason as unknown) : undefined);
      try {
        const identity = await authorizeCaller(peer, deps, local.signal, logFields);
        for await (const context of deps.svids.subscribe(identity, local.signal)) {
          if (context.svids.length === 0) throw new WorkloadApiError('no-identity', 'the X.509 context holds no SVIDs');
          const planned = stream.onContext(context);
          if (planned) await push(planned);
        }
      } catch (error) {
        throw endedHere() ?? error;
      } finally {
        stopReading();
        closeGauge();
      }
      const ended = endedHere();
      if (ended !== undefined) throw ended;
    });
}

/**
 * Feeds each request to `onRequest` until the call ends; a request it throws on (bad input) is
 * handed to `onInvalid` and reading stops. A client that half-closes keeps receiving pushes.
 */
function readRequests(
  call: ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>,
  onRequest: (request: DiscoveryRequest__Output) => void,
  onInvalid: (error: unknown) => void,
): () => void {
  const onData = (request: DiscoveryRequest__Output) => {
    try {
      onRequest(request);
    } catch (error) {
      call.off('data', onData);
      onInvalid(error);
    }
  };
  call.on('data', onData);
  return () => call.off('data', onData);
}

function logRequest(log: Logger, step: RequestStep, fields: Record<string, unknown>): void {
  const names = { ...fields, [F.resourceNames]: step.names };
  switch (step.kind) {
    case 'nack':
      // Envoy's own words on why it could not apply the secrets: what an operator needs first.
      log.warn('Client rejected secrets', { ...names, [F.versionInfo]: step.rejectedVersion, [F.reason]: step.errorDetail });
      return;
    case 'stale':
      log.debug('Ignored request for an older response', names);
      return;
    case 'ack':
      log.debug('Client applied secrets', names);
      return;
    default:
      log.debug('Secrets requested', names);
  }
}

/** An AbortController that also aborts (with the same reason) when `parent` does. */
function linkedController(parent: AbortSignal): AbortController {
  const controller = new AbortController();
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
  return controller;
}

