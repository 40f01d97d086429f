// Original file: proto/spiffe/workload/workload.proto


export interface WITSVIDRequest {
  'spiffe_id'?: (string);
}

export interface WITSVIDRequest__Output {
  'spiffe_id': (string);
}
