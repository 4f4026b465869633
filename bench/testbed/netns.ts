/**
 * Network namespaces by name: unique names per test bed, listing, removal
 * (ending the processes still inside first), and sweeping up after a crashed
 * run.
 *
 * @module
 */
import { ipBatch } from "./_command.ts";
import type { TestbedStep } from "./errors.ts";

/** The namespace prefix used unless told otherwise. */
export const DEFAULT_PREFIX = "qfaas-";

const NETNS_DIR = "/run/netns";
let sequence = 0;

/**
 * A fresh test-bed name: `<prefix><pid>-<n>`. The pid lets `removeStale` tell
 * a crashed run's namespaces from those of a run still going.
 */
export function uniqueBaseName(prefix = DEFAULT_PREFIX): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,23}$/.test(prefix)) {
    throw new TypeError(
      `Cannot name a test bed: received prefix ${
        JSON.stringify(prefix)
      }, expected letters, digits, ".", "-" and "_" (at most 24)`,
    );
  }
  return `${prefix}${Deno.pid}-${++sequence}`;
}

/** The names of all named network namespaces (`ip netns list`), optionally only those starting with `prefix`. */
export async function listNamespaces(prefix = ""): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(NETNS_DIR)) {
      if (entry.name.startsWith(prefix)) names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** Pids of the processes whose network namespace is one of `namespaces`. */
export async function processesIn(namespaces: readonly string[]): Promise<number[]> {
  const inodes = new Set<string>();
  for (const name of namespaces) {
    try {
      const info = await Deno.stat(`${NETNS_DIR}/${name}`);
      inodes.add(`${info.dev}:${info.ino}`);
    } catch { /* not there (any more) */ }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    try {
      const info = await Deno.stat(`/proc/${entry.name}/ns/net`);
      if (inodes.has(`${info.dev}:${info.ino}`)) pids.push(Number(entry.name));
    } catch { /* exited, or a kernel thread */ }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    // A zombie keeps /proc/<pid> but has no namespaces left: count it as gone.
    Deno.statSync(`/proc/${pid}/ns/net`);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: Deno.Signal): void {
  try {
    Deno.kill(pid, name);
  } catch { /* already gone */ }
}

/** Ends `pids`: SIGTERM, then SIGKILL for any still there after `graceMs`. */
export async function endProcesses(pids: readonly number[], graceMs = 500): Promise<void> {
  for (const pid of pids) signal(pid, "SIGTERM");
  const deadline = performance.now() + graceMs;
  let left = pids.filter(alive);
  while (left.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    left = left.filter(alive);
  }
  for (const pid of left) signal(pid, "SIGKILL");
}

/**
 * Deletes `namespaces`, ending the processes still inside them first (a
 * namespace with a process in it outlives `ip netns del`, and so do its
 * devices). Names that do not exist are skipped.
 */
export async function deleteNamespaces(
  namespaces: readonly string[],
  step: TestbedStep = "close",
): Promise<void> {
  const existing = new Set(await listNamespaces());
  const names = namespaces.filter((name) => existing.has(name));
  if (names.length === 0) return;
  await endProcesses(await processesIn(names));
  await ipBatch(step, "delete namespaces", names.map((name) => `netns del ${name}`), {
    force: true,
  });
}

/**
 * Removes the namespaces a crashed run left behind: those named
 * `<prefix><pid>-...` whose process `pid` is gone. Returns the names removed.
 * Namespaces of runs still going (this one included) are left alone.
 */
export async function removeStale(prefix = DEFAULT_PREFIX): Promise<string[]> {
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\d+)-\\d+[-.]`);
  const stale = (await listNamespaces(prefix)).filter((name) => {
    const match = pattern.exec(name);
    if (!match) return false;
    const pid = Number(match[1]);
    if (pid === Deno.pid) return false;
    try {
      Deno.statSync(`/proc/${pid}`);
      return false;
    } catch {
      return true;
    }
  });
  await deleteNamespaces(stale, "preflight");
  return stale;
}
