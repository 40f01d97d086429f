import * as asn1js from 'asn1js';
import { AttributeTypeAndValue, RelativeDistinguishedNames } from 'pkijs';

/** The subject attributes the agent and its test doubles write; emitted in this order (CN, OU, O). */
export interface DistinguishedName {
  readonly commonName?: string;
  readonly organizationalUnit?: string;
  readonly organization?: string;
}

const ATTRIBUTE_OIDS = { commonName: '2.5.4.3', organizationalUnit: '2.5.4.11', organization: '2.5.4.10' } as const;

/**
 * One attribute per RDN (`CN=a, OU=b, O=c`), as OpenSSL writes names. pkijs would put them all
 * in one multi-valued RDN, so the DER is built here and parsed back, which pkijs then re-emits
 * byte for byte.
 */
export function toRdn(name: DistinguishedName): RelativeDistinguishedNames {
  const rdns = (Object.keys(ATTRIBUTE_OIDS) as (keyof DistinguishedName)[])
    .filter((field) => name[field] !== undefined)
    .map((field) => new AttributeTypeAndValue({ type: ATTRIBUTE_OIDS[field], value: new asn1js.Utf8String({ value: name[field] }) }))
    .map((atv) => new asn1js.Set({ value: [atv.toSchema()] }));
  return RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

/** The first CN of a name, or '' when there is none. */
export function commonNameOf(rdn: RelativeDistinguishedNames): string {
  const cn = rdn.typesAndValues.find((t) => t.type === ATTRIBUTE_OIDS.commonName);
  return cn ? String(cn.value.valueBlock.value) : '';
}
