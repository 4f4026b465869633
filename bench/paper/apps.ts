/**
 * What `qfaas bench app` measures in each of the paper's applications (§5.6):
 * its functions directory, what it needs around it (a data directory, files
 * to serve, seed data), and the requests timed, named after the paper's
 * functions and grouped as the paper groups them (pure, database, chain).
 *
 * @module
 */
import type { ClientJob } from "./client_node.ts";
import type { GatewayNodeReady } from "./gateway_node.ts";
import type { OriginReady } from "./tls_host.ts";

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

/** One request the bench times: a function of the app, how to call it, what comes back. */
export interface AppOperation {
  /** The scenario name in reports, e.g. "f1 browse-products (database)". */
  scenario: string;
  /**
   * The request; `{n}` counts this operation's requests, `{i}` every request.
   * `origin` is the app's TLS host, if it has one.
   */
  job: (gateway: GatewayNodeReady, origin?: OriginReady) => Omit<ClientJob, "count" | "start">;
}

/** An application as the bench runs it. */
export interface AppPlan {
  /** Its functions directory. */
  dir: string;
  /** Prepares a fresh scratch directory before a gateway starts (seed files, fixtures). */
  prepare?: (scratch: string, samples: number) => Promise<void>;
  /** Environment for every function, given the scratch directory (and the TLS host, if any). */
  env?: (scratch: string, origin?: OriginReady) => Record<string, string>;
  /** A TLS host of its own in a fourth namespace, at the same RTT (`tls_host.ts`). */
  origin?: boolean;
  /** Whether functions may write the scratch directory. */
  writesScratch?: boolean;
  /** Serve the scratch directory's files from the gateway's host. */
  servesScratch?: boolean;
  /** Requests sent once through the gateway before measuring (seeding); `count` of each. */
  seed?: (
    gateway: GatewayNodeReady,
    samples: number,
  ) => { job: Omit<ClientJob, "count">; count: number }[];
  /** The requests timed, in order. */
  operations: AppOperation[];
}

const json = (value: unknown) => JSON.stringify(value);
const OK = { status: 200 };
const CREATED = { status: 201 };
/** A card with room for every purchase the bench makes. */
const BENCH_CARD = "4999999999999999";

