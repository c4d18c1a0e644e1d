/**
 * Setup file of the `unit` test project: removes the variables that point ops-core and opsq at
 * live services or change their defaults, so that unit tests see the same environment on every
 * machine, whatever the caller exported (a user following the README has `DATABASE_URL` and
 * `RABBITMQ_URL` set). Integration tests keep them: that is how they find the services.
 */
const SERVICE_VARIABLES = [
  "DATABASE_URL",
  "DATABASE_SCHEMA",
  "RABBITMQ_URL",
  "RABBITMQ_URLS",
  "OPSQ_QUEUE_TYPE",
  "OPSQ_DELIVERY_LIMIT",
  "OPSQ_CANCEL_URL",
  "OPSQ_MAX_HOLD_MS",
  "OPSQ_DASHBOARD_TOKEN",
  "AGENT_EXECUTION_TIMEOUT",
];
const SERVICE_PREFIXES = ["OPS_LLM_", "OPS_CORE_", "OPSQ_LOG_"];

for (const name of Object.keys(process.env)) {
  if (SERVICE_VARIABLES.includes(name) || SERVICE_PREFIXES.some((prefix) => name.startsWith(prefix))) {
    delete process.env[name];
  }
}
