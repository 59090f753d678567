import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../bytes.js';
import { TlvError } from '../tlv/errors.js';
import { buildEfCom, parseEfCom } from './ef-com.js';
import { LdsError } from './errors.js';

describe('EF.COM', () => {
  it('writes tag 60 with the LDS version, the Unicode version and the data group tag list', () => {
    const com = buildEfCom({ ldsVersion: '0107', unicodeVersion: '040000', dataGroups: [1, 2, 13] });
    assert.equal(toHex(com).toUpperCase(), '60155F0104303130375F36063034303030305C0361756D');
    assert.deepEqual(parseEfCom(com), {
      ldsVersion: '0107',
      unicodeVersion: '040000',
      dataGroups: [1, 2, 13],
    });
  });

  it('refuses versions that are not digits and tags that open no data group', () => {
    assert.throws(
      () => buildEfCom({ ldsVersion: '1.7', unicodeVersion: '040000', dataGroups: [1] }),
      LdsError,
    );
    assert.throws(
      () => buildEfCom({ ldsVersion: '0107', unicodeVersion: '040000', dataGroups: [17] }),
      LdsError,
    );
    assert.throws(() => parseEfCom(fromHex('600E5F0104303130375F360130 5C0161')), LdsError);
    assert.throws(() => parseEfCom(fromHex('60135F0104303130375F3606303430303030 5C0199')), LdsError);
  });

  it('refuses a file that is not EF.COM or lacks the tag list', () => {
    assert.throws(() => parseEfCom(fromHex('61035C0161')), /expected tag 0x60/);
    assert.throws(() => parseEfCom(fromHex('60105F0104303130375F3606303430303030')), TlvError);
  });
});
