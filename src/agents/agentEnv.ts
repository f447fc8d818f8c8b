/**
 * What of the worker's environment an agent sees: all of it except the engine's own settings and
 * anything that looks like a secret, so an agent (or a tool it runs, or a prompt injection in a
 * unit's file) cannot read the engine's database password, its Temporal API key or a webhook's
 * secret. The agents' own credentials pass (ANTHROPIC_API_KEY, OPENAI_API_KEY, …); a spec passes
 * anything else it needs by name (`agent.passEnv`) or value (`agent.env`).
 */

/** The engine's own: never passed, not even by `passEnv`. */
const ENGINE_OWN = /^(DATABASE_URL|TEMPORAL_.*|AGENTIC_BATCH_.*)$/i;
/** libpq's variables (PGPASSWORD, PGHOST, …): node-postgres reads them for the engine's database. */
const LIBPQ = /^PG[A-Z]+$/;
const SECRET_LOOKING = /(SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|_KEY$|_KEY_|^KEY$|_URL$|_DSN$)/i;
/** The model providers' credentials and settings, which the agents exist to use. */
const AGENT_CREDENTIALS = /^(ANTHROPIC_|CLAUDE_|OPENAI_|CODEX_|AWS_|GOOGLE_|GEMINI_|VERTEX_|AZURE_OPENAI_)/i;

/** A name `passEnv` may not pass, with the reason; null if it may. */
export function refusedPassEnv(name: string): string | null {
  return ENGINE_OWN.test(name) ? `${name} is the engine's own setting and never reaches an agent` : null;
}

/** Whether the worker keeps `name` from agents unless a spec passes it. */
export function withheldByDefault(name: string): boolean {
  if (ENGINE_OWN.test(name) || LIBPQ.test(name)) return true;
  return SECRET_LOOKING.test(name) && !AGENT_CREDENTIALS.test(name);
}

/** The environment agents start from: the worker's, minus what is withheld by default. */
export function agentBaseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !withheldByDefault(name)) base[name] = value;
  }
  return base;
}

export interface AgentEnvSpec {
  env: Record<string, string>;
  passEnv?: readonly string[];
}

/**
 * One attempt's additions to the base (the names `passEnv` admits, from the worker's
 * environment, then `env`'s values) and what must be removed from it: `jobSecrets` (the job's
 * own secret variables, which need not look like secrets) unless passed by name.
 */
export function attemptEnv(
  agent: AgentEnvSpec,
  jobSecrets: readonly string[],
  workerEnv: NodeJS.ProcessEnv,
): { env: Record<string, string>; unset: string[] } {
  const passed = new Set(agent.passEnv ?? []);
  const env: Record<string, string> = {};
  for (const name of passed) {
    const value = workerEnv[name];
    if (value !== undefined && !refusedPassEnv(name)) env[name] = value;
  }
  Object.assign(env, agent.env);
  return { env, unset: jobSecrets.filter((name) => !passed.has(name) && !(name in agent.env)) };
}
