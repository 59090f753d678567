import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { createLogger, logLevelFromEnv, type LogLevel } from './logger.js';
import { startTestTelemetry, type TestTelemetry } from './testing/index.js';
import { inSpan } from './tracing.js';

function capture(level: LogLevel = 'debug') {
  const lines: { line: Record<string, unknown>; raw: string; level: LogLevel }[] = [];
  const logger = createLogger({
    service: 'registry',
    level,
    now: () => new Date('2026-11-26T08:00:00.000Z'),
    write: (raw, lineLevel) =>
      lines.push({ line: JSON.parse(raw) as Record<string, unknown>, raw, level: lineLevel }),
  });
  return { logger, lines };
}

/** What a domain validation error looks like: its message names the offending values. */
class InvalidCitizenCommandError extends Error {
  override readonly name = 'InvalidCitizenCommandError';
  readonly code = 'INVALID_ARGUMENT';
}

describe('the JSON logger', () => {
  let t: TestTelemetry;
  before(async () => (t = await startTestTelemetry()));
  after(() => t.shutdown());

  it('writes one JSON object per line with level, time, service, msg and the fields', () => {
    const { logger, lines } = capture();
    logger.info('registry started', { port: 50051, mode: 'server' });
    assert.deepEqual(lines[0]!.line, {
      level: 'info',
      time: '2026-11-26T08:00:00.000Z',
      service: 'registry',
      msg: 'registry started',
      port: 50051,
      mode: 'server',
    });
    assert.ok(!lines[0]!.raw.includes('\n'));
  });

  it('carries the trace and span id of the active span', async () => {
    const { logger, lines } = capture();
    const span = trace.getTracer('test').startSpan('work');
    await inSpan(span, async () => logger.warn('relay.batch_failed'));
    assert.equal(lines[0]!.line.trace_id, span.spanContext().traceId);
    assert.equal(lines[0]!.line.span_id, span.spanContext().spanId);
    logger.info('outside');
    assert.equal(lines[1]!.line.trace_id, undefined);
  });

  it('never logs an error message, even when personal data was put in it by mistake', () => {
    const { logger, lines } = capture();
    const error = new InvalidCitizenCommandError(
      'invalid command: personalId: 001188000001 does not match birth date 1988-02-29 of Võ Thị Sáu',
      { cause: new Error('Nguyen Van An lives at 5 Hai Bà Trưng') },
    );
    logger.error('grpc.unexpected_error', {
      method: '/cancuoc.registry.v1.RegistryService/RegisterBirth',
      error,
    });
    const { line, raw } = lines[0]!;
    for (const leak of [
      '001188000001',
      '1988-02-29',
      'Võ',
      'Sáu',
      'Nguyen Van An',
      'Hai Bà Trưng',
      'does not match',
    ]) {
      assert.ok(!raw.includes(leak), leak);
    }
    const described = line.error as { type: string; code: string; frames: string[]; cause: { type: string } };
    assert.equal(described.type, 'InvalidCitizenCommandError');
    assert.equal(described.code, 'INVALID_ARGUMENT');
    assert.ok(described.frames.length > 0 && described.frames.every((f) => f.startsWith('at ')));
    assert.deepEqual(described.cause, { type: 'Error' });
  });

  it('redacts what looks like personal data in fields and keeps ids operators need', () => {
    const { logger, lines } = capture();
    logger.warn('import.row_refused', {
      note: 'row for 001188000001 born 1990-05-17',
      nested: { name: 'Trần Thị Bình', list: ['012345678'] },
      incident: '0190f3a2-7d1c-7c3e-9a4b-1f2e3d4c5b6a',
      at: new Date('2026-01-01T00:00:00Z'),
      position: 12n,
      socket: new (class Socket {})(),
      level: 'debug',
    });
    const { line } = lines[0]!;
    assert.equal(line.note, 'row for [redacted] born [redacted]');
    assert.deepEqual(line.nested, { name: '[redacted] [redacted] [redacted]', list: ['[redacted]'] });
    assert.equal(line.incident, '0190f3a2-7d1c-7c3e-9a4b-1f2e3d4c5b6a');
    assert.equal(line.at, '2026-01-01T00:00:00.000Z');
    assert.equal(line.position, '12');
    assert.equal(line.socket, '[object]');
    assert.equal(line.level, 'warn', 'fields cannot overwrite the level');
  });

  it('drops lines below its level and sends warnings and errors apart', () => {
    const { logger, lines } = capture('warn');
    logger.debug('a');
    logger.info('b');
    logger.warn('c');
    logger.error('d');
    assert.deepEqual(
      lines.map((l) => [l.line.msg, l.level]),
      [
        ['c', 'warn'],
        ['d', 'error'],
      ],
    );
    const child = capture();
    child.logger.child({ component: 'relay' }).info('x', { n: 1 });
    assert.equal(child.lines[0]!.line.component, 'relay');
    assert.equal(logLevelFromEnv({ LOG_LEVEL: 'DEBUG' }), 'debug');
    assert.equal(logLevelFromEnv({ LOG_LEVEL: 'chatty' }), 'info');
  });
});
