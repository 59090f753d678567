import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CitizenRecord } from '../domain/citizen/state.js';
import { Jurisdiction } from './jurisdiction.js';

const clerk = (unit: string | undefined, roles: readonly string[] = ['clerk']) =>
  Jurisdiction.of({ roles, unit, grant: { limit: 'jurisdiction' } });

/** Only the residence matters here. */
const residingAt = (provinceCode: string, communeCode: string, since: string) =>
  ({ permanentResidence: { provinceCode, communeCode, detail: '', since } }) as unknown as CitizenRecord;

describe('Jurisdiction', () => {
  it('reads a 2-digit unit as a province and a 5-digit one as a commune of the map in force', () => {
    const canTho = clerk('92');
    assert.equal(canTho.refusalFor({ provinceCode: '092', communeCode: '31135' }), undefined);
    assert.equal(canTho.refusalFor({ provinceCode: '079', communeCode: '25747' }), 'OUTSIDE_JURISDICTION');
    const caiKhe = clerk('31120');
    assert.equal(caiKhe.refusalFor({ provinceCode: '092', communeCode: '31120' }), undefined);
    assert.equal(caiKhe.refusalFor({ provinceCode: '092', communeCode: '31135' }), 'OUTSIDE_JURISDICTION');
    assert.equal(caiKhe.refusalForCommune('31135'), 'OUTSIDE_JURISDICTION');
    assert.equal(canTho.refusalForCommune('31135'), undefined);
    assert.equal(canTho.refusalForCommune('25747'), 'OUTSIDE_JURISDICTION');
    assert.equal(canTho.refusalForCommune('99999'), 'OUTSIDE_JURISDICTION', 'no such commune today');
  });

  it('gives no jurisdiction for a missing, malformed or superseded unit', () => {
    for (const unit of [undefined, '', '7', '079', '1234', 'hn', '74', '00013']) {
      // 74 (Bình Dương) and 00013 (Phường Quán Thánh) ended with the 2025 reorganisation.
      const none = clerk(unit);
      assert.equal(none.admission(), 'NO_JURISDICTION', String(unit));
      assert.equal(none.refusalFor({ provinceCode: '079', communeCode: null }), 'NO_JURISDICTION');
    }
  });

  it('is lifted by the role national and by a grant without the jurisdiction limit', () => {
    for (const j of [
      clerk(undefined, ['clerk', 'national']),
      clerk('92', ['clerk', 'national']),
      Jurisdiction.of({ roles: ['admin'], unit: undefined, grant: { limit: 'none' } }),
    ]) {
      assert.equal(j.limited, false);
      assert.equal(j.admission(), undefined);
      assert.equal(j.refusalFor({ provinceCode: null, communeCode: null }), undefined);
      assert.equal(j.refusalForReport('001', ''), undefined);
      assert.equal(j.searchFilter(5), undefined);
    }
  });

  it('places a record by its permanent residence on today’s map', () => {
    const hcm = clerk('79');
    // Recorded in Bình Dương before 2025: Thủ Dầu Một ward of Hồ Chí Minh City today.
    assert.equal(hcm.refusalForRecord(residingAt('074', '25753', '2020-06-01')), undefined);
    assert.equal(clerk('25747').refusalForRecord(residingAt('074', '25753', '2020-06-01')), undefined);
    // A ward divided in 2025 still lies in its province, but in no commune until re-coded.
    assert.equal(clerk('01').refusalForRecord(residingAt('001', '00040', '2020-06-01')), undefined);
    assert.equal(
      clerk('00070').refusalForRecord(residingAt('001', '00040', '2020-06-01')),
      'OUTSIDE_JURISDICTION',
    );
    // No residence: in no unit.
    const homeless = { permanentResidence: null } as unknown as CitizenRecord;
    assert.equal(hcm.refusalForRecord(homeless), 'OUTSIDE_JURISDICTION');
  });

  it('limits quality reports to the unit: a commune clerk to their commune alone', () => {
    assert.equal(clerk('92').refusalForReport('092', ''), undefined);
    assert.equal(clerk('92').refusalForReport('092', '31120'), undefined);
    assert.equal(clerk('92').refusalForReport('001', ''), 'OUTSIDE_JURISDICTION');
    assert.equal(clerk('31120').refusalForReport('092', '31120'), undefined);
    assert.equal(clerk('31120').refusalForReport('092', ''), 'OUTSIDE_JURISDICTION');
    assert.equal(clerk('31120').refusalForReport('001', '31120'), 'OUTSIDE_JURISDICTION');
  });

  it('filters a limited search by the resolved units of reg_citizens', () => {
    assert.deepEqual(clerk('92').searchFilter(5), { sql: 'province_code = $5', value: '092' });
    assert.deepEqual(clerk('31120').searchFilter(5), { sql: 'commune_code = $5', value: '31120' });
  });
});
