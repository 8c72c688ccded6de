/** A one-line progress bar on stderr for big files (only when stderr is a terminal). */
export class ProgressBar {
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number): void {
    const now = Date.now();
    if (now - this.lastDraw < 200) return; // wall clock is fine here: this is UI, not detection
    this.lastDraw = now;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const secs = (now - this.started) / 1000;
    const mbps = secs > 0 ? done / 1e6 / secs : 0;
    this.out.write(
      `\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mbps.toFixed(0)} MB/s`,
    );
  }

  done(): void {
    if (this.lastDraw) this.out.write('\r\x1b[K');
  }
}
