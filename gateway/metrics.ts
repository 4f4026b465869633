/**
 * A tiny Prometheus metrics registry for the gateway's `/metrics` endpoint: counters, gauges
 * (optionally computed at scrape time) and cumulative histograms, rendered in the text
 * exposition format 0.0.4 with no dependencies.
 *
 * @module
 */

/** Content-Type of {@linkcode Registry.render} output, for the `/metrics` response header. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// 0.5 ms to 10 s, written in milliseconds for legibility (x / 1000 gives the exact literal).
const DEFAULT_BUCKETS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1e3, 2.5e3, 5e3, 10e3]
  .map((ms) => ms / 1000);

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

function sample(name: string, labels: string, value: number): string {
  return `${name}${labels === "" ? "" : `{${labels}}`} ${formatNumber(value)}\n`;
}

/** Validated label names of one metric plus its series, keyed by their rendered label text. */
class Series<T> {
  readonly values = new Map<string, T>();

  constructor(readonly metric: string, readonly labelNames: readonly string[]) {
    if (!METRIC_NAME.test(metric)) throw new TypeError(`invalid metric name "${metric}"`);
    for (const [i, label] of labelNames.entries()) {
      if (!LABEL_NAME.test(label) || label.startsWith("__")) {
        throw new TypeError(`metric ${metric}: invalid label name "${label}"`);
      }
      if (labelNames.indexOf(label) !== i) {
        throw new TypeError(`metric ${metric}: duplicate label name "${label}"`);
      }
    }
  }

  /** Renders `labels` in declared order (`a="x",b="y"`); this text is also the series key. */
  key(labels: Record<string, string>): string {
    for (const label of Object.keys(labels)) {
      if (!this.labelNames.includes(label)) {
        throw new TypeError(`metric ${this.metric}: undeclared label "${label}"`);
      }
    }
    return this.labelNames.map((label) => {
      const value = Object.hasOwn(labels, label) ? labels[label] : undefined;
      if (typeof value !== "string") {
        throw new TypeError(`metric ${this.metric}: missing label "${label}"`);
      }
      return `${label}="${escapeLabelValue(value)}"`;
    }).join(",");
  }

  /** The series for `labels`, created by `init` on first use so order is first appearance. */
  get(labels: Record<string, string>, init: () => T): [string, T] {
    const key = this.key(labels);
    let value = this.values.get(key);
    if (value === undefined) this.values.set(key, value = init());
    return [key, value];
  }

  header(help: string, type: string): string {
    const escaped = help.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
    return `# HELP ${this.metric} ${escaped}\n# TYPE ${this.metric} ${type}\n`;
  }
}

/** A monotonically increasing count (requests, errors); label-less counters start at 0. */
export class Counter {
  readonly #series: Series<number>;

  /** Validates `name` and `labelNames`; prefer {@linkcode Registry.counter} to register it. */
  constructor(readonly name: string, readonly help: string, labelNames: readonly string[] = []) {
    this.#series = new Series(name, labelNames);
    if (labelNames.length === 0) this.#series.values.set("", 0);
  }

  /** Adds `by` (default 1) to the series for `labels`; a negative or NaN `by` is a RangeError. */
  inc(labels: Record<string, string> = {}, by = 1): void {
    if (!(by >= 0)) throw new RangeError(`counter ${this.name}: increment must be >= 0, got ${by}`);
    const [key, value] = this.#series.get(labels, () => 0);
    this.#series.values.set(key, value + by);
  }

  /** The `# HELP`/`# TYPE` lines and one sample per series, each line ending in `\n`. */
  render(): string {
    let out = this.#series.header(this.help, "counter");
    for (const [key, value] of this.#series.values) out += sample(this.name, key, value);
    return out;
  }
}

/** Options for {@linkcode Gauge}. */
export interface GaugeOptions {
  /** Supplies values at render time (e.g. live workers read from pools); overrides set values. */
  collect?: () => Iterable<[Record<string, string>, number]>;
}

/** A value that goes up and down (in-flight requests, live workers); label-less ones start at 0. */
export class Gauge {
  readonly #series: Series<number>;
  readonly #collect: GaugeOptions["collect"];

  /** Validates `name` and `labelNames`; prefer {@linkcode Registry.gauge} to register it. */
  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[] = [],
    options: GaugeOptions = {},
  ) {
    this.#series = new Series(name, labelNames);
    this.#collect = options.collect;
    if (labelNames.length === 0) this.#series.values.set("", 0);
  }

