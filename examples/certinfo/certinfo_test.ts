// cert-info end to end: a real gateway and real workers on every transport, probing local
// TLS hosts with certificates of our own CAs (never the internet).
import "reflect-metadata"; // @peculiar/x509 resolves its services through tsyringe
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import { discoverFunctions } from "../../config/mod.ts";
import { type Gateway, startGateway } from "../../gateway/mod.ts";
import type { InvokerFunction } from "../../invoker/mod.ts";
import { type CertifiedKey, createCa, issueLeaf } from "../../pki/mod.ts";
import { MemoryStore } from "../../store/mod.ts";

const APP = new URL(".", import.meta.url).pathname;
const TRANSPORTS = ["h3", "tls", "tcp"] as const;

const ca = await createCa("Cert Info e2e CA");
const stranger = await createCa("Stranger CA");
const trustedLeaf = await issueLeaf(ca, {
  commonName: "example.test",
  dnsNames: ["example.test"],
  ipAddresses: ["127.0.0.1"],
  validDays: 90,
});
const strangerLeaf = await issueLeaf(stranger, {
  commonName: "untrusted.test",
  dnsNames: ["untrusted.test", "www.untrusted.test"],
});

interface CertJson {
  host: string;
  port: number;
  servername: string | null;
  protocol: string | null;
  trusted: boolean;
  trust_error: string | null;
  common_name: string | null;
  issuer: string;
  issuer_name: string | null;
  not_before: string;
  not_after: string;
  sans: string[];
  expired: boolean;
  seconds_remaining: number;
  time_remaining: string;
}

interface ErrorJson {
  error: string;
  code: string;
}

/** The local hosts the function probes; all closed by `close()`. */
function localHosts() {
  const tlsServer = (tls: CertifiedKey) =>
    Deno.serve(
      { hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen() {} },
      () => new Response("hello"),
    );
  const trusted = tlsServer(trustedLeaf);
  const untrusted = tlsServer(strangerLeaf);
  const plain = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    return new Response("plain HTTP");
  });
  // Accepts and never answers: a TLS handshake there can only time out.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  const gone = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = gone.addr.port;
  gone.close();
  return {
    trusted: trusted.addr.port,
    untrusted: untrusted.addr.port,
    plain: plain.addr.port,
    silent: silent.addr.port,
    closed: closedPort,
    async close() {
      silent.close();
      await accepting;
      for (const conn of held) conn.close();
      await Promise.all([trusted.shutdown(), untrusted.shutdown(), plain.shutdown()]);
    },
  };
}

/** A gateway serving examples/certinfo, its workers on `transport`. */
async function gateway(transport: (typeof TRANSPORTS)[number]): Promise<Gateway> {
  const found = await discoverFunctions(APP);
  assert.deepEqual(found.problems, []);
  assert.deepEqual(found.functions.map((f) => f.fn.name), ["cert-info"]);
  const functions: InvokerFunction[] = found.functions.map((f) => ({
    ...f.fn,
    transport,
    env: { ...f.fn.env, CERTINFO_TIMEOUT: "1s", CERTINFO_CA_CERTS: ca.cert },
  }));
  return await startGateway({
    functions,
    ca: await createCa("QFaaS cert-info test CA"),
    store: new MemoryStore(),
    listen: { httpPort: 0, httpsPort: 0 },
  });
}

