// Original file: proto/spiffe/workload/workload.proto


export interface WITSVID {
  'spiffe_id'?: (string);
  'wit_svid'?: (string);
  'wit_svid_key'?: (string);
  'hint'?: (string);
}

export interface WITSVID__Output {
  'spiffe_id': (string);
  'wit_svid': (string);
  'wit_svid_key': (string);
  'hint': (string);
}
