import assert from "node:assert/strict";
import { describeEarlyData } from "./invoke.ts";

Deno.test("describeEarlyData() says whether the request went out in 0-RTT and what became of it", () => {
  const sent = { earlyData: true, earlyDataAccepted: true, retried: false };
  assert.equal(
    describeEarlyData({ earlyData: false, earlyDataAccepted: null, retried: false }, false),
    "0-RTT: not sent (no session yet)",
  );
  assert.equal(describeEarlyData(sent, true), "0-RTT: sent, accepted");
  assert.equal(
    describeEarlyData({ ...sent, earlyDataAccepted: false }, true),
    "0-RTT: sent, rejected (resent after the handshake)",
  );
  assert.equal(
    describeEarlyData({ earlyData: false, earlyDataAccepted: null, retried: true }, true),
    "0-RTT: sent, refused by the gateway (resent after the handshake)",
  );
  assert.equal(
    describeEarlyData({ earlyData: false, earlyDataAccepted: false, retried: false }, true),
    "0-RTT: not sent (the kept session was not usable)",
  );
});
