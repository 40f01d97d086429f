// Original file: proto/spiffe/workload/workload.proto


export interface WITBundlesRequest {
}

export interface WITBundlesRequest__Output {
}
