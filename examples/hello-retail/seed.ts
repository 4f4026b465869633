/**
 * Seeds Hello, Retail!: the catalog and the photographers through the running
 * gateway's functions, the card authority straight into the database (the
 * original's card authority was a stand-in with no API either).
 *
 * ```sh
 * deno run -A examples/hello-retail/seed.ts [GATEWAY_URL]   # default http://127.0.0.1:8080
 * ```
 * The database is in `HELLO_RETAIL_DATA` (default examples/hello-retail/.data),
 * the directory the functions use.
 *
 * @module
 */
import { DATA_ENV, dataDir } from "./_shared/config.ts";
import { withDb } from "./_shared/db.ts";
import { callOk } from "./gateway_client.ts";
import { CARDS, PHOTOGRAPHERS, PRODUCTS } from "./seed_data.ts";

/** How much was seeded. */
export interface Seeded {
  /** Products built. */
  products: number;
  /** Photographers registered. */
  photographers: number;
  /** Cards stored. */
  cards: number;
}

/** Seeds through `gateway` and into the database in `dir`; throws on the first failure. */
export async function seed(gateway: string, dir: string): Promise<Seeded> {
  for (const product of PRODUCTS) await callOk(gateway, "build-product", product);
  for (const photographer of PHOTOGRAPHERS) {
    await callOk(gateway, "register-photographer", photographer);
  }
  withDb((db) => {
    for (const card of CARDS) db.put("creditCardAuthority", card.card, card);
  }, dir);
  return { products: PRODUCTS.length, photographers: PHOTOGRAPHERS.length, cards: CARDS.length };
}

if (import.meta.main) {
  const gateway = Deno.args[0] ?? "http://127.0.0.1:8080";
  const seeded = await seed(gateway, dataDir(Deno.env.get(DATA_ENV)));
  console.log(`seeded ${JSON.stringify(seeded)} through ${gateway}`);
}
