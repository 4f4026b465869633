// purchase (f12), the purchase chain's entry: POST { productId, user, card }
// buys a product. f12 → get-price → authorize-card → publish-result; answers
// the published result (200 approved, 402 declined with the reason).
// POST /function/purchase?via=chain makes every hop with qfaas/chain's invoke.
import { next } from "../_shared/call.ts";
import { handle, type Handler, readJson, text } from "../_shared/http.ts";
import type { PurchaseOrder } from "../_shared/types.ts";

/** A card number: 12 to 19 digits. */
const CARD = /^[0-9]{12,19}$/;

/** Checks the order's shape and starts the chain. */
const purchase: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  const order: PurchaseOrder = {
    productId: text(body, "productId"),
    user: text(body, "user"),
    card: text(body, "card", CARD, "a card number of 12 to 19 digits"),
  };
  return await next(request, "get-price", "POST", { ...order });
});

export default purchase;
