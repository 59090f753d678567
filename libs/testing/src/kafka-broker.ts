import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { mockBrokerBinary } from './mock-broker-binary.js';

export interface KafkaTopicSpec {
  readonly name: string;
  readonly partitions: number;
}

export interface KafkaBrokerOptions {
  /**
   * Created before the broker is reported ready. kafkajs cannot create them
   * itself: the mock reports no controller, so admin createTopics fails.
   */
  readonly topics: readonly KafkaTopicSpec[];
  /** Number of mock brokers in the cluster, 1 to 16. */
  readonly brokers?: number;
}

export interface KafkaBrokerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A Kafka-protocol cluster backed by librdkafka's mock cluster, running in a
 * child process. Data lives in memory only, so there is no restart; `pause()`
 * and `resume()` simulate an unreachable broker instead.
 *
 * Mock limits seen with kafkajs 2.2.4: it reports controller 0, so admin
 * createTopics, idempotent and transactional producers fail; unknown topics
 * are auto-created with 4 partitions even with `allowAutoTopicCreation: false`;
 * each partition keeps only its newest ~5 MB (or 100,000 batches).
 */
export interface KafkaBroker {
  /** `host:port` of every broker, ready to pass as kafkajs `brokers`. */
  readonly bootstrapServers: string[];
  readonly pid: number;
  /** Settles when the broker process has exited, for whatever reason. */
  readonly exited: Promise<KafkaBrokerExit>;
  /** Freezes the broker (SIGSTOP): connections stay open but nothing is answered. */
  pause(): Promise<void>;
  /** Unfreezes the broker (SIGCONT); requests queued meanwhile are then served. */
  resume(): Promise<void>;
  /** Shuts the cluster down cleanly; rejects if it does not exit cleanly. */
  stop(): Promise<void>;
  /** Kills the broker at once (SIGKILL), e.g. from a synchronous cleanup path. */
  kill(): void;
}

const DEFAULT_BROKER_COUNT = 3;
const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const SIGNAL_TIMEOUT_MS = 2_000;
const STDERR_TAIL_CHARS = 8_192;
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

type BrokerChild = ChildProcessByStdio<Writable, Readable, Readable>;

