// Original file: proto/conjur/spiffe/v1/token.proto

import type { Long } from '@grpc/proto-loader';

export interface FetchConjurTokenResponse {
  'token'?: (Buffer | Uint8Array | string);
  'login'?: (string);
  'expires_at'?: (number | string | Long);
  'spiffe_id'?: (string);
}

export interface FetchConjurTokenResponse__Output {
  'token': (Buffer);
  'login': (string);
  'expires_at': (string);
  'spiffe_id': (string);
}
