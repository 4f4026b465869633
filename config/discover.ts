/**
 * Finds the functions `qfaas dev` serves in a directory: each subdirectory
 * with a `qfaas.json`, the functions of an OpenFaaS `stack.yml`, and
 * zero-config Deno functions (a subdirectory with `main.ts`, like Supabase
 * functions). A mistake in one function's configuration is reported as a
 * problem and never hides the others.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { DENO_ENTRIES, findEntry, isFile, subdirectories } from "./_fs.ts";
import { guarded, type Result } from "./_problems.ts";
import { fromConfig, fromQfaasJson } from "./_qfaas_json.ts";
import { fromStack, stackFile } from "./_stack_file.ts";
import type { FunctionDefinition, Runtime } from "./function.ts";

/** A function found in the directory, ready to register with the invoker. */
export interface DiscoveredFunction {
  /** What the invoker runs. */
  fn: FunctionDefinition;
  /** The function's directory (absolute). */
  dir: string;
  /** Where it was declared: its qfaas.json, the stack.yml, or (zero-config) its entry module. */
  source: string;
  /** How it runs. */
  runtime: Runtime;
}

/** A configuration error of one function (or of a whole file): that function is left out. */
export interface DiscoveryProblem {
  /** The function at fault, when known. */
  function?: string;
  /** The file at fault (absolute). */
  file: string;
  /** What is wrong and what was expected; names the file. */
  message: string;
}

/** What `discoverFunctions` found: functions sorted by name, and the problems. */
export interface Discovery {
  /** The functions, sorted by name. */
  functions: DiscoveredFunction[];
  /** Per-function configuration errors; the other functions are unaffected. */
  problems: DiscoveryProblem[];
}

/** Finds the functions in `dir`; throws `Deno.errors.NotFound` if `dir` does not exist. */
export async function discoverFunctions(dir: string): Promise<Discovery> {
  const root = resolve(dir);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(root);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot discover functions: no directory ${dir} (${root})`);
    }
    throw error;
  }
  if (!info.isDirectory) {
    throw new Deno.errors.NotADirectory(`Cannot discover functions: ${dir} is not a directory`);
  }

  const results: Result[] = [];
  const stack = await stackFile(root, results);
  const handlerDirs = new Set<string>();
  if (stack) results.push(...await fromStack(root, stack, handlerDirs));

  for (const sub of await subdirectories(root)) {
    const config = join(sub, "qfaas.json");
    if (await isFile(config)) {
      results.push(await guarded(config, () => fromQfaasJson(root, sub, config)));
    } else if (!handlerDirs.has(sub)) {
      const entry = await findEntry(sub);
      if (entry) results.push(await guarded(entry, () => fromConfig(root, sub, entry, {})));
    }
  }

  const functions = new Map<string, DiscoveredFunction>();
  const problems: DiscoveryProblem[] = [];
  for (const { found, problems: own } of results) {
    problems.push(...own);
    if (!found) continue;
    const earlier = functions.get(found.fn.name);
    if (earlier) {
      problems.push({
        function: found.fn.name,
        file: found.source,
        message:
          `${found.source}: function "${found.fn.name}" is already defined in ${earlier.source}; names must be unique`,
      });
    } else {
      functions.set(found.fn.name, found);
    }
  }
  const sorted = [...functions.values()].sort((a, b) => a.fn.name < b.fn.name ? -1 : 1);
  return { functions: sorted, problems };
}

/** What `qfaas dev` looks for, for a directory where it found no function. */
export function describeEmpty(dir: string): string {
  const here = DENO_ENTRIES.concat("qfaas.json").find((file) => {
    try {
      return Deno.statSync(join(dir, file)).isFile;
    } catch {
      return false;
    }
  });
  return [
    `No functions found in ${dir}.`,
    ...(here
      ? [
        `${dir} looks like a function itself (it has ${here}): run qfaas dev on the directory that contains it.`,
      ]
      : []),
    "",
    "qfaas dev looks in the directory for:",
    `  <name>/main.ts          a Deno function (or ${
      DENO_ENTRIES.slice(1).join(", ")
    }) whose default export is (request) => Response or { fetch(request) }`,
    "  <name>/qfaas.json       a function's settings: runtime (deno, python, node, upstream), env, secrets, limits",
    "  stack.yml               OpenFaaS functions: handler directories, environment, secrets, limits",
    'Directories whose names start with "." or "_" are skipped.',
    "",
    "To create a function:",
    "  qfaas new hello                 (a Deno function in ./hello; --lang python or node for others)",
    "  qfaas dev .",
  ].join("\n");
}
