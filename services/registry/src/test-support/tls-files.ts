import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TlsFiles } from '@cancuoc/grpc';

const run = promisify(execFile);

/** A P-256 key and a certificate for `subject` signed by the CA in `dir`, with `extensions`. */
async function issue(dir: string, name: string, subject: string, extensions: string): Promise<TlsFiles> {
  const file = (suffix: string) => join(dir, `${name}.${suffix}`);
  await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    file('key'),
    '-out',
    file('csr'),
    '-subj',
    `/CN=${subject}`,
  ]);
  await writeFile(file('ext'), extensions);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('csr'),
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    file('ext'),
    '-out',
    file('crt'),
  ]);
  return { certFile: file('crt'), keyFile: file('key'), caFile: join(dir, 'ca.crt') };
}

/**
 * A platform CA of its own in `dir` (openssl), the registry's server certificate for 127.0.0.1 and
 * localhost, and a client's: what cert-manager puts in each workload's Secret.
 */
export async function makeTlsFiles(dir: string): Promise<{ server: TlsFiles; client: TlsFiles }> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=cancuoc test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const usage =
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n';
  return {
    server: await issue(
      dir,
      'registry',
      'service:registry',
      `${usage}subjectAltName=DNS:localhost,IP:127.0.0.1,URI:cancuoc:service:registry\n`,
    ),
    client: await issue(
      dir,
      'client',
      'service:enrollment',
      `${usage}subjectAltName=URI:cancuoc:service:enrollment\n`,
    ),
  };
}
