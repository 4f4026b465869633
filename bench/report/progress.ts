/**
 * A terminal progress bar for long benchmark runs: redrawn in place with `\r`
 * when stderr is a terminal, and a plain line every tenth of the way when it
 * is a log file or pipe, so CI logs stay readable.
 *
 * @module
 */

/** Where a progress bar writes; `Deno.stderr` fits. */
export interface ProgressOutput {
  /** Writes some of `p`, returning how many bytes were written. */
  writeSync(p: Uint8Array): number;
  /** Whether the output is a terminal that understands `\r`. */
  isTerminal(): boolean;
}

/** How a `ProgressBar` draws; every field has a default. */
export interface ProgressBarOptions {
  /** Where to write; `Deno.stderr` by default. */
  output?: ProgressOutput;
  /** The clock, ms; `performance.now` by default. */
  now?: () => number;
  /** Cells in the drawn bar (terminal only); 24 by default. */
  width?: number;
  /** Least time between redraws on a terminal, ms; 100 by default. */
  redrawMs?: number;
  /** Plain lines written over a whole run off a terminal; 10 by default. */
  steps?: number;
}

/** Formats a duration in ms as `m:ss`, or `h:mm:ss` from an hour. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * Shows how far a run has come: label, done/total, elapsed time and an
 * estimate of the time left, written to stderr.
 *
 * @example
 * ```ts
 * const bar = new ProgressBar("tls get-noncontinuous", 100);
 * for (let i = 0; i < 100; i++) bar.tick();
 * bar.finish();
 * ```
 */
export class ProgressBar {
  #label: string;
  #total: number;
  #done = 0;
  #output: ProgressOutput;
  #tty: boolean;
  #now: () => number;
  #start: number;
  #width: number;
  #redrawMs: number;
  #steps: number;
  #lastDraw = -Infinity;
  #lastStep = 0;
  #finished = false;
  #encoder = new TextEncoder();

  /**
   * A bar for `total` units of work, starting its clock now.
   *
   * @throws {RangeError} if `total` is not a non-negative integer.
   */
  constructor(label: string, total: number, options: ProgressBarOptions = {}) {
    if (!Number.isInteger(total) || total < 0) {
      throw new RangeError(`Cannot track progress: received total ${total}`);
    }
    this.#label = label;
    this.#total = total;
    this.#output = options.output ?? Deno.stderr;
    this.#tty = this.#output.isTerminal();
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#now();
    this.#width = options.width ?? 24;
    this.#redrawMs = options.redrawMs ?? 100;
    this.#steps = options.steps ?? 10;
  }

  /** Units done so far. */
  get done(): number {
    return this.#done;
  }

  /** Marks `n` more units done. */
  tick(n = 1): void {
    this.update(this.#done + n);
  }

  /** Sets the units done (kept within 0..total), and redraws if it is time. */
  update(done: number): void {
    this.#done = Math.min(this.#total, Math.max(0, Number.isFinite(done) ? done : 0));
    if (this.#tty) {
      const now = this.#now();
      if (now - this.#lastDraw < this.#redrawMs) return;
      this.#lastDraw = now;
      this.#write(`\r${this.status()}\x1b[K`);
    } else {
      const step = this.#total === 0
        ? this.#steps
        : Math.floor(this.#done * this.#steps / this.#total);
      if (step <= this.#lastStep) return;
      this.#lastStep = step;
      this.#write(`${this.status()}\n`);
    }
  }

  /** Draws the final state and ends the line; later calls do nothing. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#tty) this.#write(`\r${this.status()}\x1b[K\n`);
    else if (this.#lastStep < this.#steps || this.#done < this.#total) {
      this.#write(`${this.status()}\n`);
    }
  }

  /** The current status line, without control characters: label, bar (terminal only), counts and times. */
  status(): string {
    const fraction = this.#total === 0 ? 1 : this.#done / this.#total;
    const elapsed = this.#now() - this.#start;
    const eta = this.#done === 0
      ? "?"
      : formatDuration(elapsed * (this.#total - this.#done) / this.#done);
    const filled = Math.round(fraction * this.#width);
    const bar = this.#tty ? ` [${"#".repeat(filled)}${"-".repeat(this.#width - filled)}]` : "";
    return `${this.#label}${bar} ${this.#done}/${this.#total} ${Math.floor(fraction * 100)}% ` +
      `elapsed ${formatDuration(elapsed)} ETA ${eta}`;
  }

  #write(text: string): void {
    let bytes = this.#encoder.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(this.#output.writeSync(bytes));
  }
}
