/**
 * Card production benchmark, each figure beside its floor measured in the same run:
 *
 * (a) Personalisation, in process: the chip's files of a card (MRZ, DG1, DG2 with a 15 KB
 *     portrait, DG13, EF.COM) and EF.SOD signed by a P-256 Document Signer, through libs/icao9303,
 *     against raw `crypto.sign` of exactly the signed attributes those EF.SODs signed.
 * (b) Personalisation through the service (`services/card-production/dist/main.js` on PostgreSQL
 *     and Redis): application events on the log → portrait fetched over gRPC and checked → chip
 *     files built, signed and sealed in the vault → job queued, measured until every job is queued.
 * (c) Dispatch and settlement: queued jobs streamed to N stations of the station simulator (the
 *     vendors' reference client, in one separate process: passive authentication, a chip image
 *     written and read back, CompleteJob), measured until every job is encoded.
 *
 * (b) and (c) run in server mode as deployed: mutual TLS on every connection, every party (card
 * production, the enrollment stand-in, the administrator, each station) with its own certificate and
 * its own client at the test OpenID provider, whose tokens every call carries.
 *
 *   tsc -b test/perf && node test/perf/dist/card-production/bench.js
 *
 * BENCH_SCALE (default 1) multiplies the numbers of cards (2,000 in process, 1,000 per service run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, sign } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { Database, newEventId } from '@cancuoc/eventstore';
import { identities, serviceAuth } from '@cancuoc/auth';
import {
  closeClient,
  createClient,
  defineService,
  serverCredentialsFor,
  startGrpcServer,
  type RunningGrpcServer,
} from '@cancuoc/grpc';
import {
  buildDg1,
  buildDg13,
  buildDg2,
  buildEfCom,
  buildSod,
  createCsca,
  encodeVietnamTd1,
  issueDocumentSigner,
  softwareSigner,
  vietnamDg13Entries,
  type Signer,
} from '@cancuoc/icao9303';
import { InProcessTransport, toKafkaRecord } from '@cancuoc/messaging';
import {
  ApplicationReason,
  ApplicationStage,
  CardApplicationChangedSchema,
  CardProductionService,
  ENROLLMENT_APPLICATION_TOPIC,
  PersonalisationDataService,
  Sex,
} from '@cancuoc/proto';
import { TEST_REDIS_URL, createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { BenchTrust } from '../support/trust.js';
import type { StationsConfig } from './stations.js';

const SCALE = Number(process.env['BENCH_SCALE'] ?? 1);
const IN_PROCESS_CARDS = Math.round(2_000 * SCALE);
const SERVICE_CARDS = Math.round(1_000 * SCALE);
const STATION_COUNTS = [1, 4, 16] as const;
const STATION_CAPACITY = 4;

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = join(root, 'services/card-production/dist/main.js');
const STATIONS = fileURLToPath(new URL('./stations.js', import.meta.url));

const log = (line: string) => process.stderr.write(`  ${line}\n`);
const perSecond = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString('en-US');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * A JPEG the size of an ID portrait (about 15 KB, 480 × 640): real SOI, APP0, SOF0 and SOS
 * segments around filler scan data. Card production reads JPEG headers only, never pixels.
 */
function portrait(seed: number): Uint8Array {
  const segment = (marker: number, body: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(0xff00 | marker, 0);
    head.writeUInt16BE(body.length + 2, 2);
    return Buffer.concat([head, body]);
  };
  const sof = Buffer.alloc(11);
  sof.writeUInt8(8, 0);
  sof.writeUInt16BE(640, 1);
  sof.writeUInt16BE(480, 3);
  sof.writeUInt8(1, 5);
  sof.writeUInt8(1, 6);
  sof.writeUInt8(0x11, 7);
  const scan = randomBytes(15_000).map((b) => (b === 0xff ? 0x00 : b));
  return new Uint8Array(
    Buffer.concat([
      Buffer.of(0xff, 0xd8),
      segment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')),
      segment(0xfe, Buffer.from(`bench ${seed}`)),
      segment(0xc0, sof.subarray(0, 9)),
      segment(0xda, Buffer.of(1, 1, 0, 0, 0x3f, 0)),
      scan,
      Buffer.of(0xff, 0xd9),
    ]),
  );
}

function personalId(i: number): string {
  return `001190${String(i).padStart(6, '0')}`;
}

