// report-photo (f11), the acquire-photo chain's last function: POST
// { photographer, productId, taskToken, imageUrl, completedAt } counts the
// assignment as done for the photographer, clears it, and answers the outcome.
import { withDb } from "../_shared/db.ts";
import { handle, type Handler, HttpError, readJson, text, url } from "../_shared/http.ts";
import type { Assignment, Photographer } from "../_shared/types.ts";

/** Completes the assignment if it is still pending with this token (once only). */
const reportPhoto: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  const photographer = text(body, "photographer");
  const productId = text(body, "productId");
  const taskToken = text(body, "taskToken");
  const imageUrl = url(body, "imageUrl");
  const completedAt = text(body, "completedAt");
  const updated = withDb((db) =>
    db.transaction(() => {
      const assignment = db.get<Assignment>("photoAssignments", photographer);
      const who = db.get<Photographer>("photographerRegistry", photographer);
      if (
        !who || assignment?.status !== "pending" || assignment.taskToken !== taskToken ||
        assignment.productId !== productId
      ) {
        throw new HttpError(409, `no pending assignment of "${productId}" to "${photographer}"`);
      }
      const done: Photographer = { ...who, assignments: who.assignments + 1, assignment: null };
      db.put("photographerRegistry", photographer, done);
      db.put<Assignment>("photoAssignments", photographer, {
        ...assignment,
        status: "complete",
        completedAt,
      });
      return done;
    })
  );
  return {
    outcome: "complete",
    productId,
    imageUrl,
    photographer: {
      id: updated.id,
      assignments: updated.assignments,
      registrations: updated.registrations,
    },
  };
});

export default reportPhoto;
