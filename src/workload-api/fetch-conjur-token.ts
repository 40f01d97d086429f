import type { handleServerStreamingCall } from '@grpc/grpc-js';
import type { FetchConjurTokenRequest__Output } from '../gen/conjur/spiffe/v1/FetchConjurTokenRequest.js';
import type { FetchConjurTokenResponse } from '../gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';
import { authorizeCaller } from './authorize-caller.js';
import type { CallerDeps } from './authorize-caller.js';
import { toConjurTokenResponse } from './conjur-token-response.js';
import type { TokenSubscriptions } from './ports.js';
import { serveStream } from './serve-stream.js';
import type { StreamDeps } from './serve-stream.js';

export interface FetchConjurTokenDeps extends StreamDeps, CallerDeps {
  readonly tokens: TokenSubscriptions;
}

/** FetchConjurToken: the caller pod's current Conjur access token at once, then each refresh. */
export function fetchConjurToken(
  deps: FetchConjurTokenDeps,
): handleServerStreamingCall<FetchConjurTokenRequest__Output, FetchConjurTokenResponse> {
  return (call) =>
    serveStream(call, deps, async ({ peer, signal, send, logFields }) => {
      const identity = await authorizeCaller(peer, deps, signal, logFields);
      for await (const token of deps.tokens.subscribeToken(identity, signal)) {
        await send(toConjurTokenResponse(token, identity));
      }
    });
}
