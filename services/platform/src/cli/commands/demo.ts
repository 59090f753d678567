import { writeFile } from 'node:fs/promises';
import { DEMO_AGENCY, agencyRecordJson, fieldName, presentFields } from '../../flow/agency.js';
import { PlatformUnreachable, runDemo, type DemoResult } from '../../flow/demo.js';
import { integerFlag, parseFlags } from '../args.js';
import { CliFailure, EXIT, type CliCommand } from '../command.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE, Connection } from '../connection.js';
import { Progress } from '../progress.js';

const usage = `cancuoc demo: the platform doing its job, end to end

Against a running embedded platform (npm start in another terminal), acting as everyone on the way:
1. an agency subscription (${DEMO_AGENCY.agency}: name, birth date and card only) is requested by one
   administrator and approved by a second;
2. N synthetic citizens are registered;
3. each one is enrolled at a station: a generated face photo and ten fingerprints (real JPEG and
   ISO/IEC 19794-2 bytes), the duplicate check, a supervisor's approval;
4. card production personalises each chip (DG1, DG2, DG13, EF.SOD signed by the Document Signer);
5. encoding stations run by this command (the station simulator) check each chip's data by passive
   authentication, write it and read it back (--stations 0 when \`cancuoc station\` runs instead);
6. the agency receives each citizen with the new card — and nothing it is not allowed.
Progress bars on a terminal (plain lines otherwise), then a summary. It prints no personal data but
one record as the agency received it.

Usage: cancuoc demo [options]

Options:
  --citizens N        how many citizens (default 20)
  --seed S            same seed, same people (default: the time)
  --concurrency C     citizens in flight at once (default 6)
  --stations N        encoding stations to run here (default 2; 0: use stations running elsewhere)
  --timeout-s S       longest wait for one step of one citizen (default 120)
  --ids FILE          write the citizens' record ids, for cancuoc agency --ids FILE
  -h, --help          this text
${CONNECTION_USAGE}
Ctrl-C (or SIGTERM) starts no other citizen and finishes those in flight, from registration to the
agency, then prints the summary: no citizen is left part of the way, and the same --seed and
--citizens continue with the ones not started. A second Ctrl-C stops at once.

When the platform stops answering, the demo stops at once and says how many citizens it finished.
Run it again with the same --seed and --citizens: it finds each of its citizens where it was left
(registered, an application being captured or reviewed, a card waiting or being issued), through
the services' RPCs, and takes it on from there — no second registration, no second application
while one is open, no card encoded twice — and says how many it resumed.

Exit codes: 0 every card encoded once and delivered as allowed, 1 otherwise or not reachable, 2 bad
usage, 130 stopped by Ctrl-C or SIGTERM (after the summary of what was done).
`;

/** An argument as a POSIX shell reads it back. */
const shellWord = (word: string) =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;

const allowedOf = (result: DemoResult) => [...result.agency.fields].sort((a, b) => a - b).join(',');

/** Every card encoded exactly once, and every citizen delivered with exactly the allowed fields. */
function demoKeptItsPromises(result: DemoResult): boolean {
  const cards = [...result.cards.values()];
  const encodedOnce = cards.filter((c) => c.encodings === 1 && c.voidedChips === 0).length;
  const exact = [...result.view.values()].filter(
    (c) => c && presentFields(c).join(',') === allowedOf(result),
  ).length;
  return encodedOnce === result.citizens.length && exact === result.citizens.length;
}

