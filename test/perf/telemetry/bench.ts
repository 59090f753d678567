/**
 * What telemetry costs the registry: GetCitizen throughput and latency through the registry's own
 * server (`services/registry/dist/main.js`, PostgreSQL, Redis cache, an audit entry per read) in
 * three configurations, measured in the same run, taking turns over several rounds:
 *
 *   disabled   OTEL_SDK_DISABLED=true: no SDK, the OpenTelemetry API is a no-op
 *   propagated no OTLP endpoint (the embedded default): trace context flows, nothing is recorded
 *   exported   every span recorded and exported over OTLP/gRPC, metrics every 5 s, to a local
 *              collector stand-in that accepts and counts what it receives
 *
 *   tsc -b test/perf && node test/perf/dist/telemetry/bench.js
 *
 * The registry runs in server mode as deployed: mutual TLS, and a clerk's token from the test
 * OpenID provider (in this process; fetched once an hour, not per call).
 *
 * The bench database commits without waiting for the disk (see below), so the figures are CPU-bound.
 * BENCH_SECONDS (default 10) is the length of each measurement; BENCH_ROUNDS (default 3) the
 * number of turns. The load comes from this process, which runs no SDK.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import { closeClient, createClient } from '@cancuoc/grpc';
import { RegistryService, Sex } from '@cancuoc/proto';
import { TEST_REDIS_URL, createTestDatabase } from '@cancuoc/testing';
import { measureLatency, type LatencyResult } from '../registry-import/latency.js';
import { BENCH_CLERK, BenchTrust } from '../support/trust.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CALLERS = 8;
const CITIZENS = 1_000;
const REDIS_DB = 10;
const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ'];
const MIDDLE = ['Văn', 'Thị', 'Đức', 'Ngọc', 'Hữu', 'Minh', 'Thu', 'Quốc', 'Thanh', 'Kim'];
const GIVEN = ['An', 'Bình', 'Chi', 'Dũng', 'Hà', 'Lan', 'Nam', 'Phúc', 'Thảo', 'Vy'];

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = join(root, 'services/registry/dist/main.js');
const log = (line: string) => process.stderr.write(`  ${line}\n`);

type Mode = 'disabled' | 'propagated' | 'exported';
const MODES: readonly Mode[] = ['disabled', 'propagated', 'exported'];

/** A stand-in for the collector: accepts OTLP/gRPC exports of traces and metrics and counts bytes. */
async function startSink(): Promise<{ port: number; bytes: () => number; stop: () => void }> {
  let bytes = 0;
  const server = new grpc.Server();
  for (const service of [
    'opentelemetry.proto.collector.trace.v1.TraceService',
    'opentelemetry.proto.collector.metrics.v1.MetricsService',
  ]) {
    const passThrough = (b: Buffer) => b;
    server.addService(
      {
        Export: {
          path: `/${service}/Export`,
          requestStream: false,
          responseStream: false,
          requestSerialize: passThrough,
          requestDeserialize: passThrough,
          responseSerialize: passThrough,
          responseDeserialize: passThrough,
        },
      },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          bytes += call.request.length;
          callback(null, Buffer.alloc(0));
        },
      },
    );
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { port, bytes: () => bytes, stop: () => server.forceShutdown() };
}

function telemetryEnv(mode: Mode, sinkPort: number): Record<string, string> {
  switch (mode) {
    case 'disabled':
      return { OTEL_SDK_DISABLED: 'true' };
    case 'propagated':
      return {};
    case 'exported':
      return {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_METRIC_EXPORT_INTERVAL: '5000',
      };
  }
}

async function startRegistry(
  env: Record<string, string>,
): Promise<{ port: number; child: ChildProcess; mode: string }> {
  const child = spawn(process.execPath, [MAIN, '--migrate'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"msg":"registry started"'));
      if (line) {
        const started = JSON.parse(line) as { port: number; traces: string };
        resolve({ port: started.port, child, mode: started.traces });
      }
    });
    child.on('exit', (code) => reject(new Error(`the registry exited with ${code}: ${out}`)));
  });
}

/**
 * Waits until the fresh server answers. On this loaded machine a new server now and then resets the
 * very first TLS connections (ECONNRESET), which would end the whole run; the warm-up inside
 * `measureLatency` is not meant to absorb that.
 */
