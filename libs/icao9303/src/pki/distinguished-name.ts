import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { Oid } from '../asn1/oids.js';
import { PkiError } from './errors.js';

/** The name attributes Doc 9303 Part 12 §7.1.1 uses for CSCA and Document Signer certificates. */
export interface DistinguishedName {
  /** ISO 3166-1 alpha-2, upper case: `VN`. Must be the same in the CSCA and its Document Signers. */
  readonly country: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly commonName: string;
  readonly serialNumber?: string;
}

function rdn(type: string, value: AttributeValue): RelativeDistinguishedName {
  return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
}

/** countryName and serialNumber are PrintableString by their definitions; the rest UTF8String. */
export function toX509Name(name: DistinguishedName): Name {
  if (!/^[A-Z]{2}$/.test(name.country))
    throw new PkiError(`country ${JSON.stringify(name.country)} is not ISO 3166 alpha-2`);
  const utf8 = (type: string, text: string | undefined): RelativeDistinguishedName[] =>
    text === undefined ? [] : [rdn(type, new AttributeValue({ utf8String: text }))];
  return new Name([
    rdn(Oid.countryName, new AttributeValue({ printableString: name.country })),
    ...utf8(Oid.organizationName, name.organization),
    ...utf8(Oid.organizationalUnitName, name.organizationalUnit),
    ...utf8(Oid.commonName, name.commonName),
    ...(name.serialNumber === undefined
      ? []
      : [rdn(Oid.serialNumber, new AttributeValue({ printableString: name.serialNumber }))]),
  ]);
}
