// Hello, Retail! end to end: a real gateway and real workers per transport
// (h3, tls, tcp), every function and the three chains, bad input, and the
// database checked after each step. Each transport gets its own temp database.
// The functions run from a copy of this directory outside the repository, each
// prepared as `qfaas dev` prepares it (its own resolution, modules cached), as
// a user's own project would.
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { discoverFunctions } from "../../config/mod.ts";
import { type Gateway, startGateway } from "../../gateway/mod.ts";
import { prepareFunction, type WorkerLogLine } from "../../invoker/mod.ts";
import { type CertificateAuthority, createCa } from "../../pki/mod.ts";
import { MemoryStore } from "../../store/mod.ts";
import { DATA_ENV, outboxPath } from "./_shared/config.ts";
import { type Table, withDb } from "./_shared/db.ts";
import type {
  Assignment,
  CardAuthority,
  Photographer,
  Product,
  StoredPhoto,
} from "./_shared/types.ts";
import { type Answer, callFunction } from "./gateway_client.ts";
import { DEFAULT_PLAN, runChains } from "./run_chains.ts";
import { seed } from "./seed.ts";
import { CARDS } from "./seed_data.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/** This app copied to a temporary directory outside the repository (removed at exit). */
const APP = join(await Deno.makeTempDir({ prefix: "hello-retail-copy-" }), "hello-retail");
cpSync(HERE, APP, { recursive: true, filter: (path) => !path.includes("/.data") });
globalThis.addEventListener("unload", () => Deno.removeSync(join(APP, ".."), { recursive: true }));
const TRANSPORTS = ["h3", "tls", "tcp"] as const;
const FUNCTIONS = [
  "acquire-photo",
  "assign-photographer",
  "authorize-card",
  "browse-products",
  "build-product",
  "get-price",
  "message-photographer",
  "photo-success",
  "publish-result",
  "purchase",
  "receive-photo",
  "record-assignment",
  "register-photographer",
  "report-photo",
  "request-photo",
];
const PURE = ["acquire-photo", "photo-success", "publish-result", "purchase"];

/** A gateway serving every Hello, Retail! function over one transport, on a fresh database. */
class Retail implements AsyncDisposable {
  private constructor(
    readonly gateway: Gateway,
    readonly dir: string,
    readonly logs: string[],
  ) {}

  static async start(transport: typeof TRANSPORTS[number], ca: CertificateAuthority) {
    const dir = await Deno.makeTempDir({ prefix: `hello-retail-${transport}-` });
    const found = await discoverFunctions(APP);
    const logs: string[] = [];
    const prepared = await Promise.all(found.functions.map((f) => prepareFunction(f.fn)));
    const gateway = await startGateway({
      functions: found.functions.map((f, i) => ({
        ...f.fn,
        prepared: prepared[i].config,
        transport,
        env: { ...f.fn.env, [DATA_ENV]: dir },
        ...(f.fn.writable ? { writable: [dir] } : {}),
      })),
      ca,
      store: new MemoryStore(),
      listen: { httpPort: 0, httpsPort: 0 },
      onWorkerLog: (line: WorkerLogLine) => logs.push(`${line.function}: ${line.text}`),
    });
    const retail = new Retail(gateway, dir, logs);
    // One worker per function at once: cold starts in parallel, not one per hop.
    await Promise.all(FUNCTIONS.map((name) => gateway.invoker.warm(name, 1)));
    return retail;
  }

  get url(): string {
    return this.gateway.http!;
  }

  call(target: string, body?: unknown): Promise<Answer> {
    return callFunction(this.url, target, body);
  }

  get<T>(table: Table, key: string): T | undefined {
    return withDb((db) => db.get<T>(table, key), this.dir);
  }

  list<T>(table: Table): T[] {
    return withDb((db) => db.list<T>(table), this.dir);
  }

  async outbox(): Promise<Record<string, string>[]> {
    const text = await Deno.readTextFile(outboxPath(this.dir)).catch(() => "");
    return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
  }

