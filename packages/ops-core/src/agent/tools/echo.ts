/**
 * `echo`: returns the text it is given (handy for testing the tool-calling path end to end).
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "../tool.js";

/** Returns `{ text }` unchanged. */
export const echoTool = defineTool({
  name: "echo",
  description: "Return the given text unchanged.",
  input: z.object({ text: z.string().max(10_000).describe("The text to return") }),
  execute: ({ text }) => ({ text }),
});
