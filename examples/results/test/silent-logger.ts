/** A logger that prints nothing, so the test output stays readable. */
import { createLogger } from "opsq";

export const silentLogger = createLogger({ level: "silent" });
