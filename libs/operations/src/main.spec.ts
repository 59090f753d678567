import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    // A ready token: the commands need no development issuer to find the services away.
    env: { PATH: process.env.PATH, CANCUOC_TOKEN: 'unused' },
  });

describe('main.js: the operator commands without the platform CLI', () => {
  it('lists the commands, runs one, and refuses an unknown one with exit 2', () => {
    const list = run('--help');
    assert.equal(list.status, 0);
    for (const name of ['rebuild', 'redrive', 'audit', 'stuck'])
      assert.match(list.stdout, new RegExp(`^  ${name} `, 'm'));
    assert.equal(run().status, 2);
    const unknown = run('frobnicate');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const help = run('audit', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: cancuoc audit verify/);
    const down = run('audit', 'verify', '--service', 'registry', '--registry', '127.0.0.1:1');
    assert.equal(down.status, 1);
    assert.equal(
      down.stderr,
      'cancuoc audit: registry is unreachable at 127.0.0.1:1 (is it running? --registry)\n',
    );
    const noTopic = run('redrive', 'internal.nobody.nothing.v1');
    assert.equal(noTopic.status, 2);
    assert.match(noTopic.stderr, /is not a topic of the catalogue/);
    for (const wrong of ['10', '5 m', '1w', '5000000000s']) {
      const bad = run('stuck', '--older-than', wrong);
      assert.equal(bad.status, 2, wrong);
      assert.match(bad.stderr, /--older-than must be a duration such as 90s, 10m, 2h or 1d/);
    }
    // Both services away: exit 1, one line for each, and the table's header all the same.
    const away = run(
      'stuck',
      '--older-than',
      '0s',
      '--enrollment',
      '127.0.0.1:1',
      '--card-production',
      '127.0.0.1:1',
    );
    assert.equal(away.status, 1);
    assert.equal(away.stderr.trim().split('\n').length, 2, away.stderr);
    assert.match(away.stdout, /^SERVICE +KIND +ID +STATION +STATE +NEXT +WHO +REASON +FOR$/m);
  });
});
