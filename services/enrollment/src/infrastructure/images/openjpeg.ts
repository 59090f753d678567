import { createRequire } from 'node:module';

/** The parts of the OpenJPEG WebAssembly build (@cornerstonejs/codec-openjpeg) this service uses. */
export interface FrameInfo {
  readonly width: number;
  readonly height: number;
  readonly bitsPerSample: number;
  readonly componentCount: number;
  readonly isSigned: boolean;
}

export interface OpenJpegModule {
  J2KDecoder: new () => {
    getEncodedBuffer(length: number): Uint8Array;
    readHeader(): void;
    decode(): void;
    getFrameInfo(): FrameInfo;
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  };
  J2KEncoder: new () => {
    getDecodedBuffer(frameInfo: FrameInfo): Uint8Array;
    setQuality(lossless: boolean, quality: number): void;
    encode(): void;
    getEncodedBuffer(): Uint8Array;
    delete(): void;
  };
}

let loading: Promise<OpenJpegModule> | undefined;

/**
 * Loads the codec once per process. Emscripten's default `print` would write the library's
 * progress messages to stdout, which belongs to the service's structured log: they are dropped.
 */
export function openJpeg(): Promise<OpenJpegModule> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    const factory = require('@cornerstonejs/codec-openjpeg/wasmjs') as (
      options: object,
    ) => Promise<OpenJpegModule>;
    return factory({ print: () => undefined, printErr: () => undefined });
  })();
  return loading;
}
