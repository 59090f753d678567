import { readUint, uintBytes } from '../bytes.js';
import { readSmallInteger } from '../asn1/der-read.js';
import { derInteger } from '../asn1/der.js';
import { constructed, decodeTlv, expectTag, primitive, requireChild, type Tlv } from '../tlv/tlv.js';
import { dataGroupTag } from './data-groups.js';
import { LdsError } from './errors.js';
import { decodeFaceRecord, encodeFaceRecord, type FaceImage, type FaceImageInput } from './face-record.js';

/** Doc 9303 Part 10 §4.7.2 and ISO/IEC 7816-11 templates. */
const GROUP_TEMPLATE = 0x7f61;
const INSTANCE_COUNT = 0x02;
const INFORMATION_TEMPLATE = 0x7f60;
const HEADER_TEMPLATE = 0xa1;
const HEADER_VERSION = 0x80;
const BIOMETRIC_TYPE = 0x81;
const FORMAT_OWNER = 0x87;
const FORMAT_TYPE = 0x88;
const BIOMETRIC_DATA = 0x5f2e;

/** ISO/IEC JTC 1/SC 37 owns the format; type 0x0008 is the ISO/IEC 19794-5 face image. */
const SC37 = 0x0101;
const FACE_FORMAT = 0x0008;
/** CBEFF biometric type "facial features". */
const FACIAL_FEATURES = 0x02;

export interface Dg2Face {
  readonly formatOwner: number;
  readonly formatType: number;
  /** The images of this biometric data block; Doc 9303 recommends one per block. */
  readonly images: readonly FaceImage[];
}

/** DG2 with one biometric information template, holding one facial record, per face image. */
export function buildDg2(faces: readonly FaceImageInput[]): Uint8Array {
  if (faces.length === 0) throw new LdsError('DG2 needs at least one face image');
  const templates = faces.map((face) =>
    constructed(
      INFORMATION_TEMPLATE,
      constructed(
        HEADER_TEMPLATE,
        primitive(HEADER_VERSION, uintBytes(0x0101, 2)),
        primitive(BIOMETRIC_TYPE, Uint8Array.of(FACIAL_FEATURES)),
        primitive(FORMAT_OWNER, uintBytes(SC37, 2)),
        primitive(FORMAT_TYPE, uintBytes(FACE_FORMAT, 2)),
      ),
      primitive(BIOMETRIC_DATA, encodeFaceRecord([face])),
    ),
  );
  return constructed(dataGroupTag(2), constructed(GROUP_TEMPLATE, derInteger(faces.length), ...templates));
}

function twoByteField(header: Tlv, tag: number, what: string): number {
  const { value } = requireChild(header, tag, `DG2 biometric header ${what}`);
  if (value.length !== 2) throw new LdsError(`DG2 biometric header: ${what} is ${value.length} bytes, not 2`);
  return readUint(value, 0, 2);
}

function parseTemplate(template: Tlv): Dg2Face {
  const header = requireChild(template, HEADER_TEMPLATE, 'DG2 biometric information template');
  const formatOwner = twoByteField(header, FORMAT_OWNER, 'format owner');
  const formatType = twoByteField(header, FORMAT_TYPE, 'format type');
  if (formatOwner !== SC37 || formatType !== FACE_FORMAT) {
    throw new LdsError(
      `DG2: biometric format ${formatOwner.toString(16)}/${formatType.toString(16)} is not ISO/IEC 19794-5`,
    );
  }
  const data = requireChild(template, BIOMETRIC_DATA, 'DG2 biometric information template');
  return { formatOwner, formatType, images: decodeFaceRecord(data.value) };
}

export function parseDg2(bytes: Uint8Array): Dg2Face[] {
  const dg2 = expectTag(decodeTlv(bytes), dataGroupTag(2), 'DG2');
  const group = requireChild(dg2, GROUP_TEMPLATE, 'DG2');
  const count = readSmallInteger(
    requireChild(group, INSTANCE_COUNT, 'DG2 group template'),
    'DG2 instance count',
  );
  const templates = group.children.filter((c) => c.tag === INFORMATION_TEMPLATE);
  if (templates.length !== count) {
    throw new LdsError(`DG2 announces ${count} biometric templates and holds ${templates.length}`);
  }
  return templates.map(parseTemplate);
}
