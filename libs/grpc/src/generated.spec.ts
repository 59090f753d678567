import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// dist/generated.spec.js → libs/grpc
const lib = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(lib, '../../node_modules/.bin');

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/** Runs `buf generate` for a module into a scratch directory and compares with the committed code. */
function assertFresh(module: string, generated: string): void {
  const out = mkdtempSync(join(tmpdir(), 'cancuoc-grpc-proto-'));
  try {
    // The templates write to ../src/…, relative to the module; -o redirects that below `out`.
    const result = spawnSync('buf', ['generate', '-o', join(out, module)], {
      cwd: join(lib, module),
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}` },
    });
    assert.equal(result.status, 0, `buf generate failed: ${result.stderr}`);
    const fresh = join(out, generated);
    const committed = join(lib, generated);
    assert.deepEqual(files(committed), files(fresh), 'the generated files differ; run nx run grpc:proto');
    for (const file of files(fresh)) {
      assert.ok(
        readFileSync(join(fresh, file)).equals(readFileSync(join(committed, file))),
        `${generated}/${file} is stale; run nx run grpc:proto`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe('generated code', () => {
  it('src/gen is what buf generates from proto/ (google.rpc, grpc.health.v1)', () => {
    assertFresh('proto', 'src/gen');
  });

  it('src/test-support/gen is what buf generates from test-proto/', () => {
    assertFresh('test-proto', 'src/test-support/gen');
  });
});
