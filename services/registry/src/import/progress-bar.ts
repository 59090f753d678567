import type { ImportProgress, ImportSummary } from '../application/import/citizen-import.js';

const count = (n: number) => Math.round(n).toLocaleString('en-US');

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

function percent(p: ImportProgress): number {
  return p.fileBytes > 0 ? Math.min(100, (p.bytesDone / p.fileBytes) * 100) : 100;
}

function figures(p: ImportProgress): string {
  const eta = p.etaSeconds === undefined ? '' : ` · ETA ${duration(p.etaSeconds)}`;
  return (
    `${count(p.rows)} rows · ${count(p.accepted)} registered · ${count(p.rejected)} rejected · ` +
    `${count(p.rowsPerSecond)} rows/s${eta}`
  );
}

/** One line for a terminal, redrawn in place: a bar over the bytes committed, and the figures. */
export function progressBar(p: ImportProgress, width = 24): string {
  const done = Math.round((percent(p) / 100) * width);
  return `[${'█'.repeat(done)}${'░'.repeat(width - done)}] ${percent(p).toFixed(1).padStart(5)}% · ${figures(p)}`;
}

/** One line for a log: the same figures, without the bar. */
export function progressLine(p: ImportProgress): string {
  return `import ${p.importId}: ${percent(p).toFixed(1)}% · ${figures(p)}`;
}

export function summaryText(s: ImportSummary, rejectionsFile: string | undefined): string {
  const lines = [
    s.status === 'completed'
      ? `import ${s.importId}: ${s.elapsedMs === 0 ? 'already completed; nothing to do' : 'completed'}`
      : `import ${s.importId}: stopped; run the same command again to resume after row ${count(s.rows)}`,
    `  rows:       ${count(s.rows)} (${count(s.accepted)} registered, ${count(s.rejected)} rejected)`,
  ];
  if (s.resumedAtRow > 0) lines.push(`  resumed at: row ${count(s.resumedAtRow)}`);
  if (s.elapsedMs > 0) {
    lines.push(
      `  this run:   ${count(s.rows - s.resumedAtRow)} rows in ${duration(s.elapsedMs / 1000)} (${count(s.rowsPerSecond)} rows/s)`,
    );
  }
  if (s.rejected > 0 && rejectionsFile) lines.push(`  rejections: ${rejectionsFile}`);
  return `${lines.join('\n')}\n`;
}
