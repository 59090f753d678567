/**
 * Child of bench.ts: `cancuoc start` in this process — the CLI's own `start` command, run through
 * `runCli` as bin/cancuoc.mjs runs it — answering the parent's messages with this process's memory.
 *
 *   fork('platform-probe.js', [dataDir])  →  { started: { ms, addresses, sample } }
 *   { sample: true }                      →  { sample }
 *   { stop: true }                        →  exits when the platform has stopped
 */
import { COMMANDS, runCli, SERVICES, type ServiceName } from '@cancuoc/platform';
import { sample } from './memory.js';

const dataDir = process.argv[2];
if (!dataDir || !process.send) throw new Error('platform-probe runs forked by bench.ts, with a data folder');
const send = (message: unknown) => process.send!(message);
const controller = new AbortController();
const started = performance.now();
let banner = '';

process.on('message', (message: { sample?: boolean; stop?: boolean }) => {
  if (message.sample) send({ sample: sample() });
  if (message.stop) controller.abort();
});

const ports = SERVICES.flatMap((service) => [`--${service}-port`, '0']);
const code = await runCli(
  ['start', '--data-dir', dataDir, ...ports],
  {
    stdout: () => undefined,
    stderr: (text) => {
      banner += text;
      if (!text.includes('Cancuoc is running')) return;
      const addresses: Partial<Record<ServiceName, string>> = {};
      for (const service of SERVICES) {
        const match = new RegExp(`^  ${service}\\s+(\\S+)`, 'm').exec(banner);
        if (match) addresses[service] = match[1];
      }
      send({ started: { ms: performance.now() - started, addresses, sample: sample() } });
    },
    env: { ...process.env, LOG_LEVEL: 'warn' },
    signal: controller.signal,
  },
  COMMANDS,
);
process.exit(code);
