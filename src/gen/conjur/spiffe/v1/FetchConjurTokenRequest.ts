// Original file: proto/conjur/spiffe/v1/token.proto


export interface FetchConjurTokenRequest {
}

export interface FetchConjurTokenRequest__Output {
}
