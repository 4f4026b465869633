// authorize-card (f14): POST { productId, user, card, amount } asks the stored
// card authority: it approves with an authorization code (and holds the
// amount) or declines with a reason. Either way publish-result gets the
// result; if publishing an approval fails, the approval is voided.
import { next } from "../_shared/call.ts";
import { type RetailDb, withDb } from "../_shared/db.ts";
import { handle, type Handler, money, readJson, text } from "../_shared/http.ts";
import type { Authorization, CardAuthority } from "../_shared/types.ts";

/** The authority's answer: an approval's charge, or why not. */
type Decision = { approved: true; authorization: Authorization } | {
  approved: false;
  reason: string;
};

const cents = (dollars: number) => Math.round(dollars * 100);

/** Decides, and records an approval on the card, in one transaction. */
function authorize(
  db: RetailDb,
  order: Omit<Authorization, "code" | "at">,
  card: string,
): Decision {
  return db.transaction(() => {
    const authority = db.get<CardAuthority>("creditCardAuthority", card);
    if (!authority) return { approved: false, reason: "unknown card" };
    if (authority.blocked) return { approved: false, reason: "card blocked" };
    if (authority.expires < new Date().toISOString().slice(0, 7)) {
      return { approved: false, reason: "card expired" };
    }
    if (cents(authority.available) < cents(order.amount)) {
      return { approved: false, reason: "insufficient funds" };
    }
    const authorization: Authorization = {
      ...order,
      code: crypto.randomUUID().slice(0, 8).toUpperCase(),
      at: new Date().toISOString(),
    };
    db.put<CardAuthority>("creditCardAuthority", card, {
      ...authority,
      available: (cents(authority.available) - cents(order.amount)) / 100,
      authorizations: [...authority.authorizations, authorization],
    });
    return { approved: true, authorization };
  });
}

/** Gives the amount back and forgets the authorization. */
function voidAuthorization(db: RetailDb, card: string, code: string): void {
  db.transaction(() => {
    const authority = db.get<CardAuthority>("creditCardAuthority", card);
    const charge = authority?.authorizations.find((a) => a.code === code);
    if (!authority || !charge) return;
    db.put<CardAuthority>("creditCardAuthority", card, {
      ...authority,
      available: (cents(authority.available) + cents(charge.amount)) / 100,
      authorizations: authority.authorizations.filter((a) => a.code !== code),
    });
  });
}

/** Authorizes, then hands the result to publish-result. */
const authorizeCard: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  const order = {
    productId: text(body, "productId"),
    user: text(body, "user"),
    amount: money(body, "amount"),
  };
  const card = text(body, "card");
  const decision = withDb((db) => authorize(db, order, card));
  if (!decision.approved) {
    return await next(request, "publish-result", "POST", { ...order, ...decision });
  }
  try {
    return await next(request, "publish-result", "POST", {
      ...order,
      approved: true,
      authorization: decision.authorization.code,
    });
  } catch (error) {
    withDb((db) => voidAuthorization(db, card, decision.authorization.code));
    throw error;
  }
});

export default authorizeCard;
