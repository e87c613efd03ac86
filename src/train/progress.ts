// A one-line progress bar for long loops: iteration, epoch, it/s, ETA and the latest losses.
// On a terminal it redraws in place; otherwise (CI, a log file) it prints a line every `every` steps.

export interface ProgressState {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  iter: number;
  losses?: Record<string, number>;
  extra?: string;
}

function clock(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class Progress {
  private readonly start = performance.now();
  private readonly tty: boolean;
  private done = 0;

  constructor(
    private readonly total: number,
    private readonly every = 10,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  /** Reports one more finished unit of work. */
  tick(s: ProgressState): void {
    this.done++;
    const elapsed = (performance.now() - this.start) / 1000;
    const rate = this.done / elapsed;
    const left = Math.max(0, this.total - this.done) / rate;
    const width = 20;
    const filled = Math.round((width * s.step) / Math.max(1, s.steps));
    const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}`;
    const losses = Object.entries(s.losses ?? {})
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(' ');
    const line =
      `epoch ${s.epoch}/${s.epochs} [${bar}] ${s.step}/${s.steps} it ${s.iter} ` +
      `${rate.toFixed(2)} it/s ETA ${clock(left)} ${losses}${s.extra ? ` ${s.extra}` : ''}`;
    if (this.tty) {
      const cols = this.out.columns || 160;
      this.out.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
    } else if (this.done % this.every === 0 || this.done === this.total) {
      this.out.write(`${line}\n`);
    }
  }

  /** Prints a message without breaking the bar. */
  log(msg: string): void {
    this.out.write(this.tty ? `\r\x1b[K${msg}\n` : `${msg}\n`);
  }

  end(): void {
    if (this.tty) this.out.write('\n');
  }
}
