import type pg from 'pg';

/** Provinces the synthetic residences are spread over, some merged in 2025 (024, 027, 093). */
export const PROVINCES = ['001', '079', '024', '027', '092', '093', '048', '031'];

/**
 * Writes `count` citizens straight into `ds_citizens`, in the shape the citizen projection writes
 * (a whole register record each, about 700 bytes of JSON), so that a back-fill can be measured on its
 * own. Deterministic: citizen n is always the same person. One in 33 is dead.
 */
export async function seedCitizens(client: pg.Client, count: number, chunk = 100_000): Promise<void> {
  for (let from = 1; from <= count; from += chunk) {
    const to = Math.min(count, from + chunk - 1);
    await client.query(
      `INSERT INTO ds_citizens (citizen_id, state, personal_id, birth_md, changed_at)
       SELECT id, jsonb_build_object(
           'citizenId', id::text, 'recordVersion', 1, 'cards', '{}'::jsonb, 'enrolments', '{}'::jsonb,
           'record', jsonb_build_object(
             'personalId', pid,
             'name', jsonb_build_object(
               'familyName', (ARRAY['Nguyễn','Trần','Lê','Phạm','Hoàng','Huỳnh','Phan','Vũ'])[1 + n % 8],
               'middleName', (ARRAY['Văn','Thị','Hữu','Minh','Ngọc',''])[1 + n % 6],
               'givenName', (ARRAY['An','Bình','Châu','Dũng','Giang','Hà','Khánh','Linh','Mai','Nam'])[1 + n % 10]),
             'birthDate', to_char(birth, 'YYYY-MM-DD'),
             'sex', CASE WHEN n % 2 = 0 THEN 'male' ELSE 'female' END,
             'nationality', 'VNM', 'ethnicity', 'Kinh', 'religion', 'Không',
             'homeTown', jsonb_build_object('provinceCode', province, 'communeCode', '00049', 'detail', ''),
             'birthPlace', jsonb_build_object('provinceCode', province, 'communeCode', '00049', 'detail', ''),
             'permanentResidence', jsonb_build_object('provinceCode', province, 'communeCode', '00004',
                                                      'detail', 'Số ' || n || ', phố Hàng Đào'),
             'temporaryResidence', NULL, 'maritalStatus', 'single',
             'fatherCitizenId', NULL, 'motherCitizenId', NULL, 'spouseCitizenId', NULL,
             'deathDate', CASE WHEN n % 33 = 0 THEN '2020-01-01' END, 'lastVerifiedDate', NULL)),
         pid, (extract(month FROM birth) * 100 + extract(day FROM birth))::smallint, now()
       FROM (
         SELECT n, md5('citizen' || n)::uuid AS id, lpad(n::text, 12, '0') AS pid,
                date '1930-01-01' + ((n::bigint * 7919) % 34000)::int AS birth,
                ($3::text[])[1 + n % array_length($3::text[], 1)] AS province
         FROM generate_series($1::int, $2::int) n
       ) s`,
      [from, to, PROVINCES],
    );
  }
  await client.query('ANALYZE ds_citizens');
}
