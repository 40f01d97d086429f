// Original file: proto/spiffe/workload/workload.proto


export interface WITBundlesResponse {
  'bundles'?: ({[key: string]: string});
}

export interface WITBundlesResponse__Output {
  'bundles': ({[key: string]: string});
}
