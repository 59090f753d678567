/**
 * A property-based fuzz suite over every RPC (issue 18, point 3): requests generated from each
 * method's protobuf descriptor (fuzz/arbitraries.ts) — valid-ish and hostile values, and bytes that
 * do not decode — sent to a running embedded platform by a caller the policy allows and by one with
 * no token. The properties (fuzz/runner.ts):
 * - the allowed caller is never answered INTERNAL or UNKNOWN, nor refused by the guard; a server or
 *   bidi stream cut short after its first message or 150 ms may end DEADLINE_EXCEEDED/CANCELLED;
 * - without a token the call is UNAUTHENTICATED (or the refusal limiter's RESOURCE_EXHAUSTED; the
 *   calls go through a relay that changes the peer address every 20 calls, so it rarely is);
 * - no write on a refused request: for every tenth command refused INVALID_ARGUMENT, per service,
 *   that service's event log head (OperationsService/ListProjections `log_head_position`, the
 *   last event's position) is the same before and after — in every service;
 * - after the run every service's health (`grpc.health.v1.Health/Check`, service '') is SERVING.
 *
 * Size: FUZZ_RUNS_PER_RPC runs per RPC (default: enough for 10 000 requests in all, two a run);
 * FUZZ_SEED fixes the seed. A failure prints fast-check's counterexample with its seed and path:
 * replay it with FUZZ_SEED=<seed> (and the path, by editing `fuzz` in runner.ts). The longer run is
 * `node test/e2e/dist/fuzz-long.js --runs-per-rpc N`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { allMethods, defaultRunsPerRpc, formatTotals, Fuzzer, rpcName } from './fuzz/runner.js';

const runs = Number(process.env.FUZZ_RUNS_PER_RPC ?? defaultRunsPerRpc());
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

describe('fuzzing every RPC of a running embedded platform', () => {
  let fuzzer: Fuzzer;
  const started = Date.now();
  before(async () => {
    fuzzer = await Fuzzer.start();
  });
  after(async () => {
    if (fuzzer) console.log(formatTotals(fuzzer.totals, (Date.now() - started) / 1000));
    await fuzzer?.stop();
  });

  for (const method of allMethods())
    it(
      `${rpcName(method)}: no INTERNAL or UNKNOWN, UNAUTHENTICATED without a token`,
      { timeout: 300_000 },
      () => fuzzer.fuzz(method, runs, seed),
    );

  it('checked refused commands of every service for no write', () => {
    for (const service of ['registry', 'enrollment', 'card-production', 'data-sharing'])
      assert.ok((fuzzer.totals.noWriteChecks[service] ?? 0) > 0, service);
  });

  it('leaves every service SERVING', async () => {
    assert.deepEqual(await fuzzer.allHealth(), {
      registry: 'SERVING',
      enrollment: 'SERVING',
      'card-production': 'SERVING',
      'data-sharing': 'SERVING',
    });
  });
});
