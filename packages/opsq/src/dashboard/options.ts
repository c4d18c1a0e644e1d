/**
 * Options of the dashboard, for {@link createDashboardHandler} and `opsq dashboard`.
 *
 * @module
 */
import type { Logger } from "../logger.js";
import type { DashboardPanel } from "./panel.js";
import type { DashboardSource } from "./source.js";

/** Environment variable holding the token that protects the dashboard. */
export const DASHBOARD_TOKEN_ENV = "OPSQ_DASHBOARD_TOKEN";

/** Options of the dashboard. */
export interface DashboardOptions {
  /** AMQP URL of RabbitMQ. @default process.env.RABBITMQ_URL, else amqp://guest:guest@localhost:5672 */
  brokerUrl?: string;
  /** Where the dashboard is mounted (`/ops`): requests outside it are not its. @default "" (the root) */
  basePath?: string;
  /** Show counts only: no requeue, delete, purge or cancel (their POSTs are refused). @default false */
  readOnly?: boolean;
  /**
   * Token required from every client (bearer header or login form). Without one, only
   * loopback clients are served. @default process.env.OPSQ_DASHBOARD_TOKEN
   */
  token?: string;
  /** Queues always shown; others are learned from workers' heartbeats and the management API. */
  queues?: readonly string[];
  /** RabbitMQ management API base URL, or false to use AMQP only. @default http://<broker host>:15672 when it answers */
  managementUrl?: string | false;
  /** Cancellation store (PostgreSQL URL and table, as for `opsq cancel`): enables the Cancel page. */
  cancel?: { url: string; table?: string };
  /** Pages added by other packages (ops-core's agent tasks). */
  panels?: readonly DashboardPanel[];
  /** Replaces the RabbitMQ source (tests, or another broker). */
  source?: DashboardSource;
  /**
   * Longest a page or an action waits for RabbitMQ (or a panel) before answering 504: during an
   * outage the connection waits for its recovery, the page does not. @default 15000
   */
  requestTimeoutMs?: number;
  /** Reads younger than this are reused, however many pages refresh. @default 1000 */
  cacheMs?: number;
  /** @default silent */
  logger?: Logger;
}
