import { writeFile } from 'node:fs/promises';
import { seedCitizens } from '../../flow/citizens.js';
import { integerFlag, parseFlags } from '../args.js';
import { EXIT, UsageError, type CliCommand } from '../command.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE, Connection } from '../connection.js';
import { Progress } from '../progress.js';

const usage = `cancuoc seed: register a synthetic population

Registers N plausible synthetic citizens (libs/synthetic: Vietnamese names by frequency, birth dates,
communes in force at birth, residences in today's communes, valid personal id numbers, parents for
some) with the registry over gRPC. Prints counts and rates, never the people.

Usage: cancuoc seed --citizens N [options]

Options:
  --citizens N        how many (1-1000000)
  --seed S            same seed, same people (default: the time)
  --concurrency C     registrations in flight (default 8)
  --ids FILE          write the registered citizens' record ids (opaque UUIDs), one a line
  -h, --help          this text
${CONNECTION_USAGE}
Ctrl-C (or SIGTERM) starts no other registration and finishes those in flight; a second one stops
at once.

Exit codes: 0 done, 1 failed (e.g. the registry not reachable), 2 bad usage, 130 stopped by Ctrl-C
or SIGTERM before all were registered.
`;

export const seedCommand: CliCommand = {
  name: 'seed',
  summary: 'register N synthetic citizens (names, communes, birth dates, valid id numbers)',
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      ...CONNECTION_FLAGS,
      citizens: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      ids: { type: 'string' },
    });
    if (flags.citizens === undefined) throw new UsageError('--citizens N is required');
    const count = integerFlag('citizens', flags.citizens, 0, 1, 1_000_000);
    const seed = integerFlag('seed', flags.seed, Date.now() % 1_000_000, 0, 2 ** 31 - 1);
    const concurrency = integerFlag('concurrency', flags.concurrency, 8, 1, 64);
    const connection = Connection.from(flags, io.env);
    try {
      await connection.expectServing(['registry']);
      const progress = new Progress((t) => io.stderr(t), process.stderr.isTTY === true, {
        columns: process.stderr.columns,
      });
      progress.track('registered', count);
      const startedAt = Date.now();
      let result;
      try {
        result = await seedCitizens(connection, {
          count,
          seed,
          concurrency,
          signal: io.signal,
          onRegistered: () => progress.tick('registered'),
        });
      } finally {
        // Also before a failure's one line, which would otherwise follow the bar on its line.
        progress.end();
      }
      const seconds = (Date.now() - startedAt) / 1000;
      if (flags.ids) await writeFile(flags.ids, result.citizens.map((c) => `${c.citizenId}\n`).join(''));
      const notStarted = count - result.citizens.length - result.alreadyRegistered;
      io.stdout(
        `registered ${result.citizens.length} citizens in ${seconds.toFixed(1)} s ` +
          `(${(result.citizens.length / seconds).toFixed(1)}/s, seed ${seed})` +
          (result.alreadyRegistered > 0 ? `; ${result.alreadyRegistered} were already registered` : '') +
          (notStarted > 0
            ? `; stopped by a signal before the other ${notStarted} (the same --seed and --citizens register them)`
            : '') +
          '\n',
      );
      return notStarted > 0 ? EXIT.interrupted : EXIT.ok;
    } finally {
      connection.close();
    }
  },
};
