/**
 * How fast the built-in matcher compares ten-prints, and how well it separates people:
 * `node services/enrollment/dist/bench/matcher.js [gallery size]`. Synthetic 45-minutiae fingers;
 * genuine pairs are second impressions (turned, shifted, noisy, 15 % missed and spurious).
 */
import { compareTenPrints } from '../domain/biometrics/minutiae-matching.js';
import { reimpressed, syntheticPerson, tenPrint } from '@cancuoc/synthetic';

const size = Number(process.argv[2] ?? 200);
const placement = { rotation: 15, dx: 25, dy: -18, jitter: 3, angleJitter: 3, dropped: 0.15, spurious: 0.15 };
const gallery = Array.from({ length: size }, (_, i) => ({
  views: tenPrint(syntheticPerson(i + 1)).views,
  resolution: 197,
}));
const probes = Array.from({ length: 5 }, (_, i) => ({
  views: tenPrint(reimpressed(syntheticPerson(i + 1), 900 + i, placement)).views,
  resolution: 197,
}));

let genuineFound = 0;
let falseCandidates = 0;
const started = process.hrtime.bigint();
for (const [p, probe] of probes.entries()) {
  gallery.forEach((reference, g) => {
    const result = compareTenPrints(probe, reference);
    if (result.candidate && g === p) genuineFound++;
    if (result.candidate && g !== p) falseCandidates++;
  });
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const comparisons = probes.length * gallery.length;
process.stdout.write(
  `${JSON.stringify({
    gallery: size,
    searches: probes.length,
    msPerSearch: Math.round((seconds * 1000) / probes.length),
    tenPrintComparisonsPerSecond: Math.round(comparisons / seconds),
    genuineFound: `${genuineFound}/${probes.length}`,
    falseCandidates,
  })}\n`,
);
