// get-price (f13): POST { productId, user, card } looks up the product's price
// and calls authorize-card with it.
import { next } from "../_shared/call.ts";
import { withDb } from "../_shared/db.ts";
import { handle, type Handler, HttpError, readJson, text } from "../_shared/http.ts";
import type { Price } from "../_shared/types.ts";

/** Prices the order, then hands it on to authorize-card. */
const getPrice: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  const productId = text(body, "productId");
  const user = text(body, "user");
  const card = text(body, "card");
  const price = withDb((db) => db.get<Price>("productPrice", productId));
  if (!price) throw new HttpError(404, `unknown product "${productId}"`);
  return await next(request, "authorize-card", "POST", {
    productId,
    user,
    card,
    amount: price.price,
  });
});

export default getPrice;
