import { createHash } from 'node:crypto';

/**
 * A real baseline JPEG (120 × 160, greyscale, made with libjpeg's cjpeg from a drawn oval), as
 * enrollment would hold a captured portrait.
 */
const PORTRAIT = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCACgAHgBAREA/8QAGgABAAMBAQEAAAAAAAAAAAAAAAIDBgUEAf/EADUQAAICAgADBAcFCQAAAAAAAAARAQIDBAUSMQYhUYETIjNBkbHRFCRSYXEyYnJzocHh8PH/2gAIAQEAAD8AzyCCCCCCCCCCCCCCJoIIIIIIIIIIIIIImggggggggggggggiaCCCCO/wzsxlzx6TetbBT3Uhc0wv6f8AehptTR1NKIjWwUxylzRDtMN9esnpZTs6uvt05djDTLCmI5ocw+qn3eRnOJ9llE5OH2m3f7G0x4+6fh1+Jm7UtS01vWa2rKmJhTEnxBBBE0EEEaXs5wmsVru7NJ5m8VbR3L8X0+PgaNhhhhnF7QcJrt4rbOCk/aaR3xWPaR9Y/wAeBkUEEETQQR7uEcPne3Irb2VPWvPf3x4ef1NowwwwwwzJ9oNCdfbnYp7PNMz7/Vt7/j1+PgclBBE0EEajgGtGDR9LMTF80uXC7o6fXzOowwwwwwzxcW1o29DJRTNqxz0UOXH1748zIIIImggjZ4qRixUx1c1pWKw/yJsxfFu0nEKcSz4tbJGHHivOOKxWLNSnMzBqOEbtuIcMw7V6RS14lxE9ziZj+x7GU7ex9m1M2fl5vRY7X5WmoaMVi7VcSrtRkyZK3xcznFyRELwiU/8AfebthmN2MUYtnLjq5rS81h/lJWgiaCLtOPvmD+ZX5mqYZx97s5obuzbPb0uK9/2oxzERM+PfE951NfDi1sFMOCkUx0hVrHuLGRvFb0tS9YtW0KYmHEwcfF2Y4dj2YzLLaItzRjtaJp+nRzHmdphmb4tD4ll8vlB40ETQRbqR97w/x1+ZpWGGGGGGGGcDicPfy+Xyg8iCJoIs11XYxTMqIvEzM/qaBhhhhhhhhnE4grbuSYl9PkeZBE0EEdzHfnx1slzREokwwwwwwwzh5J58lrpc0zKIoImggj36WR4pp+E9LDDDDDDKdrJyYLeNvVOaggiaCCJ4rzjvFo8/0PfzPoGGGGGGeLYv6S/7sdCpBBE0EEEW4b8vqz0L2GGGGVZcndNY8yhBBBE0EEEESraY/OCcWgc0eI5oI2tM9O4gggggiaCCCCCCCCCCCCCCJoIIIIIIIIIIIIIImggggggggggggggiaCCCCCCCCCCCCCCP/9k=',
  'base64',
);

/**
 * A distinct portrait per seed: the same image with a JPEG comment segment (COM, FF FE) after SOI
 * naming the seed, so each test citizen's portrait has its own SHA-256.
 */
export function portrait(seed: string): Uint8Array {
  const comment = Buffer.from(`test portrait ${seed}`);
  const segment = Buffer.concat([Buffer.of(0xff, 0xfe, 0, comment.length + 2), comment]);
  return new Uint8Array(Buffer.concat([PORTRAIT.subarray(0, 2), segment, PORTRAIT.subarray(2)]));
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
