/**
 * Progress for the terminal: one live line per table on a TTY (rows, rows/s, ETA, rewritten with
 * `\r` at most 10×/s), plain start/finish lines otherwise (logs, CI). Written to stderr so that
 * `--json` keeps stdout for the report alone.
 */
export interface ProgressReporter {
  phase(message: string): void;
  tableStart(table: string, total: number, alreadyDone: number): void;
  tableRows(table: string, done: number): void;
  tableEnd(table: string, done: number, seconds: number): void;
}

export const silentProgress: ProgressReporter = {
  phase() {},
  tableStart() {},
  tableRows() {},
  tableEnd() {},
};

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function consoleProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): ProgressReporter {
  if (quiet) return silentProgress;
  const tty = stream.isTTY === true;
  let current: { table: string; total: number; startedAt: number; startRows: number; lastDraw: number } | undefined;

  const draw = (done: number, final: boolean) => {
    if (!current) return;
    const seconds = (performance.now() - current.startedAt) / 1000;
    const rate = seconds > 0 ? (done - current.startRows) / seconds : 0;
    const remaining = rate > 0 ? (current.total - done) / rate : 0;
    const pct = current.total ? Math.min(100, (100 * done) / current.total) : 100;
    const line =
      `  ${current.table.padEnd(28)} ${fmt(done).padStart(10)} / ${fmt(current.total).padEnd(10)} ${pct.toFixed(0).padStart(3)}%` +
      `  ${fmt(rate).padStart(9)} rows/s  ${final ? `done in ${seconds.toFixed(1)} s` : `ETA ${remaining.toFixed(0)} s`}`;
    stream.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
  };

  return {
    phase(message) {
      stream.write(`${message}\n`);
    },
    tableStart(table, total, alreadyDone) {
      current = { table, total, startedAt: performance.now(), startRows: alreadyDone, lastDraw: 0 };
      if (tty) draw(alreadyDone, false);
      else stream.write(`  ${table}: copying ${fmt(total - alreadyDone)} rows${alreadyDone ? ` (resuming after ${fmt(alreadyDone)})` : ''}\n`);
    },
    tableRows(_table, done) {
      if (!tty || !current) return;
      const now = performance.now();
      if (now - current.lastDraw < 100) return;
      current.lastDraw = now;
      draw(done, false);
    },
    tableEnd(table, done, seconds) {
      if (tty) draw(done, true);
      else stream.write(`  ${table}: ${fmt(done)} rows in ${seconds.toFixed(1)} s\n`);
      current = undefined;
    },
  };
}
