import type { ExpectedVersion } from './types.js';

/** The stream was not at the version the writer expected: another writer got there first. */
export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    /** The stream's version when the append was refused; 0 when it does not exist. */
    readonly actual: number,
  ) {
    super(`stream ${streamId} is at version ${actual}, expected ${String(expected)}`);
  }
}

/** An append or read was asked for something the store cannot do as stated. */
export class InvalidEventStoreRequestError extends Error {
  override readonly name = 'InvalidEventStoreRequestError';
}

/** Raised by the command handler when every retry lost the race for the stream. */
export class ConcurrencyRetriesExhaustedError extends Error {
  override readonly name = 'ConcurrencyRetriesExhaustedError';
  constructor(
    readonly streamId: string,
    readonly attempts: number,
    override readonly cause: WrongExpectedVersionError,
  ) {
    super(`gave up on stream ${streamId} after ${attempts} conflicting attempts`);
  }
}