async function firstAnswer(call: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await call();
      return;
    } catch (error) {
      if (attempt === 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function stopRegistry(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

function processCpu(pid: number): () => number {
  return () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  };
}

async function main(): Promise<void> {
  const database = await createTestDatabase('telemetry_bench');
  // Every GetCitizen commits an audit entry. On this shared machine the commit's flush to disk
  // varies by ±50 % from run to run and would hide any telemetry cost, so this database does not
  // wait for the flush: the calls are then bound by CPU, which is what telemetry spends.
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query(
    `ALTER DATABASE "${new URL(database.url).pathname.slice(1)}" SET synchronous_commit = off`,
  );
  await admin.end();
  const sink = await startSink();
  const trust = await BenchTrust.start();
  const redis = new URL(TEST_REDIS_URL);
  redis.pathname = `/${REDIS_DB}`;
  const base = {
    DATABASE_URL: database.url,
    REDIS_URL: redis.toString(),
    ...(await trust.serviceEnv('registry')),
    REGISTRY_GRPC_HOST: '127.0.0.1',
    REGISTRY_GRPC_PORT: '0',
  };
  const clerk = await trust.caller(BENCH_CLERK);
  const caller = { credentials: clerk.credentials, metadata: clerk.metadata('registry') };
  const results = new Map<Mode, LatencyResult[]>(MODES.map((m) => [m, []]));
  try {
    // The register to read from, written once through the service itself.
    const seeding = await startRegistry({ ...base, ...telemetryEnv('disabled', sink.port) });
    const personalIds: string[] = [];
    const writer = createClient(RegistryService, `127.0.0.1:${seeding.port}`, {
      ...caller,
      defaultTimeoutMs: 10_000,
    });
    try {
      for (let i = 0; i < CITIZENS; i++) {
        const { registration } = await writer.registerBirth({
          facts: {
            name: {
              familyName: FAMILY[i % FAMILY.length]!,
              middleName: MIDDLE[Math.floor(i / FAMILY.length) % MIDDLE.length]!,
              givenName: GIVEN[Math.floor(i / (FAMILY.length * MIDDLE.length)) % GIVEN.length]!,
            },
            birthDate: '2024-03-15',
            sex: i % 2 ? Sex.FEMALE : Sex.MALE,
            nationality: 'VNM',
            ethnicity: 'Kinh',
            religion: 'Không',
            birthPlace: { provinceCode: '001', communeCode: '00004', detail: '' },
            homeTown: { provinceCode: '001', communeCode: '00004', detail: '' },
            permanentResidence: { provinceCode: '001', communeCode: '00004', detail: '1 Điện Biên Phủ' },
          },
        });
        personalIds.push(registration!.personalId);
      }
    } finally {
      closeClient(writer);
      await stopRegistry(seeding.child);
    }
    log(
      `${CITIZENS} citizens registered; ${ROUNDS} rounds of ${SECONDS} s per configuration, ${CALLERS} callers`,
    );

    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        const server = await startRegistry({ ...base, ...telemetryEnv(mode, sink.port) });
        if (server.mode !== mode)
          throw new Error(`the registry started with traces ${server.mode}, not ${mode}`);
        const client = createClient(RegistryService, `127.0.0.1:${server.port}`, {
          ...caller,
          defaultTimeoutMs: 10_000,
        });
        try {
          const pick = () => personalIds[Math.floor(Math.random() * personalIds.length)]!;
          await firstAnswer(() => client.getCitizen({ personalId: pick(), purpose: 'benchmark' }));
          const sent = sink.bytes();
          const result = await measureLatency(
            CALLERS,
            SECONDS,
            () => client.getCitizen({ personalId: pick(), purpose: 'benchmark' }),
            { server: processCpu(server.child.pid!) },
          );
          results.get(mode)!.push(result);
          log(
            `round ${round + 1} · ${mode.padEnd(10)} ${Math.round(result.callsPerSecond)}/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  server CPU ${Math.round(result.cpuUsPerCall.server ?? 0)} µs/call` +
              (mode === 'exported' ? `  OTLP ${Math.round((sink.bytes() - sent) / 1024)} KiB` : ''),
          );
        } finally {
          closeClient(client);
          await stopRegistry(server.child);
        }
      }
    }
  } finally {
    sink.stop();
    await trust.stop();
    await database.drop();
  }

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  const baseline = median(results.get('disabled')!.map((r) => r.callsPerSecond));
  const baseCpu = median(results.get('disabled')!.map((r) => r.cpuUsPerCall.server ?? 0));
  const rows = MODES.map((mode) => {
    const runs = results.get(mode)!;
    const perSecond = median(runs.map((r) => r.callsPerSecond));
    const cpu = median(runs.map((r) => r.cpuUsPerCall.server ?? 0));
    return `| ${mode} | ${Math.round(perSecond).toLocaleString('en-US')} | ${(perSecond / baseline).toFixed(2)}× | ${median(runs.map((r) => r.p50Ms)).toFixed(2)} | ${median(runs.map((r) => r.p99Ms)).toFixed(2)} | ${Math.round(cpu)} (${cpu >= baseCpu ? '+' : ''}${Math.round(cpu - baseCpu)}) |`;
  });
  process.stdout.write(
    [
      `GetCitizen over gRPC, ${CALLERS} callers, median of ${ROUNDS} runs of ${SECONDS} s per configuration`,
      '',
      '| telemetry | calls/s | vs disabled | p50 ms | p99 ms | server CPU µs/call (Δ) |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

await main();
