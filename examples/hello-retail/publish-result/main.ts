// publish-result (f15, pure), the purchase chain's last function: POST
// { approved, productId, user, amount, authorization | reason } publishes
// the purchase's result (to the log) and answers it: 200 when approved,
// 402 with the reason when declined.
import { viaOf } from "../_shared/call.ts";
import { handle, type Handler, HttpError, money, readJson, text } from "../_shared/http.ts";

/** Publishes and answers the result. */
const publishResult: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  if (typeof body.approved !== "boolean") {
    throw new HttpError(400, 'field "approved" must be true or false');
  }
  const result = {
    productId: text(body, "productId"),
    user: text(body, "user"),
    amount: money(body, "amount"),
    via: viaOf(request),
  };
  if (body.approved) {
    const published = { status: "approved", authorization: text(body, "authorization"), ...result };
    console.log(`published ${JSON.stringify(published)}`);
    return published;
  }
  const reason = text(body, "reason");
  console.log(`published ${JSON.stringify({ status: "declined", reason, ...result })}`);
  throw new HttpError(402, `card declined: ${reason}`, { status: "declined", reason, ...result });
});

export default publishResult;