/** (a) The library's share: building and signing chips, against signing alone. */
async function inProcess(): Promise<string[]> {
  const now = new Date();
  const csca = await createCsca({
    subject: { country: 'VN', organization: 'Bench', commonName: 'Bench CSCA' },
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 3_650 * 86_400_000),
  });
  const ds = await issueDocumentSigner({
    issuer: csca,
    subject: { country: 'VN', organization: 'Bench', commonName: 'Bench DS' },
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 3_650 * 86_400_000),
  });
  const signed: Uint8Array[] = [];
  const inner = softwareSigner({ certificate: ds.certificate, privateKey: ds.privateKey });
  const capturing: Signer = { ...inner, sign: (data) => (signed.push(data), inner.sign(data)) };
  const faces = Array.from({ length: IN_PROCESS_CARDS }, (_, i) => portrait(i));
  const started = performance.now();
  for (let i = 0; i < IN_PROCESS_CARDS; i++) {
    const mrz = encodeVietnamTd1({
      personalIdNumber: personalId(i),
      name: { primaryIdentifier: 'NGUYEN', secondaryIdentifier: 'THI<ANH<DAO' },
      dateOfBirth: { year: 1990, month: 5, day: 17 },
      sex: 'F',
      dateOfExpiry: { year: 2030, month: 5, day: 17 },
    });
    const dg1 = buildDg1(mrz.lines);
    const dg2 = buildDg2([{ image: faces[i]!, gender: 'female' }]);
    const dg13 = buildDg13(
      vietnamDg13Entries({
        personalIdNumber: personalId(i),
        fullName: 'Nguyễn Thị Ánh Đào',
        dateOfBirth: '17/05/1990',
        sex: 'Nữ',
        nationality: 'Việt Nam',
        ethnicity: 'Kinh',
        religion: 'Không',
        homeTown: 'Cái Khế, Cần Thơ',
        permanentResidence: '3 Phan Đình Phùng, Phường Ba Đình, Hà Nội',
        identifyingMarks: '',
        issueDate: '26/11/2026',
        expiryDate: '17/05/2030',
        fatherName: '',
        motherName: '',
      }),
    );
    buildEfCom({ ldsVersion: '0107', unicodeVersion: '040000', dataGroups: [1, 2, 13] });
    const files = new Map([
      [1, dg1],
      [2, dg2],
      [13, dg13],
    ]);
    await buildSod({ dataGroups: files, signer: capturing, signingTime: now });
  }
  const chipsMs = performance.now() - started;
  const rawStarted = performance.now();
  for (const data of signed) sign('sha256', data, { key: ds.privateKey, dsaEncoding: 'der' });
  const rawMs = performance.now() - rawStarted;
  return [
    `| (a) chip files + EF.SOD, in process (libs/icao9303, P-256) | ${perSecond(IN_PROCESS_CARDS, chipsMs)} cards/s |`,
    `| (a) floor: raw crypto.sign of the same signed attributes | ${perSecond(signed.length, rawMs)} signatures/s |`,
  ];
}

/**
 * Enrollment's one RPC, answering from memory: the portraits of the bench's applications. Served
 * as enrollment serves it in server mode: mutual TLS, and the platform policy over the provider's
 * tokens (card production's own client may call it).
 */
async function enrollment(portraits: Map<string, Uint8Array>, trust: BenchTrust): Promise<RunningGrpcServer> {
  const own = await trust.files(identities.service('enrollment'));
  const auth = await serviceAuth(
    { mode: 'server', issuer: trust.issuer, clientId: own.clientId, clientKeyFile: own.keyFile },
    'enrollment',
  );
  return startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    credentials: serverCredentialsFor({ tls: own.tls, host: '127.0.0.1', server: true }).credentials,
    services: [
      defineService(
        PersonalisationDataService,
        { authenticate: auth.authenticate },
        {
          getPortrait: (request) => {
            const image = portraits.get(request.applicationId)!;
            return { image, mediaType: 'image/jpeg', width: 480, height: 640, sha256: sha256(image) };
          },
        },
      ),
    ],
  });
}

