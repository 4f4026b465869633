/**
 * The shared embedded database: one SQLite file, one key/value table per
 * logical table of Hello, Retail! (the original's DynamoDB tables), values
 * stored as JSON. Like the original's Lambda functions, each call opens a
 * connection and closes it when done (`withDb`).
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { DATA_ENV, databasePath, dataDir } from "./config.ts";

/** The logical tables. */
export const TABLES = [
  "photographerRegistry",
  "photoAssignments",
  "storedPhotos",
  "productCatalog",
  "productCategory",
  "productPrice",
  "creditCardAuthority",
] as const;

/** A logical table's name. */
export type Table = typeof TABLES[number];

/** How long a writer waits for another process's lock before failing. */
const BUSY_TIMEOUT_MS = 5_000;

/** An open connection to the database; close it (or let `using` do it) when done. */
export class RetailDb implements Disposable {
  #db: DatabaseSync;

  /** Opens (and creates if needed) the database in `dir`. */
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.#db = new DatabaseSync(databasePath(dir), { timeout: BUSY_TIMEOUT_MS });
    // WAL: readers in other workers do not wait for a writer.
    this.#db.exec("PRAGMA journal_mode = WAL");
    for (const table of TABLES) {
      this.#db.exec(
        `CREATE TABLE IF NOT EXISTS "${table}" (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT`,
      );
    }
  }

  /** The value under `key`, or undefined. */
  get<T>(table: Table, key: string): T | undefined {
    const row = this.#db.prepare(`SELECT value FROM "${table}" WHERE key = ?`).get(key);
    return row ? JSON.parse(String(row.value)) as T : undefined;
  }

  /** Stores `value` under `key`, replacing what was there. */
  put<T>(table: Table, key: string, value: T): void {
    this.#db.prepare(
      `INSERT INTO "${table}" (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    ).run(key, JSON.stringify(value));
  }

  /** Removes `key`; true if it was there. */
  delete(table: Table, key: string): boolean {
    return Number(this.#db.prepare(`DELETE FROM "${table}" WHERE key = ?`).run(key).changes) > 0;
  }

  /** Every value, by key order; with `field`, only those whose `field` equals `equals`. */
  list<T>(table: Table, field?: string, equals?: string): T[] {
    const rows = field === undefined
      ? this.#db.prepare(`SELECT value FROM "${table}" ORDER BY key`).all()
      : this.#db.prepare(
        `SELECT value FROM "${table}" WHERE json_extract(value, ?) = ? ORDER BY key`,
      ).all(`$.${field}`, equals ?? null);
    return rows.map((row) => JSON.parse(String(row.value)) as T);
  }

  /**
   * Runs `body` in a write transaction (taken at once, so a read-then-write
   * cannot interleave with another worker's); rolls back if it throws.
   */
  transaction<R>(body: () => R): R {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = body();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Closes the connection. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Closes the connection (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens the database, runs `body` and closes it, as each call of the original
 * functions did. The directory is `HELLO_RETAIL_DATA` unless given.
 *
 * @example
 * ```ts
 * const product = withDb((db) => db.get<Product>("productCatalog", "p-1"));
 * ```
 */
export function withDb<R>(body: (db: RetailDb) => R, dir?: string): R {
  using db = new RetailDb(dir ?? dataDir(Deno.env.get(DATA_ENV)));
  return body(db);
}
