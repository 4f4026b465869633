/**
 * The errors of the test bed: TestbedError for anything that failed, and its
 * subclass RttMismatchError when the measured RTT is not the configured one.
 *
 * @module
 */
import type { RttCheck } from "./ping.ts";

/** The stage of building or running a test bed that an error or a progress report refers to. */
export type TestbedStep =
  | "preflight"
  | "namespaces"
  | "links"
  | "delays"
  | "calibrated"
  | "rtt"
  | "measure"
  | "verify"
  | "close";

/**
 * A test bed could not be built, changed, measured or removed. `step` says
 * where; `detail` carries the failing command's output or measurements.
 */
export class TestbedError extends Error {
  /** Where it failed. */
  readonly step: TestbedStep;
  /** The failing command's stderr, or other context; may be empty. */
  readonly detail: string;

  /** Creates the error for `step`, with an optional `detail` and `cause`. */
  constructor(step: TestbedStep, message: string, detail = "", options?: ErrorOptions) {
    super(detail ? `${message}: ${detail.trim()}` : message, options);
    this.name = "TestbedError";
    this.step = step;
    this.detail = detail;
  }
}

/** `Testbed.verify` measured a median RTT off the configured one; `checks` holds every pair. */
export class RttMismatchError extends TestbedError {
  /** Every pair measured, the failing ones with `ok: false`. */
  readonly checks: readonly RttCheck[];

  /** Creates the error from the checks of one verification. */
  constructor(checks: readonly RttCheck[]) {
    const failed = checks.filter((check) => !check.ok);
    super(
      "verify",
      `RTT off by more than allowed on ${failed.length} of ${checks.length} host pairs`,
      failed.map((check) =>
        `${check.from} -> ${check.to}: median ${check.median.toFixed(3)} ms, ` +
        `configured ${check.rttMs} ms, allowed ±${check.allowedMs.toFixed(3)} ms`
      ).join("; "),
    );
    this.name = "RttMismatchError";
    this.checks = checks;
  }
}
