import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the system `openssl` in `cwd`; a missing binary is an error, never a skipped test. */
export function openssl(cwd: string, ...args: string[]): OpensslResult {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.error)
    throw new Error(`openssl could not be run (apt-get install -y openssl): ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A scratch directory holding `files`, removed by the returned `[Symbol.dispose]`. */
export function scratchDirectory(
  files: Readonly<Record<string, Uint8Array | string>>,
): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), 'icao9303-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), content);
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** PEM of a DER certificate. */
export function certificatePem(der: Uint8Array): string {
  const body = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