for (const transport of TRANSPORTS) {
  Deno.test(`cert-info over ${transport}: reports local certificates, trusted or not, and explains bad input`, async (t) => {
    const hosts = localHosts();
    const gw = await gateway(transport);
    const call = async (query: string) => {
      const response = await fetch(`${gw.http}/function/cert-info${query}`);
      assert.equal(response.headers.get("x-qfaas-transport"), transport);
      return response;
    };
    const failure = async (query: string, status: number, code: string, says: RegExp) => {
      const response = await call(query);
      assert.equal(response.status, status, query);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      const body: ErrorJson = await response.json();
      assert.equal(body.code, code, body.error);
      assert.match(body.error, says);
    };
    try {
      await t.step(
        "JSON for a certificate our CA signed: names, validity, SANs, trusted",
        async () => {
          const response = await call(
            `?host=127.0.0.1&port=${hosts.trusted}&servername=example.test&output=json`,
          );
          assert.equal(response.status, 200);
          const body: CertJson = await response.json();
          const expected = new x509.X509Certificate(trustedLeaf.cert);
          assert.equal(body.host, "127.0.0.1");
          assert.equal(body.port, hosts.trusted);
          assert.equal(body.servername, "example.test");
          assert.equal(body.common_name, "example.test");
          assert.equal(body.issuer, "CN=Cert Info e2e CA");
          assert.equal(body.issuer_name, "Cert Info e2e CA");
          assert.deepEqual(body.sans, ["example.test", "127.0.0.1"]);
          assert.equal(body.not_before, expected.notBefore.toISOString());
          assert.equal(body.not_after, expected.notAfter.toISOString());
          assert.equal(body.trusted, true, body.trust_error ?? "");
          assert.equal(body.trust_error, null);
          assert.equal(body.expired, false);
          const left = (expected.notAfter.getTime() - Date.now()) / 1000;
          assert.ok(Math.abs(body.seconds_remaining - left) < 30, `${body.seconds_remaining}`);
          assert.match(body.time_remaining, /^(89|90) days/);
          assert.equal(body.protocol, "TLSv1.3");
        },
      );

      await t.step("text for an untrusted certificate, with why it is not trusted", async () => {
        const response = await call(`?host=127.0.0.1&port=${hosts.untrusted}`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
        const text = await response.text();
        assert.match(text, /^Common name +untrusted\.test$/m);
        assert.match(text, /^Issuer +CN=Stranger CA$/m);
        assert.match(text, /^SANs +untrusted\.test, www\.untrusted\.test$/m);
        assert.match(text, /^Trusted +no \(\S+\)$/m);
        assert.match(text, /^Time remaining +(89|90) days/m);
        assert.match(text, /^Not after +\d{4}-\d\d-\d\dT/m);
      });

      await t.step("the host as the path, and a name the certificate does not carry", async () => {
        const response = await call(
          `/127.0.0.1:${hosts.trusted}?servername=other.test&output=json`,
        );
        assert.equal(response.status, 200);
        const body: CertJson = await response.json();
        assert.equal(body.port, hosts.trusted);
        assert.equal(body.common_name, "example.test");
        assert.equal(body.trusted, false, "the chain is trusted but the name does not match");
        assert.ok(body.trust_error);
      });

      await t.step(
        "POST with the host in the body, as text and as JSON (the paper's form)",
        async () => {
          const post = (body: string, type: string, query = "") =>
            fetch(`${gw.http}/function/cert-info${query}`, {
              method: "POST",
              body,
              headers: { "content-type": type },
            });
          const asText = await post(
            `127.0.0.1:${hosts.trusted}\n`,
            "text/plain",
            "?servername=example.test&output=json",
          );
          assert.equal(asText.status, 200);
          assert.equal(asText.headers.get("x-qfaas-transport"), transport);
          const fromText: CertJson = await asText.json();
          assert.equal(fromText.port, hosts.trusted);
          assert.equal(fromText.common_name, "example.test");
          assert.equal(fromText.trusted, true, fromText.trust_error ?? "");
          const asJson = await post(
            JSON.stringify({
              host: "127.0.0.1",
              port: hosts.untrusted,
              servername: "untrusted.test",
              output: "json",
            }),
            "application/json",
          );
          assert.equal(asJson.status, 200);
          const fromJson: CertJson = await asJson.json();
          assert.equal(fromJson.common_name, "untrusted.test");
          assert.equal(fromJson.trusted, false);
          const empty = await post("", "text/plain");
          assert.equal(empty.status, 400);
          assert.equal((await empty.json() as ErrorJson).code, "missing_host");
          const malformed = await post("{", "application/json");
          assert.equal(malformed.status, 400);
          assert.equal((await malformed.json() as ErrorJson).code, "invalid_body");
          const put = await fetch(`${gw.http}/function/cert-info`, { method: "PUT", body: "x" });
          assert.equal(put.status, 405);
          assert.equal((await put.json() as ErrorJson).code, "method_not_allowed");
        },
      );

      await t.step("bad input: 400 with the reason", async () => {
        await failure("", 400, "missing_host", /give the host/);
        await failure("?host=&output=json", 400, "missing_host", /give the host/);
        await failure("?host=127.0.0.1&port=70000", 400, "invalid_port", /65535/);
        await failure("?host=bad%20host", 400, "invalid_host", /bad host/);
        await failure("?host=127.0.0.1&output=xml", 400, "invalid_output", /xml/);
      });

      await t.step("unreachable, not TLS, or silent: 502 with the reason", async () => {
        await failure(`?host=127.0.0.1&port=${hosts.closed}`, 502, "connection_refused", /refused/);
        await failure(`?host=127.0.0.1&port=${hosts.plain}`, 502, "not_tls", /TLS port/);
        const started = performance.now();
        await failure(`?host=127.0.0.1&port=${hosts.silent}`, 502, "timeout", /within 1000 ms/);
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= 900 && elapsed < 4000, `timed out after ${elapsed} ms`);
      });
    } finally {
      await gw.shutdown();
      await hosts.close();
    }
  });
}