  async [Symbol.asyncDispose]() {
    await this.gateway.shutdown();
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Asserts a 4xx/5xx JSON answer with this status and an error matching `reason`. */
function assertError(answer: Answer, status: number, reason: RegExp) {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(typeof answer.body.error, "string", JSON.stringify(answer.body));
  assert.match(answer.body.error as string, reason);
}

Deno.test("hello-retail: discovery finds the 15 functions; only pure ones may not write", async () => {
  const found = await discoverFunctions(APP);
  assert.deepEqual(found.problems, []);
  assert.deepEqual(found.functions.map((f) => f.fn.name), FUNCTIONS);
  for (const f of found.functions) {
    const writable = PURE.includes(f.fn.name) ? undefined : [`${APP}/.data`];
    assert.deepEqual(f.fn.writable, writable, f.fn.name);
  }
});

const ca = await createCa("hello-retail test CA");

for (const transport of TRANSPORTS) {
  Deno.test(`hello-retail: every function and chain over ${transport}, bad input leaves the database consistent`, async (t) => {
    await using retail = await Retail.start(transport, ca);
    const good = CARDS[0].card;

    await t.step("seed.ts builds the catalog, registers photographers, stores cards", async () => {
      assert.deepEqual(await seed(retail.url, retail.dir), {
        products: 4,
        photographers: 2,
        cards: 4,
      });
      assert.equal(retail.list("productCatalog").length, 4);
      assert.equal(retail.list("productPrice").length, 4);
      assert.equal(retail.list("creditCardAuthority").length, 4);
      assert.deepEqual(retail.get<Photographer>("photographerRegistry", "dorothea"), {
        id: "dorothea",
        phone: "+12065550102",
        registrations: 1,
        assignments: 0,
        assignment: null,
      });
    });

    await t.step(
      "run_chains.ts: request, acquire and purchase (fetch and qfaas/chain)",
      async () => {
        const { requested, acquired, purchased, purchasedViaChain } = await runChains(retail.url);
        const assignment = requested.assignment as Assignment;
        assert.equal(assignment.photographer, "ansel");
        assert.equal(assignment.productId, "boot-1");
        assert.equal(assignment.status, "pending");
        const [message] = await retail.outbox();
        assert.equal(message.to, "+12065550101");
        assert.equal(message.taskToken, assignment.taskToken);

        assert.deepEqual(acquired, {
          outcome: "complete",
          productId: "boot-1",
          imageUrl: DEFAULT_PLAN.imageUrl,
          photographer: { id: "ansel", assignments: 1, registrations: 3 },
        });
        assert.equal(retail.get<Photographer>("photographerRegistry", "ansel")?.assignment, null);
        assert.equal(retail.get<Assignment>("photoAssignments", "ansel")?.status, "complete");
        assert.equal(
          retail.get<StoredPhoto>("storedPhotos", "boot-1")?.imageUrl,
          DEFAULT_PLAN.imageUrl,
        );

        for (const [answer, via] of [[purchased, "fetch"], [purchasedViaChain, "chain"]] as const) {
          assert.equal(answer.status, "approved");
          assert.equal(answer.amount, 149.95);
          assert.equal(answer.via, via);
          assert.match(answer.authorization as string, /^[0-9A-F]{8}$/);
        }
        const card = retail.get<CardAuthority>("creditCardAuthority", good)!;
        assert.equal(card.available, 700.1);
        assert.deepEqual(card.authorizations.map((a) => a.code), [
          purchased.authorization,
          purchasedViaChain.authorization,
        ]);
        assert.ok(
          retail.logs.some((l) => l.includes(`"authorization":"${purchased.authorization}"`)),
        );
      },
    );

    await t.step("browse-products (f1) and build-product", async () => {
      const raw = await fetch(`${retail.url}/function/browse-products/categories`);
      await raw.body?.cancel();
      assert.equal(raw.headers.get("x-qfaas-transport"), transport, "gateway → worker transport");
      assert.deepEqual((await retail.call("browse-products/categories")).body, {
        categories: ["Accessories", "Outerwear", "Shoes"],
      });
      const shoes = await retail.call("browse-products/products?category=Shoes");
      assert.equal(shoes.status, 200);
      const products = shoes.body.products as (Product & { price: number })[];
      assert.deepEqual(products.map((p) => [p.id, p.price, p.image]), [
        ["boot-1", 149.95, DEFAULT_PLAN.imageUrl],
        ["sneaker-1", 59, null],
      ]);
      const scarf = await retail.call("browse-products/products?id=scarf-1");
      assert.equal((scarf.body.product as Product).image, "https://images.example/scarf-1.jpg");
      assertError(await retail.call("browse-products/products?category=Hats"), 404, /Hats/);
      assertError(await retail.call("browse-products/products?id=nope"), 404, /nope/);
      assertError(await retail.call("browse-products/products"), 400, /category/);
      assertError(await retail.call("browse-products/elsewhere"), 404, /route/);
      assertError(await retail.call("browse-products/categories", {}), 405, /GET/);

      const hat = {
        id: "hat-1",
        brand: "Brim",
        name: "Felt Hat",
        description: "Wide brim.",
        category: "Hats",
        price: 45,
      };
      assert.equal((await retail.call("build-product", hat)).status, 201);
      assert.equal((await retail.call("browse-products/products?category=Hats")).status, 200);
      const moved = await retail.call("build-product", { ...hat, category: "Accessories" });
      assert.equal(moved.status, 200);
      assertError(await retail.call("browse-products/products?category=Hats"), 404, /Hats/);
      assert.equal(retail.get("productCategory", "Hats"), undefined);
      assertError(await retail.call("build-product", { ...hat, price: -1 }), 400, /price/);
      assertError(await retail.call("build-product", { ...hat, price: 1.001 }), 400, /cents/);
      assertError(await retail.call("build-product", { ...hat, brand: "" }), 400, /brand/);
      assertError(await retail.call("build-product", { ...hat, image: "x" }), 400, /image/);
      assertError(await retail.call("build-product", "[1]"), 400, /object/);
      assert.equal(retail.get<{ price: number }>("productPrice", "hat-1")?.price, 45);
    });

    await t.step("request-photo: bad input and conflicts assign nothing", async () => {
      assertError(await retail.call("request-photo", { productId: "nope" }), 404, /unknown/);
      assertError(await retail.call("request-photo", { productId: "boot-1" }), 409, /has a photo/);
      assertError(await retail.call("request-photo", {}), 400, /productId/);
      assertError(await retail.call("request-photo", "{"), 400, /malformed JSON/);
      assertError(await retail.call("request-photo"), 405, /POST/);
      assert.equal(
        retail.list<Photographer>("photographerRegistry").filter((p) => p.assignment).length,
        0,
      );
      assert.equal((await retail.outbox()).length, 1);
    });

    let coatToken = "";
    await t.step("acquire-photo: a wrong token leaves the assignment pending", async () => {
      const coat = await retail.call("request-photo", { productId: "coat-1" });
      assert.equal(coat.status, 200, JSON.stringify(coat.body));
      const assignment = coat.body.assignment as Assignment;
      assert.equal(assignment.photographer, "dorothea", "the least-used free photographer");
      coatToken = assignment.taskToken;
      assertError(await retail.call("request-photo", { productId: "coat-1" }), 409, /assigned/);

      const delivery = { photographer: "dorothea", taskToken: coatToken, imageUrl: "https://i/c" };
      assertError(
        await retail.call("acquire-photo", { ...delivery, taskToken: "forged" }),
        403,
        /token/,
      );
      assertError(
        await retail.call("acquire-photo", { ...delivery, photographer: "ansel" }),
        409,
        /no pending/,
      );
      assertError(
        await retail.call("acquire-photo", { ...delivery, imageUrl: "ftp:x" }),
        400,
        /URL/,
      );
      assertError(
        await retail.call("acquire-photo", { photographer: "dorothea" }),
        400,
        /taskToken/,
      );
      assert.equal(retail.get<Assignment>("photoAssignments", "dorothea")?.status, "pending");
      assert.equal(retail.get("storedPhotos", "coat-1"), undefined);
      assert.equal(
        retail.get<Photographer>("photographerRegistry", "dorothea")?.assignment,
        "coat-1",
      );

      // ansel takes the next; then nobody is free.
      const sneaker = await retail.call("request-photo", { productId: "sneaker-1" });
      assert.equal((sneaker.body.assignment as Assignment).photographer, "ansel");
      assertError(await retail.call("request-photo", { productId: "scarf-1" }), 409, /available/);
      assert.equal((await retail.outbox()).length, 3);

      const done = await retail.call("acquire-photo", delivery);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual(done.body.photographer, {
        id: "dorothea",
        assignments: 1,
        registrations: 1,
      });
      assertError(await retail.call("acquire-photo", delivery), 409, /no pending/);
      assert.equal(retail.get<StoredPhoto>("storedPhotos", "coat-1")?.imageUrl, "https://i/c");
    });

    await t.step(
      "photo-success (f10, pure) and publish-result (f15, pure) check their input",
      async () => {
        assertError(
          await retail.call("photo-success?photographer=a&productId=b"),
          400,
          /taskToken/,
        );
        assertError(await retail.call("photo-success", {}), 405, /GET/);
        const declined = { approved: false, productId: "p", user: "u", amount: 1, reason: "test" };
        assertError(await retail.call("publish-result", declined), 402, /card declined: test/);
        assertError(
          await retail.call("publish-result", { ...declined, approved: "no" }),
          400,
          /approved/,
        );
        const approved = await retail.call("publish-result", {
          ...declined,
          approved: true,
          authorization: "ABCD1234",
        });
        assert.equal(approved.body.status, "approved");
      },
    );

    await t.step("register-photographer (f7): create, update, bad input", async () => {
      const imogen = { id: "imogen", phone: "+12065550103", registrations: 1 };
      assert.equal((await retail.call("register-photographer", imogen)).status, 201);
      const again = await retail.call("register-photographer", { ...imogen, registrations: 2 });
      assert.equal(again.status, 200);
      assertError(
        await retail.call("register-photographer", { ...imogen, phone: "call me" }),
        400,
        /phone/,
      );
      assertError(
        await retail.call("register-photographer", { ...imogen, registrations: 0 }),
        400,
        /registrations/,
      );
      assert.deepEqual(retail.get("photographerRegistry", "imogen"), {
        ...imogen,
        registrations: 2,
        assignments: 0,
        assignment: null,
      });
    });

    await t.step("purchase: declines and bad input record nothing as paid", async () => {
      const before = retail.list<CardAuthority>("creditCardAuthority");
      const buy = (card: string, productId = "coat-1", via = "") =>
        retail.call(`purchase${via}`, { productId, user: "bo", card });
      for (
        const [card, reason] of [
          [CARDS[1].card, /insufficient funds/],
          [
            CARDS[2].card,
            /card blocked/,
          ],
          [CARDS[3].card, /card expired/],
          ["4999999999999999", /unknown card/],
        ] as const
      ) {
        const answer = await buy(card);
        assertError(answer, 402, reason);
        assert.equal(answer.body.status, "declined");
      }
      const viaChain = await buy(CARDS[1].card, "coat-1", "?via=chain");
      assertError(viaChain, 402, /insufficient/);
      assert.equal(viaChain.body.via, "chain");
      assertError(await buy(good, "nope"), 404, /unknown product/);
      assertError(await buy("12ab"), 400, /card/);
      assertError(await retail.call("purchase", { productId: "coat-1", card: good }), 400, /user/);
      assertError(await retail.call("purchase", "not json"), 400, /malformed JSON/);
      assert.deepEqual(retail.list("creditCardAuthority"), before);
    });

    await t.step("a failing inner function gives a JSON 502 and undoes its step", async () => {
      const cardBefore = retail.get<CardAuthority>("creditCardAuthority", good);
      await retail.gateway.invoker.unregister("publish-result");
      const purchase = await retail.call("purchase", {
        productId: "coat-1",
        user: "ada",
        card: good,
      });
      assertError(purchase, 502, /publish-result/);
      assert.deepEqual(retail.get("creditCardAuthority", good), cardBefore, "approval voided");

      const sneaker = retail.get<Assignment>("photoAssignments", "ansel")!;
      await retail.gateway.invoker.unregister("report-photo");
      const acquire = await retail.call("acquire-photo", {
        photographer: "ansel",
        taskToken: sneaker.taskToken,
        imageUrl: "https://i/s",
      });
      assertError(acquire, 502, /report-photo/);
      assert.deepEqual(retail.get("photoAssignments", "ansel"), sneaker, "still pending");
      assert.equal(retail.get("storedPhotos", "sneaker-1"), undefined, "photo removed");

      await retail.gateway.invoker.unregister("record-assignment");
      const request = await retail.call("request-photo", { productId: "scarf-1" });
      assertError(request, 502, /record-assignment/);
      assert.equal(retail.get<Photographer>("photographerRegistry", "imogen")?.assignment, null);
      assert.equal(retail.get("photoAssignments", "imogen"), undefined);
    });
  });
}