interface Service {
  readonly child: ChildProcess;
  readonly port: number;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, [MAIN, '--migrate'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const started = /"msg":"card-production started","port":(\d+)/.exec(out);
      if (started) resolve(Number(started[1]));
    });
    child.once('exit', (code) => reject(new Error(`card production exited with ${code}: ${stderr}`)));
  });
  return { child, port };
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const rows: string[] = ['| Measure | Rate |', '|---|---|'];
  log('in-process personalisation…');
  rows.push(...(await inProcess()));

  let db: TestDatabase | undefined;
  let keyDir: string | undefined;
  let service: Service | undefined;
  let server: RunningGrpcServer | undefined;
  let bus: Database | undefined;
  let trust: BenchTrust | undefined;
  const portraits = new Map<string, Uint8Array>();
  try {
    db = await createTestDatabase('card_production_bench');
    keyDir = await mkdtemp(join(tmpdir(), 'cancuoc-cp-bench-keys-'));
    trust = await BenchTrust.start();
    server = await enrollment(portraits, trust);
    service = await startService({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      CARD_PRODUCTION_REDIS_PREFIX: `bench:${randomBytes(4).toString('hex')}:`,
      ...(await trust.serviceEnv('card-production')),
      CARD_PRODUCTION_KEY_DIR: keyDir,
      CARD_PRODUCTION_DEVELOPMENT_PKI: 'true',
      CARD_PRODUCTION_DATA_KEY: randomBytes(32).toString('base64'),
      CARD_PRODUCTION_ENROLLMENT_ADDRESS: server.address,
      CARD_PRODUCTION_GRPC_HOST: '127.0.0.1',
      CARD_PRODUCTION_GRPC_PORT: '0',
      CARD_PRODUCTION_PERSONALISATION_CONCURRENCY: '8',
    });
    bus = await Database.connect({ databaseUrl: db.url });
    const transport = new InProcessTransport({ db: bus });
    const administrator = await trust.caller(identities.administrator('bench'));
    const admin = createClient(CardProductionService, `127.0.0.1:${service.port}`, {
      credentials: administrator.credentials,
      metadata: administrator.metadata('card-production'),
    });
    const depth = () => admin.getQueueDepth({});
    const until = async (done: (d: Awaited<ReturnType<typeof depth>>) => boolean) => {
      for (;;) {
        const d = await depth();
        if (done(d)) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    let next = 0;
    const submit = async (count: number) => {
      const records = [];
      for (let k = 0; k < count; k++, next++) {
        const applicationId = `bench-app-${next}`;
        const image = portrait(next);
        portraits.set(applicationId, image);
        const data = create(CardApplicationChangedSchema, {
          applicationId,
          applicationVersion: 6n,
          application: {
            applicationId,
            citizenId: newEventId(),
            registryRecordVersion: 1n,
            citizen: {
              personalId: personalId(next),
              familyName: 'Nguyễn',
              middleName: 'Thị Ánh',
              givenName: 'Đào',
              birthDate: '1990-05-17',
              sex: Sex.FEMALE,
              nationality: 'VNM',
              ethnicity: 'Kinh',
              religion: 'Không',
              permanentResidence: { provinceCode: '001', communeCode: '00004', detail: '3 Phan Đình Phùng' },
            },
            reason: ApplicationReason.FIRST_ISSUE,
            stage: ApplicationStage.SUBMITTED,
            stationId: 'bench',
            face: { reference: `face-${applicationId}`, sha256: sha256(image), mediaType: 'image/jpeg' },
          },
        });
        records.push(
          toKafkaRecord({
            topic: ENROLLMENT_APPLICATION_TOPIC.name,
            schema: CardApplicationChangedSchema,
            data,
            id: newEventId(),
            source: '/cancuoc/enrollment',
            time: new Date(),
            subject: applicationId,
            traceparent: undefined,
            correlationId: undefined,
            causationId: undefined,
            sequence: 6,
          }),
        );
      }
      for (let k = 0; k < records.length; k += 500) await transport.publish(records.slice(k, k + 500));
    };

    log(`service personalisation of ${SERVICE_CARDS} cards…`);
    const personalised = performance.now();
    await submit(SERVICE_CARDS);
    await until((d) => d.queued >= BigInt(SERVICE_CARDS));
    const personaliseMs = performance.now() - personalised;
    rows.push(
      `| (b) personalisation through the service (event → portrait over gRPC → signed, sealed, queued) | ${perSecond(SERVICE_CARDS, personaliseMs)} cards/s |`,
    );

    const csca = join(keyDir, 'csca.cert.pem');
    await readFile(csca);
    for (const [round, stations] of STATION_COUNTS.entries()) {
      if (round > 0) {
        await submit(SERVICE_CARDS);
        await until((d) => d.queued >= BigInt(SERVICE_CARDS));
      }
      log(`dispatch to ${stations} station(s)…`);
      const started = performance.now();
      // Every station in one simulator process: N stations must not mean N Node runtimes on two cores.
      const ids = Array.from({ length: stations }, (_, i) => `bench-${round}-${i + 1}`);
      const config: StationsConfig = {
        address: `127.0.0.1:${service.port}`,
        cscaFile: csca,
        capacity: STATION_CAPACITY,
        issuer: trust.issuer,
        stations: await Promise.all(
          ids.map(async (id) => {
            const { keyFile, tls } = await trust!.files(identities.encodingStation(id));
            return { id, keyFile, tls };
          }),
        ),
      };
      const configFile = join(keyDir, `stations-${round}.json`);
      await writeFile(configFile, JSON.stringify(config));
      const child = spawn(process.execPath, [STATIONS, configFile], { stdio: 'ignore' });
      await until((d) => d.queued === 0n && d.encoding === 0n);
      const ms = performance.now() - started;
      child.kill('SIGTERM');
      await once(child, 'exit');
      rows.push(
        `| (c) dispatched and settled through ${stations} simulated station(s) × capacity ${STATION_CAPACITY} | ${perSecond(SERVICE_CARDS, ms)} jobs/s |`,
      );
    }
    closeClient(admin);
    await transport.close();
  } finally {
    service?.child.kill('SIGTERM');
    if (service) await once(service.child, 'exit');
    await server?.shutdown();
    await bus?.close();
    await trust?.stop();
    await db?.drop();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  }
  const cpu = cpus();
  console.log(
    `\nCard production benchmark (${IN_PROCESS_CARDS} cards in process, ${SERVICE_CARDS} per service run)\n`,
  );
  console.log(rows.join('\n'));
  console.log(`\nMachine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), Node ${process.version}`);
  console.log(`Run time: ${((performance.now() - startedAt) / 1000).toFixed(0)} s\n`);
}

await main();
