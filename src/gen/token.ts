import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ConjurTokenServiceClient as _conjur_spiffe_v1_ConjurTokenServiceClient, ConjurTokenServiceDefinition as _conjur_spiffe_v1_ConjurTokenServiceDefinition } from './conjur/spiffe/v1/ConjurTokenService.js';
import type { FetchConjurTokenRequest as _conjur_spiffe_v1_FetchConjurTokenRequest, FetchConjurTokenRequest__Output as _conjur_spiffe_v1_FetchConjurTokenRequest__Output } from './conjur/spiffe/v1/FetchConjurTokenRequest.js';
import type { FetchConjurTokenResponse as _conjur_spiffe_v1_FetchConjurTokenResponse, FetchConjurTokenResponse__Output as _conjur_spiffe_v1_FetchConjurTokenResponse__Output } from './conjur/spiffe/v1/FetchConjurTokenResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  conjur: {
    spiffe: {
      v1: {
        ConjurTokenService: SubtypeConstructor<typeof grpc.Client, _conjur_spiffe_v1_ConjurTokenServiceClient> & { service: _conjur_spiffe_v1_ConjurTokenServiceDefinition }
        FetchConjurTokenRequest: MessageTypeDefinition<_conjur_spiffe_v1_FetchConjurTokenRequest, _conjur_spiffe_v1_FetchConjurTokenRequest__Output>
        FetchConjurTokenResponse: MessageTypeDefinition<_conjur_spiffe_v1_FetchConjurTokenResponse, _conjur_spiffe_v1_FetchConjurTokenResponse__Output>
      }
    }
  }
}

