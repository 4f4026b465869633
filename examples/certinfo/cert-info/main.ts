// cert-info: the TLS certificate of a host — issuer, common name, validity, SANs, time
// remaining and whether it is trusted — as text, or JSON with ?output=json.
// GET /function/cert-info?host=example.com[&port=443][&servername=…][&output=json]
// (or /function/cert-info/example.com:443), or POST with the host in the body, as the
// paper's Cert Info and the OpenFaaS original: example.com[:port], a URL, or JSON
// { "host", "port", "servername", "output" }. Settings: see config.ts.
import { readCertificate } from "./certificate.ts";
import { loadConfig } from "./config.ts";
import { HttpError } from "./http_error.ts";
import { probe } from "./probe.ts";
import { type CertificateReport, toJson, toText } from "./report.ts";
import { parseTarget, parseTargetBody, type Target } from "./target.ts";

const config = loadConfig(Deno.env.toObject());

/** Inspects the certificate of the host the request names. */
/** The target a request names: GET and HEAD in the URL, POST in the body. */
async function targetOf(request: Request): Promise<Target> {
  const url = new URL(request.url);
  if (request.method === "GET" || request.method === "HEAD") return parseTarget(url);
  if (request.method === "POST") {
    return parseTargetBody(url, await request.text(), request.headers.get("content-type"));
  }
  throw new HttpError(
    405,
    "method_not_allowed",
    `${request.method} is not supported: GET with ?host=, or POST the host`,
  );
}

async function certInfo(request: Request): Promise<Response> {
  const target = await targetOf(request);
  const { der, ...handshake } = await probe({ ...target, ...config });
  const certificate = await readCertificate(der, new Date()).catch((error: Error) => {
    const where = `${target.host}:${target.port}`;
    throw new HttpError(
      502,
      "unreadable_certificate",
      `cannot read ${where}'s certificate: ${error.message}`,
    );
  });
  const report: CertificateReport = { target, probe: handshake, certificate };
  if (target.output === "json") return Response.json(toJson(report));
  return new Response(toText(report), {
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      return await certInfo(request);
    } catch (error) {
      if (error instanceof HttpError) return error.toResponse();
      throw error;
    }
  },
};
