import { constants } from 'node:http2';
import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { TokenBucket } from '../async/index.js';
import type { Clock } from '../async/index.js';
import type { LimitRefusal } from './caller-limits.js';

/**
 * nghttp2's own Rapid Reset limiter (CVE-2023-44487): per session a bucket of 1,000 stream resets
 * refilled at 33 a second; when it is empty the session gets GOAWAY(INTERNAL_ERROR) and every
 * open stream fails. Node >= 23 lets a server set it (streamResetBurst/streamResetRate, which
 * the endpoint raises out of the way); Node 20 and 22 ignore those options.
 */
export const NGHTTP2_RESET_BURST = 1000;
export const NGHTTP2_RESET_RATE = 33;
/** Close gracefully while this many resets are still left, before nghttp2 closes with an error. */
const RECYCLE_MARGIN = 200;
const MAX_STREAM_ID = 2 ** 31 - 1;
const GOAWAY_FLUSH_MS = 50;

export interface SessionGuardOptions {
  readonly handshakeTimeoutMs: number;
  readonly earlyResetBurst: number;
  /** Takes one early reset from the caller's budget (per pod, CallerLimits); false once spent. */
  readonly takeEarlyReset: () => boolean;
  /** True where Node applies streamResetBurst/streamResetRate (the endpoint then lifts nghttp2's limit). */
  readonly resetLimitLifted: boolean;
  readonly clock: Clock;
  /** A bound closed the connection. */
  readonly onClosed: (refusal: LimitRefusal) => void;
}

/**
 * Per-connection HTTP/2 policy, from the session's own events:
 * - handshake: a connection that has not sent the preface and its SETTINGS within
 *   `handshakeTimeoutMs` is closed (it holds a socket and a pidfd for nothing);
 * - Rapid Reset: streams the client resets before the agent sent them a message (no answer yet,
 *   or only a status) cost the agent work and the client nothing, so they are bounded per pod
 *   (a token bucket, `earlyResetBurst` / `earlyResetRate`, kept by CallerLimits so that a new
 *   connection does not refill it); over it the session gets GOAWAY(ENHANCE_YOUR_CALM). A
 *   stream cancelled after its first message (a fetch: open, take the first message, cancel)
 *   is never held against the client;
 * - where nghttp2's fixed reset limit still applies (Node < 23), the session is closed
 *   gracefully (GOAWAY NO_ERROR: open streams finish, clients open a new connection for new
 *   calls) shortly before that limit would close it with an error, so a client that cancels
 *   after each first message never sees a failed call.
 */
export class SessionGuard {
  private cancelHandshakeTimer: (() => void) | undefined;
  private readonly allResets: TokenBucket | undefined;
  private recycled = false;
  /** Set once a bound closes the session: the streams that close after that count no more. */
  private cut = false;

  constructor(
    private readonly session: ServerHttp2Session,
    private readonly options: SessionGuardOptions,
  ) {
    const now = options.clock.now();
    this.allResets = options.resetLimitLifted ? undefined : new TokenBucket(NGHTTP2_RESET_BURST, NGHTTP2_RESET_RATE, now);
    this.cancelHandshakeTimer = options.clock.setTimer(() => this.handshakeTimedOut(), options.handshakeTimeoutMs);
    session.once('remoteSettings', () => this.stopHandshakeTimer());
    session.once('close', () => this.stopHandshakeTimer());
    session.on('stream', (stream: ServerHttp2Stream) => stream.once('close', () => this.streamClosed(stream)));
  }

  private stopHandshakeTimer(): void {
    this.cancelHandshakeTimer?.();
    this.cancelHandshakeTimer = undefined;
  }

  private handshakeTimedOut(): void {
    this.cancelHandshakeTimer = undefined;
    if (this.session.destroyed) return;
    this.options.onClosed({
      limit: 'handshakeTimeout',
      message: `connection closed: no HTTP/2 preface within ${this.options.handshakeTimeoutMs} ms (limits.handshakeTimeout)`,
    });
    this.session.destroy();
  }

  private streamClosed(stream: ServerHttp2Stream): void {
    if (stream.rstCode === undefined || stream.rstCode === constants.NGHTTP2_NO_ERROR || this.cut || this.session.destroyed) return;
    const now = this.options.clock.now();
    if (!answeredBeforeReset(stream) && !this.options.takeEarlyReset()) {
      this.cut = true;
      this.options.onClosed({
        limit: 'earlyResets',
        message: `connection closed: the pod cancelled more than ${this.options.earlyResetBurst} calls before their first answer (limits.earlyResetBurst, limits.earlyResetRate)`,
      });
      // Node hands a session all the bytes already read at once (often a hundred streams or
      // more, each opened and reset) and emits their 'stream' events afterwards, so this runs
      // after all of them were parsed. Their events are still queued: with no listener left
      // (grpc-js's included) they cost nothing more, and once the GOAWAY is out nghttp2 ignores
      // new streams. GOAWAY first, then cut the connection once that frame had its turn to be
      // written: a destroy() at once sends its own GOAWAY(NO_ERROR) instead, racing ours.
      this.session.removeAllListeners('stream');
      this.session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
      this.options.clock.setTimer(() => this.session.destroy(), GOAWAY_FLUSH_MS);
      return;
    }
    if (this.allResets && !this.recycled) {
      this.allResets.take(now);
      if (this.allResets.available(now) <= RECYCLE_MARGIN) {
        this.recycled = true;
        // As grpc-js does at its max connection age: GOAWAY naming no last stream, so calls in
        // flight are still served, then close once the open streams end.
        this.session.goaway(constants.NGHTTP2_NO_ERROR, MAX_STREAM_ID);
        this.session.close();
      }
    }
  }
}

/**
 * Whether the agent had sent this stream a message when the client reset it. grpc-js sends the
 * response headers together with the first message; headers that carry `grpc-status` are a
 * trailers-only answer (the call ended, typically refused), which a client has no reason to reset.
 */
function answeredBeforeReset(stream: ServerHttp2Stream): boolean {
  const headers = stream.sentHeaders as Record<string, unknown> | undefined;
  return headers !== undefined && headers['grpc-status'] === undefined;
}
