// request-photo (f3), the request-photo chain's entry: POST { productId }
// asks for a photo of a catalog product. f3 → assign-photographer →
// message-photographer → record-assignment; answers the pending assignment.
import { next } from "../_shared/call.ts";
import { withDb } from "../_shared/db.ts";
import { handle, type Handler, HttpError, readJson, text } from "../_shared/http.ts";
import type { Assignment, Product, StoredPhoto } from "../_shared/types.ts";

/** Starts the chain for a product that has no photo and no photo on the way. */
const requestPhoto: Handler = handle("POST", async (request) => {
  const productId = text(await readJson(request), "productId");
  withDb((db) => {
    if (!db.get<Product>("productCatalog", productId)) {
      throw new HttpError(404, `unknown product "${productId}"`);
    }
    if (db.get<StoredPhoto>("storedPhotos", productId)) {
      throw new HttpError(409, `product "${productId}" already has a photo`);
    }
    const pending = db.list<Assignment>("photoAssignments", "productId", productId)
      .some((a) => a.status === "pending");
    if (pending) throw new HttpError(409, `a photo of "${productId}" is already assigned`);
  });
  return { assignment: await next(request, "assign-photographer", "POST", { productId }) };
});

export default requestPhoto;
