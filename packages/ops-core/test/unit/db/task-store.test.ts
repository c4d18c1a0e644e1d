import { afterAll, beforeAll, beforeEach, describe } from "vitest";
import { createEmbeddedStore, type EmbeddedStore } from "../../helpers/embedded-store.js";
import { outboxContract } from "../../helpers/outbox-contract.js";
import { taskStoreContract } from "../../helpers/task-store-contract.js";

describe("TaskStore on embedded PGlite", () => {
  let embedded: EmbeddedStore;
  beforeAll(async () => {
    embedded = await createEmbeddedStore();
  }, 60_000);
  afterAll(() => embedded?.close());
  beforeEach(() => embedded.reset());

  taskStoreContract(() => embedded);
  outboxContract(() => embedded, { concurrent: false });
});
