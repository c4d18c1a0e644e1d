/**
 * How opsq's PostgreSQL backends (results, rate limits, cancellations) are told where
 * PostgreSQL is: a URL, or a `postgres` (postgres.js) client the caller already has.
 * The client's type is opsq's own, so that opsq's declarations do not depend on the
 * optional `postgres` package: a service without it still type-checks against opsq.
 *
 * @module
 */

/**
 * A postgres.js client (`postgres(url)` from the `postgres` package), described by the
 * part of it opsq's declarations name. Any `postgres.Sql` is one.
 */
export interface PostgresClient {
  /** Runs a query written as a tagged template. */
  (template: TemplateStringsArray, ...parameters: never[]): PromiseLike<unknown>;
  /** Listens on a channel with `LISTEN`. */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onListen?: () => void,
  ): PromiseLike<{ unlisten(): Promise<void> }>;
  /** Ends the client's connections. */
  end(options?: { timeout?: number }): Promise<void>;
}

/** How a backend reaches PostgreSQL: a URL (it opens and ends its own pool) or a client it borrows. */
export interface PostgresTarget {
  /** Connection URL; the backend opens (and `close()` ends) its own small pool. */
  url?: string;
  /** An existing `postgres` client; `close()` leaves it open. */
  sql?: PostgresClient;
}
