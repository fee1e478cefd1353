// Terminal feedback on stderr: a spinner while waiting for a state, a progress
// bar (bytes, rate, ETA) for blob transfers. Only used when stderr is a TTY.

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Spinner {
  private frame = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly out: NodeJS.WritableStream, private readonly text: string) {
    this.timer = setInterval(() => this.out.write(`\r${FRAMES[this.frame++ % FRAMES.length]} ${this.text}`), 100);
  }

  stop(): void {
    clearInterval(this.timer);
    this.out.write('\r\x1b[K');
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${n.toFixed(unit === 0 ? 0 : 1)} ${UNITS[unit]}`;
}

export class Progress {
  private readonly started = Date.now();
  private lastDraw = 0;
  private bytes = 0;

  constructor(private readonly out: NodeJS.WritableStream, private total: number | undefined) {}

  update(bytes: number, total?: number): void {
    this.bytes = bytes;
    if (total !== undefined) this.total = total;
    const now = Date.now();
    if (now - this.lastDraw < 100 && bytes !== this.total) return;
    this.lastDraw = now;
    this.draw(now);
  }

  private draw(now: number): void {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = this.bytes / seconds;
    let line = `${formatBytes(this.bytes)}`;
    if (this.total !== undefined && this.total > 0) {
      const ratio = Math.min(this.bytes / this.total, 1);
      const width = 30;
      const filled = Math.round(ratio * width);
      const eta = rate > 0 ? Math.max(0, (this.total - this.bytes) / rate) : 0;
      line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0)}% ${formatBytes(this.bytes)}/${formatBytes(this.total)} ETA ${eta.toFixed(0)}s`;
    }
    this.out.write(`\r${line} ${formatBytes(rate)}/s\x1b[K`);
  }

  done(): void {
    this.draw(Date.now());
    this.out.write('\n');
  }
}
