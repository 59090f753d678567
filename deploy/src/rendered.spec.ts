import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ownedFolders } from './outputs.js';
import { REPO_ROOT } from './paths.js';
import { drift } from './render.js';

const RENDER = join(REPO_ROOT, 'deploy/dist/render.js');

describe('committed render output is up to date', () => {
  it('matches what the code renders, file by file (run npm run deploy:render if not)', () => {
    assert.deepEqual(drift(REPO_ROOT), { stale: [], missing: [], unexpected: [] });
  });

  // The check must fail when it should: prove it on a copy of the committed files.
  describe('the check itself', () => {
    let root: string;
    before(() => {
      root = mkdtempSync(join(tmpdir(), 'cancuoc-deploy-render-'));
    });
    beforeEach(() => {
      rmSync(join(root, 'deploy'), { recursive: true, force: true });
      for (const folder of ownedFolders())
        cpSync(join(REPO_ROOT, folder), join(root, folder), { recursive: true });
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    const check = () =>
      spawnSync(process.execPath, [RENDER, '--check', '--root', root], { encoding: 'utf8' });

    it('passes on an exact copy', () => {
      const result = check();
      assert.equal(result.status, 0, result.stderr);
    });

    it('fails on a hand edit of a rendered manifest, naming the file', () => {
      appendFileSync(join(root, 'deploy/rendered/prod/30-registry.yaml'), '# tweaked by hand\n');
      const result = check();
      assert.equal(result.status, 1);
      assert.match(result.stderr, /stale: deploy\/rendered\/prod\/30-registry\.yaml/);
      assert.match(result.stderr, /npm run deploy:render/);
    });

    it('fails when a rendered file, the dashboard or a Dockerfile is missing', () => {
      unlinkSync(join(root, 'deploy/rendered/dev/10-kafka.yaml'));
      unlinkSync(join(root, 'deploy/grafana/cancuoc.json'));
      unlinkSync(join(root, 'deploy/images/enrollment/Dockerfile'));
      const { missing } = drift(root);
      assert.deepEqual(missing.sort(), [
        'deploy/grafana/cancuoc.json',
        'deploy/images/enrollment/Dockerfile',
        'deploy/rendered/dev/10-kafka.yaml',
      ]);
      assert.equal(check().status, 1);
    });

    it('fails on a file the render did not write (a leftover of a removed component)', () => {
      writeFileSync(join(root, 'deploy/rendered/dev/40-old.yaml'), 'kind: ConfigMap\n');
      assert.deepEqual(drift(root).unexpected, ['deploy/rendered/dev/40-old.yaml']);
      assert.equal(check().status, 1);
    });

    it('fails when the code changed but the output was not re-rendered', () => {
      // What a changed builder looks like from the outside: the committed text differs.
      const file = join(root, 'deploy/images/registry/Dockerfile');
      writeFileSync(file, 'FROM node:24\n');
      assert.deepEqual(drift(root).stale, ['deploy/images/registry/Dockerfile']);
    });
  });
});
