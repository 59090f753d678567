import { createHash } from 'node:crypto';
import { invalidArgument } from '@cancuoc/grpc';
import type { UploadHeader } from '@cancuoc/proto';
import { checks } from './request-checks.js';

/** One message of a chunked upload: the header first, then bytes. */
export type UploadPart<H> =
  | { case: 'header'; value: H }
  | { case: 'chunk'; value: Uint8Array }
  | { case: undefined; value?: undefined };

const SHA256 = /^[0-9a-f]{64}$/;
export const MAX_CHUNK_BYTES = 1024 * 1024;

const refuse = (field: string, reason: string, description: string) =>
  invalidArgument([{ field, reason, description }]);

/**
 * Reads a client-streamed upload: a header announcing the size and SHA-256, then chunks. Refuses,
 * without storing anything and before anything is looked up: an empty stream or one whose first
 * message is not the header, a second header, a message that is neither, a header that does not
 * pass `checkHeader` (its own fields, with the upload's at `uploadPath`), an empty chunk, a chunk
 * over 1 MiB, a file larger than `maxBytes` (as soon as it is seen), one shorter or longer than
 * announced, and one whose hash differs — the operator's client sends it again. Every chunk adds
 * a byte at least, so a stream cannot run longer than the size it announced.
 */
export async function readUpload<H>(
  parts: AsyncIterable<{ part: UploadPart<H> }>,
  uploadOf: (header: H) => UploadHeader | undefined,
  maxBytes: number,
  options: { uploadPath: string; checkHeader?: (header: H) => void },
): Promise<{ header: H; upload: UploadHeader; bytes: Uint8Array }> {
  const at = options.uploadPath;
  let header: H | undefined;
  let upload: UploadHeader | undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const hash = createHash('sha256');
  for await (const { part } of parts) {
    if (part.case === 'header') {
      if (header !== undefined) throw refuse('header', 'REPEATED', 'send the header once, first');
      header = part.value;
      upload = uploadOf(part.value);
      if (!upload) throw refuse(at.replace(/\.$/, ''), 'REQUIRED', 'the header must say what is uploaded');
      const shape = checks()
        .uuid(`${at}application_id`, upload.applicationId, 'application')
        .version(`${at}expected_version`, upload.expectedVersion);
      if (!SHA256.test(upload.sha256))
        shape.add(`${at}sha256`, 'INVALID_FORMAT', 'the SHA-256 of the file, as 64 lowercase hex digits');
      if (upload.size === 0n || upload.size > BigInt(maxBytes))
        shape.add(`${at}size`, 'OUT_OF_RANGE', `a file of 1 to ${maxBytes} bytes`);
      shape.done();
      options.checkHeader?.(part.value);
      continue;
    }
    if (part.case !== 'chunk')
      throw refuse('part', 'REQUIRED', 'each message is the header or a chunk of the file');
    if (!upload) throw refuse('header', 'REQUIRED', 'send the header before the first chunk');
    if (part.value.length === 0) throw refuse('chunk', 'EMPTY', 'a chunk holds at least one byte');
    if (part.value.length > MAX_CHUNK_BYTES) {
      throw refuse('chunk', 'TOO_LARGE', `chunks of at most ${MAX_CHUNK_BYTES} bytes`);
    }
    received += part.value.length;
    if (BigInt(received) > upload.size) {
      throw refuse(
        'chunk',
        'SIZE_MISMATCH',
        'more bytes arrived than the header announced; send the file again',
      );
    }
    hash.update(part.value);
    chunks.push(part.value);
  }
  if (header === undefined || !upload) throw refuse('header', 'REQUIRED', 'the upload has no header');
  if (BigInt(received) !== upload.size) {
    throw refuse(
      'chunk',
      'SIZE_MISMATCH',
      `${received} bytes arrived, ${upload.size} were announced; send the file again`,
    );
  }
  if (hash.digest('hex') !== upload.sha256) {
    throw refuse(
      `${at}sha256`,
      'HASH_MISMATCH',
      'the file was damaged on the way (its SHA-256 differs); send it again',
    );
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { header, upload, bytes };
}
