import assert from "node:assert/strict";
import { GATEWAY_ENV, gatewayLink } from "./mod.ts";

const session = new Uint8Array([1, 2, 3]).toBase64();

Deno.test("gatewayLink: an HTTPS gateway URL with a minted session is an HTTP/3 link", () => {
  const link = gatewayLink({
    [GATEWAY_ENV.url]: "https://localhost:4433/ignored/path",
    [GATEWAY_ENV.ca]: "PEM",
    [GATEWAY_ENV.session]: session,
    [GATEWAY_ENV.address]: "10.77.0.2",
  });
  assert.deepEqual(link, {
    url: "https://localhost:4433",
    ca: "PEM",
    session: new Uint8Array([1, 2, 3]),
    address: "10.77.0.2",
  });
});

Deno.test("gatewayLink: plain HTTP, no session or no CA means no HTTP/3 link (calls use fetch)", () => {
  const base = { [GATEWAY_ENV.ca]: "PEM", [GATEWAY_ENV.session]: session };
  assert.equal(gatewayLink({ ...base, [GATEWAY_ENV.url]: "http://10.77.0.2:8080" }), null);
  assert.equal(
    gatewayLink({ [GATEWAY_ENV.url]: "https://localhost:1", [GATEWAY_ENV.ca]: "PEM" }),
    null,
  );
  assert.equal(
    gatewayLink({ [GATEWAY_ENV.url]: "https://localhost:1", [GATEWAY_ENV.session]: session }),
    null,
  );
  assert.equal(gatewayLink({}), null);
});
