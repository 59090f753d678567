import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const SOURCE_PATH = fileURLToPath(new URL('../kafka-broker/mock-broker.c', import.meta.url));

let building: Promise<string> | undefined;

/**
 * Path of the compiled mock broker, building it on first use. The binary is
 * cached under a hash of the C source, so editing the source rebuilds it.
 */
export function mockBrokerBinary(): Promise<string> {
  building ??= build().catch((error: unknown) => {
    // Let the next call retry, e.g. after the user installed librdkafka-dev.
    building = undefined;
    throw error;
  });
  return building;
}

async function build(): Promise<string> {
  const source = await readFile(SOURCE_PATH);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = await cacheDir();
  const binary = join(dir, `mock-broker-${hash}`);
  if (await isFile(binary)) return binary;

  await mkdir(dir, { recursive: true });
  // Compile to a private name and rename, because test files run in parallel
  // processes that may all build at once and must never exec a partial file.
  const partial = `${binary}.${process.pid}.tmp`;
  try {
    await execFileAsync('gcc', ['-O2', '-o', partial, SOURCE_PATH, '-lrdkafka']);
  } catch (error) {
    await rm(partial, { force: true });
    throw compileError(error);
  }
  await rename(partial, binary);
  return binary;
}

async function cacheDir(): Promise<string> {
  let dir = fileURLToPath(new URL('..', import.meta.url));
  for (;;) {
    const modules = join(dir, 'node_modules');
    if (await isDirectory(modules)) return join(modules, '.cache', 'cancuoc');
    const parent = dirname(dir);
    if (parent === dir) return join(tmpdir(), 'cancuoc-cache');
    dir = parent;
  }
}

function compileError(error: unknown): Error {
  const prefix = 'Cannot build the mock Kafka broker';
  if (!(error instanceof Error)) return new Error(`${prefix}: ${String(error)}`);
  if ('code' in error && error.code === 'ENOENT') {
    return new Error(`${prefix}: gcc is not installed. Install it with \`apt-get install gcc\`.`, {
      cause: error,
    });
  }
  const stderr = 'stderr' in error && typeof error.stderr === 'string' ? error.stderr : error.message;
  const header = /fatal error: (librdkafka\/[\w.]+): No such file or directory/.exec(stderr)?.[1];
  if (header !== undefined) {
    return new Error(
      `${prefix}: the C header <${header}> is missing. ` +
        'Install librdkafka development files with `apt-get install librdkafka-dev`.',
      { cause: error },
    );
  }
  if (/cannot find -lrdkafka/.test(stderr)) {
    return new Error(
      `${prefix}: the linker cannot find librdkafka.so. ` +
        'Install librdkafka development files with `apt-get install librdkafka-dev`.',
      { cause: error },
    );
  }
  return new Error(`${prefix}: gcc failed on ${SOURCE_PATH}:\n${stderr}`, { cause: error });
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
