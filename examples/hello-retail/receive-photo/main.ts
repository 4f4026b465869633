// receive-photo (f9): POST { photographer, taskToken, imageUrl } checks the
// token against the photographer's pending assignment, stores the photo and
// calls photo-success. If the rest of the chain fails, the photo is removed
// again and the assignment stays pending.
import { next } from "../_shared/call.ts";
import { type RetailDb, withDb } from "../_shared/db.ts";
import { handle, type Handler, HttpError, readJson, text, url } from "../_shared/http.ts";
import type { Assignment, StoredPhoto } from "../_shared/types.ts";

/** The photographer's pending assignment if `taskToken` is its token; 409 or 403 otherwise. */
function pendingAssignment(db: RetailDb, photographer: string, taskToken: string): Assignment {
  const assignment = db.get<Assignment>("photoAssignments", photographer);
  if (assignment?.status !== "pending") {
    throw new HttpError(409, `photographer "${photographer}" has no pending assignment`);
  }
  if (assignment.taskToken !== taskToken) {
    throw new HttpError(403, "the task token does not match the pending assignment");
  }
  return assignment;
}

/** Stores the photo, then hands on to photo-success. */
const receivePhoto: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  const photographer = text(body, "photographer");
  const taskToken = text(body, "taskToken");
  const imageUrl = url(body, "imageUrl");
  const photo = withDb((db) =>
    db.transaction(() => {
      const { productId } = pendingAssignment(db, photographer, taskToken);
      const stored: StoredPhoto = {
        productId,
        imageUrl,
        photographer,
        storedAt: new Date().toISOString(),
      };
      db.put("storedPhotos", productId, stored);
      return stored;
    })
  );
  try {
    return await next(request, "photo-success", "GET", {
      photographer,
      productId: photo.productId,
      taskToken,
      imageUrl,
    });
  } catch (error) {
    withDb((db) =>
      db.transaction(() => {
        const stored = db.get<StoredPhoto>("storedPhotos", photo.productId);
        if (stored?.storedAt === photo.storedAt) db.delete("storedPhotos", photo.productId);
      })
    );
    throw error;
  }
});

export default receivePhoto;
