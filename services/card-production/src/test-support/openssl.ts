import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs the system openssl in `dir`; a missing openssl fails the test rather than skipping it. */
export function runOpenssl(
  dir: string,
  args: readonly string[],
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.error)
    throw new Error(`openssl could not be run (apt-get install -y openssl): ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A scratch folder with `files` in it, deleted on dispose. */
export function withFiles(
  files: Readonly<Record<string, Uint8Array | string>>,
): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), 'cancuoc-cp-openssl-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), content);
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The data-group numbers and hashes in an LDS security object as `openssl asn1parse` reads it: each
 * DataGroupHash is an INTEGER followed by an OCTET STRING at depth 3.
 */
export function opensslDataGroupHashes(asn1parse: string): Map<number, string> {
  const hashes = new Map<number, string>();
  let number: number | undefined;
  for (const line of asn1parse.split('\n')) {
    if (!line.includes('d=3')) continue;
    const value = /:([0-9A-F]+)\s*$/.exec(line)?.[1];
    if (value === undefined) continue;
    if (line.includes('INTEGER')) number = parseInt(value, 16);
    else if (line.includes('OCTET STRING') && number !== undefined) {
      hashes.set(number, value.toLowerCase());
      number = undefined;
    }
  }
  return hashes;
}
