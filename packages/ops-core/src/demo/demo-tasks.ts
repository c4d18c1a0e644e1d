/**
 * The tasks the embedded demo submits: one per built-in tool, and one with bad input that the
 * scheduler rejects before anything is stored.
 *
 * @module
 */
import type { SubmitTaskRequest } from "../submit-request.js";

/** One demo submission and what it shows. */
export interface DemoTask {
  /** Short label for the outcome table. */
  label: string;
  /** The submission (deliberately invalid for the last one). */
  request: SubmitTaskRequest;
}

/** The demo's submissions, in order. */
export const DEMO_TASKS: readonly DemoTask[] = [
  {
    label: "arithmetic",
    request: {
      taskType: "agent_task",
      name: "demo: calculator",
      inputData: { goal: "What is (17 + 25) * 3?" },
    },
  },
  {
    label: "time",
    request: {
      taskType: "agent_task",
      name: "demo: current_time",
      inputData: { goal: "What time is it now?" },
    },
  },
  {
    label: "echo",
    request: {
      taskType: "agent_task",
      name: "demo: echo",
      inputData: { goal: 'Please echo "hello from opsq" back to me.' },
    },
  },
  {
    label: "bad input",
    request: {
      taskType: "agent_task",
      name: "demo: no goal",
      inputData: { text: "a goal in the wrong field" },
    },
  },
];
