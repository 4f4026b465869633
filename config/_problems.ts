/**
 * Per-function outcomes of discovery: a function found, or its problems.
 *
 * @module
 */
import type { DiscoveredFunction, DiscoveryProblem } from "./discover.ts";

/** One function's outcome: found, or not, and its problems. */
export interface Result {
  found?: DiscoveredFunction;
  problems: DiscoveryProblem[];
}

/** Collects the problems of one function (or file). */
export class Problems {
  readonly list: DiscoveryProblem[] = [];
  constructor(public name?: string) {}
  add(file: string, message: string): void {
    this.list.push({ ...(this.name === undefined ? {} : { function: this.name }), file, message });
  }
}

/** Runs `load`, turning an unexpected error (unreadable file…) into a problem of `file`. */
export async function guarded(file: string, load: () => Promise<Result>): Promise<Result> {
  try {
    return await load();
  } catch (error) {
    return { problems: [{ file, message: `${file}: ${(error as Error).message}` }] };
  }
}
