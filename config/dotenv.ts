/**
 * dotenv files: `KEY=VALUE` lines, comments, quotes, `export ` prefixes.
 *
 * @module
 */
import { show } from "./_fields.ts";

/** One malformed line of a dotenv file. */
export interface DotenvError {
  /** 1-based line number. */
  line: number;
  /** What is wrong with it. */
  message: string;
}

/**
 * Parses dotenv text: `KEY=VALUE` lines, `#` comments, blank lines, an optional
 * `export ` prefix, 'single' (literal) and "double" quoted values (`\n`, `\t`,
 * `\"`, `\\` escapes). Malformed lines are reported, the others still read.
 */
export function parseDotenv(text: string): { env: Record<string, string>; errors: DotenvError[] } {
  const env: Record<string, string> = {};
  const errors: DotenvError[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      errors.push({ line: index + 1, message: `expected KEY=VALUE, received ${show(line)}` });
      return;
    }
    const value = dotenvValue(match[2]);
    if (typeof value === "string") env[match[1]] = value;
    else errors.push({ line: index + 1, message: value.error });
  });
  return { env, errors };
}

/** The value part of a dotenv line, unquoted; or what is wrong with it. */
export function dotenvValue(rest: string): string | { error: string } {
  const quote = rest[0];
  if (quote !== '"' && quote !== "'") {
    return rest.startsWith("#") ? "" : rest.replace(/\s+#.*$/, "").trim();
  }
  let value = "";
  let i = 1;
  for (; i < rest.length && rest[i] !== quote; i++) {
    if (quote === '"' && rest[i] === "\\" && i + 1 < rest.length) {
      const next = rest[++i];
      value += { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" }[next] ?? `\\${next}`;
    } else {
      value += rest[i];
    }
  }
  if (i >= rest.length) return { error: `unterminated ${quote} quote` };
  const after = rest.slice(i + 1).trim();
  if (after !== "" && !after.startsWith("#")) {
    return { error: `unexpected ${show(after)} after the quoted value` };
  }
  return value;
}
