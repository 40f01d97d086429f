// Original file: proto/conjur/spiffe/v1/token.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { FetchConjurTokenRequest as _conjur_spiffe_v1_FetchConjurTokenRequest, FetchConjurTokenRequest__Output as _conjur_spiffe_v1_FetchConjurTokenRequest__Output } from '../../../conjur/spiffe/v1/FetchConjurTokenRequest.js';
import type { FetchConjurTokenResponse as _conjur_spiffe_v1_FetchConjurTokenResponse, FetchConjurTokenResponse__Output as _conjur_spiffe_v1_FetchConjurTokenResponse__Output } from '../../../conjur/spiffe/v1/FetchConjurTokenResponse.js';

export interface ConjurTokenServiceClient extends grpc.Client {
  FetchConjurToken(argument: _conjur_spiffe_v1_FetchConjurTokenRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_conjur_spiffe_v1_FetchConjurTokenResponse__Output>;
  FetchConjurToken(argument: _conjur_spiffe_v1_FetchConjurTokenRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_conjur_spiffe_v1_FetchConjurTokenResponse__Output>;
  fetchConjurToken(argument: _conjur_spiffe_v1_FetchConjurTokenRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_conjur_spiffe_v1_FetchConjurTokenResponse__Output>;
  fetchConjurToken(argument: _conjur_spiffe_v1_FetchConjurTokenRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_conjur_spiffe_v1_FetchConjurTokenResponse__Output>;
  
}

export interface ConjurTokenServiceHandlers extends grpc.UntypedServiceImplementation {
  FetchConjurToken: grpc.handleServerStreamingCall<_conjur_spiffe_v1_FetchConjurTokenRequest__Output, _conjur_spiffe_v1_FetchConjurTokenResponse>;
  
}

export interface ConjurTokenServiceDefinition extends grpc.ServiceDefinition {
  FetchConjurToken: MethodDefinition<_conjur_spiffe_v1_FetchConjurTokenRequest, _conjur_spiffe_v1_FetchConjurTokenResponse, _conjur_spiffe_v1_FetchConjurTokenRequest__Output, _conjur_spiffe_v1_FetchConjurTokenResponse__Output>
}
