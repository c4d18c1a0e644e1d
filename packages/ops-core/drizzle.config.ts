/**
 * drizzle-kit configuration: `npx drizzle-kit generate` (run in packages/ops-core) turns
 * `src/db/schema.ts` into SQL migrations under `drizzle/`, which are committed and applied
 * at runtime by `migrate()` in `src/db/migrate.ts`.
 */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
});
