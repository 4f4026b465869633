/**
 * The invoker's errors: an unknown function, a worker that could not start,
 * and a function that cannot be served now because its workers fail to start.
 *
 * @module
 */

/** A function that does not exist. */
export class FunctionNotFound extends Error {
  /** Creates the error for `name`. */
  constructor(readonly functionName: string) {
    super(`No function named "${functionName}"`);
    this.name = "FunctionNotFound";
  }
}

/** A worker process ended, or hung, before it reported ready; `output` is what it wrote. */
export class WorkerStartError extends Error {
  /** Creates the error for `functionName`'s worker, with its exit code (null: killed, hung). */
  constructor(
    readonly functionName: string,
    readonly worker: string,
    readonly exitCode: number | null,
    readonly output: readonly string[],
    reason: string,
  ) {
    super(
      `function ${functionName} cannot start: ${firstErrorLine(output) ?? reason}${hint(output)}`,
    );
    this.name = "WorkerStartError";
  }

  /** The line of the worker's output that says what went wrong, if any. */
  get firstLine(): string | undefined {
    return firstErrorLine(this.output);
  }
}

/**
 * A function whose last worker failed to start: requests get 503 until the
 * next attempt, `retryInMs` from now (exponential backoff).
 */
export class FunctionUnavailable extends Error {
  /** Creates the error from the start failure behind it. */
  constructor(override readonly cause: WorkerStartError, readonly retryInMs: number) {
    super(cause.message, { cause });
    this.name = "FunctionUnavailable";
  }

  /** The function's name. */
  get functionName(): string {
    return this.cause.functionName;
  }
}

/** What to do about a start error the user can fix in configuration, if it is one. */
function hint(output: readonly string[]): string {
  return output.some((line) => line.includes("Requires ffi access"))
    ? ` (it loads native code: set "allow_ffi": true in its qfaas.json, which lifts its containment)`
    : "";
}

/** Deno's "error: …" line (or the first non-empty line), without colour codes. */
function firstErrorLine(output: readonly string[]): string | undefined {
  // deno-lint-ignore no-control-regex
  const lines = output.map((line) => line.replace(/\x1b\[[0-9;]*m/g, "").trim()).filter(Boolean);
  return lines.find((line) => /^error:/i.test(line)) ?? lines[0];
}