/** The applications, by the name `qfaas bench app` takes. */
export const APPS: Record<string, AppPlan> = {
  "hello-retail": {
    dir: `${EXAMPLES}hello-retail`,
    env: (scratch) => ({ HELLO_RETAIL_DATA: scratch }),
    writesScratch: true,
    prepare: async (scratch, samples) => {
      const { withDb } = await import("../../examples/hello-retail/_shared/db.ts");
      withDb((db) => {
        // The card authority has no function (nor had the original's): stored directly.
        db.put("creditCardAuthority", BENCH_CARD, {
          card: BENCH_CARD,
          holder: "Bench",
          available: 1e12,
          expires: "2099-12",
          blocked: false,
          authorizations: [],
        });
        // One pending assignment per acquire-photo request (f8) and per photo-success request
        // (f10 alone), as request-photo leaves them, with tokens the bench knows.
        for (const who of ["acq", "ps"]) {
          for (let n = 0; n < samples + 10; n++) {
            const photographer = `bench-${who}-${n}`;
            const productId = `bench-${who}-product-${n}`;
            db.put("photographerRegistry", photographer, {
              id: photographer,
              phone: "+12065550198",
              registrations: 1000,
              assignments: 0,
              assignment: productId,
            });
            db.put("photoAssignments", photographer, {
              photographer,
              productId,
              taskToken: `bench-${who}-token-${n}`,
              status: "pending",
              assignedAt: new Date().toISOString(),
            });
          }
        }
      }, scratch);
    },
    seed: (g, samples) => [{
      // One product per photo request, so that every request finds its product unassigned.
      job: {
        url: `${g.http}/function/build-product`,
        method: "POST",
        body: json({
          id: "bench-{n}",
          brand: "Bench",
          name: "Product {n}",
          description: "A product to photograph.",
          category: "Bench",
          price: 10,
        }),
        expect: CREATED,
      },
      count: samples + 10,
    }],
    operations: [
      {
        // The paper's pure GET: it touches no database itself, and hands the delivery on to
        // report-photo (f11) through the gateway, as it does inside the f8 chain.
        scenario: "f10 photo-success (pure; calls f11 through the gateway)",
        job: (g) => ({
          url: `${g.http}/function/photo-success?photographer=bench-ps-{n}` +
            "&productId=bench-ps-product-{n}&taskToken=bench-ps-token-{n}" +
            "&imageUrl=https%3A%2F%2Fimages.example%2Fbench-ps-{n}.jpg",
          method: "GET",
          expect: OK,
        }),
      },
      {
        scenario: "f1 browse-products (database)",
        job: (g) => ({
          url: `${g.http}/function/browse-products/categories`,
          method: "GET",
          expect: OK,
        }),
      },
      {
        scenario: "f7 register-photographer (database)",
        job: (g) => ({
          url: `${g.http}/function/register-photographer`,
          method: "POST",
          body: json({ id: "bench-ph-{i}", phone: "+12065550199", registrations: 1000 }),
          expect: CREATED,
        }),
      },
      {
        scenario: "f15 publish-result (pure)",
        job: (g) => ({
          url: `${g.http}/function/publish-result`,
          method: "POST",
          body: json({
            approved: true,
            productId: "bench-0",
            user: "bench",
            amount: 10,
            authorization: "bench-auth",
          }),
          expect: OK,
        }),
      },
      {
        scenario: "f12 purchase chain (4 functions)",
        job: (g) => ({
          url: `${g.http}/function/purchase`,
          method: "POST",
          body: json({ productId: "bench-0", user: "bench", card: BENCH_CARD }),
          expect: OK,
        }),
      },
      {
        scenario: "f12 purchase chain, qfaas/chain at every hop",
        job: (g) => ({
          url: `${g.http}/function/purchase?via=chain`,
          method: "POST",
          body: json({ productId: "bench-0", user: "bench", card: BENCH_CARD }),
          expect: OK,
        }),
      },
      {
        scenario: "f8 acquire-photo chain (4 functions, f10 inside)",
        job: (g) => ({
          url: `${g.http}/function/acquire-photo`,
          method: "POST",
          body: json({
            photographer: "bench-acq-{n}",
            taskToken: "bench-acq-token-{n}",
            imageUrl: "https://images.example/bench-{n}.jpg",
          }),
          expect: OK,
        }),
      },
      {
        scenario: "f3 request-photo chain (4 functions)",
        job: (g) => ({
          url: `${g.http}/function/request-photo`,
          method: "POST",
          body: json({ productId: "bench-{n}" }),
          expect: OK,
        }),
      },
    ],
  },
  certinfo: {
    dir: `${EXAMPLES}certinfo`,
    origin: true,
    env: (_scratch, origin): Record<string, string> =>
      origin ? { CERTINFO_CA_CERTS: origin.ca } : {},
    operations: [{
      // The paper's form: a POST naming the host, a TLS host in a namespace of its own.
      scenario: "cert-info POST (a TLS host in its own namespace)",
      job: (g, origin) => ({
        url: `${g.http}/function/cert-info`,
        method: "POST",
        body: json({ host: origin!.host, port: origin!.port, output: "json" }),
        expect: OK,
      }),
    }],
  },
  "image-resizer": {
    dir: `${EXAMPLES}image-resizer`,
    servesScratch: true,
    prepare: async (scratch) => {
      const { default: sharp } = await import("sharp");
      const photo = await sharp({
        create: { width: 1600, height: 1200, channels: 3, background: { r: 40, g: 120, b: 200 } },
      }).jpeg({ quality: 85 }).toBuffer();
      await Deno.writeFile(`${scratch}/photo.jpg`, new Uint8Array(photo));
    },
    operations: [{
      scenario: "image-resizer (1600×1200 JPEG to 320 wide)",
      job: (g) => ({
        url: `${g.http}/function/image-resizer?url=${
          encodeURIComponent(`${g.files}/photo.jpg`)
        }&width=320`,
        method: "GET",
        expect: OK,
      }),
    }],
  },
};
