/**
 * File-system look-ups of discovery.
 *
 * @module
 */
import { join } from "node:path";

export async function stat(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw error;
  }
}

export async function isFile(path: string): Promise<boolean> {
  return (await stat(path))?.isFile ?? false;
}

/** The first Deno entry file in `dir`, absolute; null if none. */
export async function findEntry(dir: string): Promise<string | null> {
  for (const file of DENO_ENTRIES) {
    if (await isFile(join(dir, file))) return join(dir, file);
  }
  return null;
}

/** The subdirectories of `root` that may hold functions (not "." or "_" ones), sorted. */
export async function subdirectories(root: string): Promise<string[]> {
  const dirs: string[] = [];
  for await (const entry of Deno.readDir(root)) {
    if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
    const path = join(root, entry.name);
    if (entry.isDirectory || (entry.isSymlink && (await stat(path))?.isDirectory)) dirs.push(path);
  }
  return dirs.sort();
}

/** The files that make a directory a Deno function, in order of preference. */
export const DENO_ENTRIES: readonly string[] = [
  "main.ts",
  "index.ts",
  "mod.ts",
  "main.js",
  "index.js",
];