  /** Sets the series for `labels` to `value`. */
  set(labels: Record<string, string>, value: number): void {
    this.#series.values.set(this.#series.key(labels), value);
  }

  /** Adds `by` (default 1) to the series for `labels`. */
  inc(labels: Record<string, string> = {}, by = 1): void {
    const [key, value] = this.#series.get(labels, () => 0);
    this.#series.values.set(key, value + by);
  }

  /** Subtracts `by` (default 1) from the series for `labels`. */
  dec(labels: Record<string, string> = {}, by = 1): void {
    this.inc(labels, -by);
  }

  /** Header lines and one sample per series; `collect` results are merged in, not stored. */
  render(): string {
    const values = new Map(this.#series.values);
    for (const [labels, value] of this.#collect?.() ?? []) {
      values.set(this.#series.key(labels), value);
    }
    let out = this.#series.header(this.help, "gauge");
    for (const [key, value] of values) out += sample(this.name, key, value);
    return out;
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

/** A distribution of durations in seconds, rendered as cumulative `le` buckets, sum and count. */
export class Histogram {
  readonly #series: Series<HistogramState>;
  readonly #buckets: readonly number[];

  /** `buckets` are upper bounds in seconds, strictly increasing; a trailing `+Inf` is implied. */
  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = DEFAULT_BUCKETS,
  ) {
    this.#series = new Series(name, labelNames);
    if (labelNames.includes("le")) throw new TypeError(`histogram ${name}: label "le" is reserved`);
    const bounds = buckets.at(-1) === Infinity ? buckets.slice(0, -1) : [...buckets];
    bounds.forEach((bound, i) => {
      if (!Number.isFinite(bound) || (i > 0 && !(bound > bounds[i - 1]))) {
        throw new RangeError(
          `histogram ${name}: buckets must be finite and increasing: ${buckets}`,
        );
      }
    });
    this.#buckets = bounds;
    if (labelNames.length === 0) this.#series.values.set("", this.#empty());
  }

  #empty(): HistogramState {
    return { counts: new Array(this.#buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  /** Records one observation of `seconds` in the series for `labels`. */
  observe(labels: Record<string, string>, seconds: number): void {
    const [, state] = this.#series.get(labels, () => this.#empty());
    const i = this.#buckets.findIndex((bound) => seconds <= bound);
    state.counts[i === -1 ? this.#buckets.length : i]++;
    state.sum += seconds;
    state.count++;
  }

  /** Header lines, then per series `_bucket` (cumulative, ending `+Inf`), `_sum` and `_count`. */
  render(): string {
    let out = this.#series.header(this.help, "histogram");
    for (const [key, state] of this.#series.values) {
      const prefix = key === "" ? "" : `${key},`;
      let cumulative = 0;
      state.counts.forEach((n, i) => {
        cumulative += n;
        const le = formatNumber(this.#buckets[i] ?? Infinity);
        out += sample(`${this.name}_bucket`, `${prefix}le="${le}"`, cumulative);
      });
      out += sample(`${this.name}_sum`, key, state.sum);
      out += sample(`${this.name}_count`, key, state.count);
    }
    return out;
  }
}

/** The set of metrics served at `/metrics`; names are unique so the exposition stays valid. */
export class Registry {
  readonly #metrics = new Map<string, Counter | Gauge | Histogram>();

  #add<M extends Counter | Gauge | Histogram>(metric: M): M {
    if (this.#metrics.has(metric.name)) {
      throw new TypeError(`metric "${metric.name}" is already registered`);
    }
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  /** Creates and registers a {@linkcode Counter}; a name already registered is a TypeError. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }

  /** Creates and registers a {@linkcode Gauge}; a name already registered is a TypeError. */
  gauge(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    options: GaugeOptions = {},
  ): Gauge {
    return this.#add(new Gauge(name, help, labelNames, options));
  }

  /** Creates and registers a {@linkcode Histogram}; a name already registered is a TypeError. */
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets?: readonly number[],
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets));
  }

  /** All metrics in registration order as exposition text 0.0.4 (serve with CONTENT_TYPE). */
  render(): string {
    return [...this.#metrics.values()].map((metric) => metric.render()).join("");
  }
}
