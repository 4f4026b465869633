// register-photographer (f7): POST { id, phone, registrations } signs a
// photographer up for that many assignments; registering again updates the
// phone and the number, and keeps the photographer's record of work.
import { withDb } from "../_shared/db.ts";
import { count, handle, type Handler, readJson, text } from "../_shared/http.ts";
import type { Photographer } from "../_shared/types.ts";

/** Registers (201) or re-registers (200) a photographer. */
const registerPhotographer: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  const id = text(body, "id");
  const phone = text(body, "phone", /^\+?[0-9]{7,15}$/, "a phone number (7 to 15 digits)");
  const registrations = count(body, "registrations");
  const [photographer, created] = withDb((db) =>
    db.transaction(() => {
      const before = db.get<Photographer>("photographerRegistry", id);
      const record: Photographer = {
        id,
        phone,
        registrations,
        assignments: before?.assignments ?? 0,
        assignment: before?.assignment ?? null,
      };
      db.put("photographerRegistry", id, record);
      return [record, before === undefined] as const;
    })
  );
  return Response.json({ photographer }, { status: created ? 201 : 200 });
});

export default registerPhotographer;
