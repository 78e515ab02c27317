/**
 * The parent's env without anything that configures takedown, for a child `takedown` process:
 * tests say what they mean instead of inheriting the developer's REDIS_URL or NODE_OPTIONS.
 */
export function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(TAKEDOWN_|AGORA_|WORKER_|REDIS_|HTTP_|LOG_|DASHBOARD_|INTAKE_)/.test(key)) continue;
    if (key === 'NODE_OPTIONS' || key.startsWith('VITEST')) continue;
    env[key] = value;
  }
  return env;
}
