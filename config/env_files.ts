/**
 * A function's environment from files: dotenv or OpenFaaS YAML environment
 * files, and secrets from `.secrets/<name>`.
 *
 * @module
 */
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { environment, Expected, isRecord } from "./_fields.ts";
import type { Problems } from "./_problems.ts";
import { parseDotenv } from "./dotenv.ts";

/**
 * Reads an environment file: dotenv, or (for stack.yml, `yaml`) an OpenFaaS
 * YAML file with an `environment:` map.
 */
export async function loadEnvFile(
  file: string,
  problems: Problems,
  yaml: boolean,
): Promise<Record<string, string>> {
  let content: string;
  try {
    content = await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
    problems.add(file, `${file}: cannot read the environment file: ${reason}`);
    return {};
  }
  if (yaml) {
    let doc: unknown;
    try {
      doc = parseYaml(content);
    } catch { /* not YAML: dotenv */ }
    if (isRecord(doc) && isRecord(doc.environment)) {
      try {
        return environment(true)(doc.environment);
      } catch (error) {
        if (!(error instanceof Expected)) throw error;
        problems.add(file, `${file}: "environment" must be ${error.expected}`);
        return {};
      }
    }
  }
  const { env, errors } = parseDotenv(content);
  for (const { line, message } of errors) problems.add(file, `${file}:${line}: ${message}`);
  return env;
}

/** Reads secrets from `root/.secrets/<name>`, as env vars named by `secretEnvName`. */
export async function loadSecrets(
  root: string,
  names: string[],
  source: string,
  problems: Problems,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const name of names) {
    const path = join(root, ".secrets", name);
    try {
      env[secretEnvName(name)] = (await Deno.readTextFile(path)).replace(/\r?\n$/, "");
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? `is missing: create the file ${path}`
        : `cannot be read from ${path}: ${(error as Error).message}`;
      problems.add(path, `${source}: secret "${name}" ${reason}`);
    }
  }
  return env;
}

/** The environment variable a secret is given as: `db-password` → `DB_PASSWORD`. */
export function secretEnvName(secret: string): string {
  return secret.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}
