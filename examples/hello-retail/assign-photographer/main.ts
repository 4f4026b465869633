// assign-photographer (f4): POST { productId } picks a registered photographer
// with spare capacity and no current assignment, records the assignment on
// the photographer, and calls message-photographer. If the rest of the chain
// fails, the assignment is undone.
import { next } from "../_shared/call.ts";
import { type RetailDb, withDb } from "../_shared/db.ts";
import { handle, type Handler, HttpError, readJson, text } from "../_shared/http.ts";
import type { Assignment, Photographer } from "../_shared/types.ts";

/** The least-used free photographer, in one transaction with the assignment. */
function assign(db: RetailDb, productId: string): Photographer {
  return db.transaction(() => {
    const all = db.list<Photographer>("photographerRegistry");
    if (all.some((p) => p.assignment === productId)) {
      throw new HttpError(409, `a photo of "${productId}" is already assigned`);
    }
    const free = all.filter((p) => p.assignment === null && p.assignments < p.registrations)
      .sort((a, b) => a.assignments - b.assignments);
    if (free.length === 0) throw new HttpError(409, "no photographer available");
    const chosen = { ...free[0], assignment: productId };
    db.put("photographerRegistry", chosen.id, chosen);
    return chosen;
  });
}

/** Clears the photographer's assignment (and a record of it) if it is still this product's. */
function undo(db: RetailDb, photographer: string, productId: string): void {
  db.transaction(() => {
    const current = db.get<Photographer>("photographerRegistry", photographer);
    if (current?.assignment === productId) {
      db.put("photographerRegistry", photographer, { ...current, assignment: null });
    }
    const recorded = db.get<Assignment>("photoAssignments", photographer);
    if (recorded?.productId === productId && recorded.status === "pending") {
      db.delete("photoAssignments", photographer);
    }
  });
}

/** Assigns, then hands on to message-photographer. */
const assignPhotographer: Handler = handle("POST", async (request) => {
  const productId = text(await readJson(request), "productId");
  const photographer = withDb((db) => assign(db, productId));
  try {
    return await next(request, "message-photographer", "POST", {
      photographer: photographer.id,
      phone: photographer.phone,
      productId,
    });
  } catch (error) {
    withDb((db) => undo(db, photographer.id, productId));
    throw error;
  }
});

export default assignPhotographer;