/** What the run did, in counts (no personal data but the one record the agency received). */
function summary(result: DemoResult, seed: number, asked: number, idsFile: string | undefined): string {
  const cards = [...result.cards.values()];
  const encodedOnce = cards.filter((c) => c.encodings === 1 && c.voidedChips === 0).length;
  const exact = [...result.view.values()].filter(
    (c) => c && presentFields(c).join(',') === allowedOf(result),
  ).length;
  const seconds = result.elapsedMs / 1000;
  const sample = [...result.view.values()].find(Boolean);
  const registered = result.interrupted
    ? `${result.registered} of ${asked}; ${result.notStarted} not started, not registered`
    : `${result.registered}`;
  return [
    result.interrupted
      ? `Cancuoc demo — seed ${seed} — stopped by a signal: the citizens in flight were finished, no other started`
      : `Cancuoc demo — seed ${seed}`,
    `  citizens registered   ${registered}${result.alreadyRegistered ? ` (${result.alreadyRegistered} were done by an earlier run: left out)` : ''}`,
    ...(result.resumed > 0
      ? [`  resumed               ${result.resumed} left part of the way by an earlier run, finished now`]
      : []),
    ...(result.blocked.size > 0
      ? [
          `  blocked at enrollment ${[...result.blocked.entries()].map(([reason, n]) => `${n} ${reason}`).join(', ')} (the register flags the record, e.g. a minor with no parent recorded)`,
        ]
      : []),
    `  applications          ${result.applications.length} enrolled (face + ten prints), duplicate-checked, approved`,
    `  cards encoded         ${cards.length} (${encodedOnce} encoded exactly once, passive authentication passed)`,
    `  agency deliveries     ${exact} to ${result.agency.agency}, each with exactly: ${result.agency.fields.map(fieldName).join(', ')}`,
    `  elapsed               ${seconds.toFixed(1)} s (${(result.citizens.length / seconds).toFixed(2)} citizens/s end to end)`,
    ...(sample
      ? [
          '',
          `What ${result.agency.agency} received of one citizen:`,
          `  ${JSON.stringify(agencyRecordJson(sample))}`,
        ]
      : []),
    '',
    result.interrupted
      ? `Next: cancuoc demo --seed ${seed} --citizens ${asked} continues: it leaves out the ${result.registered + result.alreadyRegistered} registered and takes the ${result.notStarted} others.`
      : idsFile
        ? `Next: cancuoc agency --ids ${idsFile} --once prints what the agency holds of them.`
        : 'Next: cancuoc demo --ids FILE, then cancuoc agency --ids FILE, prints what the agency holds.',
    '',
  ].join('\n');
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'register → enroll → produce → encode → agency receives, for N synthetic citizens',
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      ...CONNECTION_FLAGS,
      citizens: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      stations: { type: 'string' },
      'timeout-s': { type: 'string' },
      ids: { type: 'string' },
    });
    const citizens = integerFlag('citizens', flags.citizens, 20, 1, 100_000);
    const seed = integerFlag('seed', flags.seed, Date.now() % 1_000_000, 0, 2 ** 31 - 1);
    const concurrency = integerFlag('concurrency', flags.concurrency, 6, 1, 64);
    const stations = integerFlag('stations', flags.stations, 2, 0, 32);
    const timeoutMs = integerFlag('timeout-s', flags['timeout-s'], 120, 1, 86_400) * 1000;
    const connection = Connection.from(flags, io.env);
    if (!connection.credentials.perIdentity)
      throw new CliFailure(
        `the demo acts as a clerk, operators and their stations, a supervisor, administrators, encoding ` +
          `stations and an agency, each with its own token; ${connection.credentials.source} is one ` +
          'caller. Run it against the embedded platform (its development issuer makes every token)',
      );
    const progress = new Progress((t) => io.stderr(t), process.stderr.isTTY === true, {
      columns: process.stderr.columns,
    });
    const stopping = () =>
      progress.note(
        'Stopping: finishing the citizens in flight, starting no other (Ctrl-C again stops at once)…',
      );
    io.signal?.addEventListener('abort', stopping, { once: true });
    try {
      let result: DemoResult;
      try {
        result = await runDemo(connection, {
          citizens,
          seed,
          concurrency,
          stations,
          timeoutMs,
          progress,
          signal: io.signal,
        });
      } catch (error) {
        if (!(error instanceof PlatformUnreachable)) throw error;
        const again = [
          'cancuoc',
          'demo',
          ...(flags.seed === undefined ? ['--seed', String(seed)] : []),
          ...argv,
        ];
        throw new CliFailure(
          `${error.message}; run \`${again.map(shellWord).join(' ')}\` again to finish them`,
        );
      }
      if (flags.ids) await writeFile(flags.ids, result.citizens.map((c) => `${c.citizenId}\n`).join(''));
      io.stdout(summary(result, seed, citizens, flags.ids));
      if (result.interrupted) return EXIT.interrupted;
      return demoKeptItsPromises(result) ? EXIT.ok : EXIT.failed;
    } finally {
      io.signal?.removeEventListener('abort', stopping);
      connection.close();
    }
  },
};
