/**
 * The fuzz properties of fuzz.spec.ts for a longer run, as a script:
 *   node test/e2e/dist/fuzz-long.js --runs-per-rpc 2000 [--seed 42]
 * Runs every RPC's property, goes on past a failing one, prints each failure (fast-check's
 * counterexample, seed and path) and the totals; exits 1 if any property failed.
 */
import { parseArgs } from 'node:util';
import { allMethods, formatTotals, Fuzzer, rpcName } from './fuzz/runner.js';

const { values } = parseArgs({
  options: { 'runs-per-rpc': { type: 'string', default: '1000' }, seed: { type: 'string' } },
});
const runs = Number(values['runs-per-rpc']);
const seed = values.seed === undefined ? undefined : Number(values.seed);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs-per-rpc takes a positive integer');

const started = Date.now();
const fuzzer = await Fuzzer.start();
const failures: string[] = [];
try {
  for (const method of allMethods()) {
    const begun = Date.now();
    try {
      await fuzzer.fuzz(method, runs, seed);
      console.log(`ok   ${rpcName(method)} (${((Date.now() - begun) / 1000).toFixed(1)} s)`);
    } catch (error) {
      console.log(`FAIL ${rpcName(method)}\n${(error as Error).message}\n`);
      failures.push(rpcName(method));
    }
  }
  const health = await fuzzer.allHealth();
  console.log(`health: ${JSON.stringify(health)}`);
  if (Object.values(health).some((state) => state !== 'SERVING')) failures.push('health');
} finally {
  console.log(formatTotals(fuzzer.totals, (Date.now() - started) / 1000));
  await fuzzer.stop();
}
if (failures.length > 0) {
  console.log(`failed: ${failures.join(', ')}`);
  process.exitCode = 1;
}