export async function startKafkaBroker(options: KafkaBrokerOptions): Promise<KafkaBroker> {
  const brokerCount = options.brokers ?? DEFAULT_BROKER_COUNT;
  validate(options.topics, brokerCount);
  const binary = await mockBrokerBinary();
  const topicArgs = options.topics.map((topic) => `${topic.name}:${topic.partitions}`);
  const child = spawn(binary, [String(brokerCount), ...topicArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  const broker = new MockBrokerProcess(child);
  try {
    await broker.waitUntilReady();
  } catch (error) {
    broker.kill();
    throw error;
  }
  return broker;
}

function validate(topics: readonly KafkaTopicSpec[], brokerCount: number): void {
  if (!Number.isInteger(brokerCount) || brokerCount < 1 || brokerCount > 16) {
    throw new RangeError(`brokers must be an integer from 1 to 16, got ${brokerCount}`);
  }
  for (const topic of topics) {
    if (!TOPIC_NAME.test(topic.name)) throw new RangeError(`invalid Kafka topic name "${topic.name}"`);
    if (!Number.isInteger(topic.partitions) || topic.partitions < 1 || topic.partitions > 10_000) {
      throw new RangeError(`topic "${topic.name}" needs 1 to 10000 partitions, got ${topic.partitions}`);
    }
  }
}

class MockBrokerProcess implements KafkaBroker {
  bootstrapServers: string[] = [];
  readonly pid: number;
  readonly exited: Promise<KafkaBrokerExit>;
  private exit: KafkaBrokerExit | undefined;
  private stderrTail = '';
  private paused = false;
  private killed = false;
  private stopping: Promise<void> | undefined;
  // A test that forgets stop() must not leave a broker behind once Node exits.
  private readonly killOnParentExit = (): void => this.kill();

  constructor(private readonly child: BrokerChild) {
    this.pid = child.pid ?? -1;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    // 'close' rather than 'exit': it waits for stderr, so diagnostics are complete.
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.exit = { code, signal };
        process.off('exit', this.killOnParentExit);
        resolve(this.exit);
      });
    });
    process.on('exit', this.killOnParentExit);
  }

  waitUntilReady(): Promise<void> {
    const { child } = this;
    return new Promise((resolve, reject) => {
      let settled = false;
      let stdout = '';
      const settle = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        if (error) reject(error);
        else resolve();
      };
      const onData = (chunk: string): void => {
        stdout += chunk;
        const servers = /^BOOTSTRAP (\S+)$/m.exec(stdout)?.[1];
        if (servers === undefined) return;
        this.bootstrapServers = servers.split(',');
        child.stdout.resume();
        // A running broker must not keep the test process alive by itself: it
        // follows the parent out through its stdin closing.
        this.holdEventLoop(false);
        settle();
      };
      const timer = setTimeout(() => {
        settle(
          new Error(`The mock Kafka broker was not ready within ${STARTUP_TIMEOUT_MS} ms${this.stderr()}`),
        );
      }, STARTUP_TIMEOUT_MS);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', onData);
      child.on('error', (error) => {
        settle(new Error(`Could not run the mock Kafka broker: ${error.message}`, { cause: error }));
      });
      void this.exited.then((exit) => {
        settle(new Error(`The mock Kafka broker ${describeExit(exit)} before it was ready${this.stderr()}`));
      });
    });
  }

  async pause(): Promise<void> {
    this.signal('SIGSTOP');
    this.paused = true;
    await this.waitForThreads((state) => state === 'T', 'stop');
  }

  async resume(): Promise<void> {
    this.signal('SIGCONT');
    this.paused = false;
    await this.waitForThreads((state) => state !== 'T', 'continue');
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  kill(): void {
    if (this.exit !== undefined) return;
    this.killed = true;
    this.holdEventLoop(true);
    this.child.kill('SIGKILL');
  }

  private async shutDown(): Promise<void> {
    if (this.killed) await this.exited;
    if (this.exit !== undefined) return;
    this.holdEventLoop(true);
    this.child.kill('SIGTERM');
    // A stopped process only acts on the pending SIGTERM once it is continued.
    if (this.paused) this.child.kill('SIGCONT');
    const exit = await withTimeout(this.exited, STOP_TIMEOUT_MS);
    if (exit === undefined) {
      this.kill();
      throw new Error(`The mock Kafka broker ignored SIGTERM for ${STOP_TIMEOUT_MS} ms and was killed`);
    }
    if (exit.code !== 0) {
      throw new Error(`The mock Kafka broker ${describeExit(exit)} while shutting down${this.stderr()}`);
    }
  }

  /** While the exit is awaited, Node must keep running to observe it. */
  private holdEventLoop(hold: boolean): void {
    const { child } = this;
    if (hold) child.ref();
    else child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      if (!(stream instanceof Socket)) continue;
      if (hold) stream.ref();
      else stream.unref();
    }
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exit !== undefined) {
      throw new Error(`The mock Kafka broker is no longer running: it ${describeExit(this.exit)}`);
    }
    this.child.kill(signal);
  }

  /** Signals are delivered asynchronously, and each thread stops on its own. */
  private async waitForThreads(done: (state: string) => boolean, action: string): Promise<void> {
    const deadline = Date.now() + SIGNAL_TIMEOUT_MS;
    while (!(await threadStates(this.pid)).every(done)) {
      if (Date.now() > deadline) {
        throw new Error(`The mock Kafka broker did not ${action} within ${SIGNAL_TIMEOUT_MS} ms`);
      }
      await sleep(5);
    }
  }

  private stderr(): string {
    const text = this.stderrTail.trim();
    return text === '' ? ' (no stderr output)' : `; its stderr:\n${text}`;
  }
}

/** Scheduler state letter of every thread of a process, from /proc (Linux). */
async function threadStates(pid: number): Promise<string[]> {
  const tasks = await readdir(`/proc/${pid}/task`);
  const stats = await Promise.all(tasks.map((task) => readFile(`/proc/${pid}/task/${task}/stat`, 'utf8')));
  // The command name in parentheses may itself contain spaces and parentheses.
  return stats.map((stat) => stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
}

function describeExit(exit: KafkaBrokerExit): string {
  return exit.signal === null ? `exited with code ${exit.code}` : `was killed by ${exit.signal}`;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
