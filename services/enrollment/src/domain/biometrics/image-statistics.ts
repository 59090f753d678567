/** Mean and standard deviation of luminance: enough to tell a picture from a blank frame. */
export function luminanceStatistics(luminance: Uint8Array): { mean: number; deviation: number } {
  // A strided sample bounds the cost whatever the image size.
  const step = Math.max(1, Math.floor(luminance.length / 65_536));
  let sum = 0;
  let squares = 0;
  let n = 0;
  for (let i = 0; i < luminance.length; i += step) {
    const v = luminance[i]!;
    sum += v;
    squares += v * v;
    n++;
  }
  if (n === 0) return { mean: 0, deviation: 0 };
  const mean = sum / n;
  return { mean, deviation: Math.sqrt(Math.max(0, squares / n - mean * mean)) };
}
