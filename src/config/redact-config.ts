import { splitIntakeToken } from './intake-token.js';
import type { ResolvedConfig } from './types.js';

export const REDACTED = '[redacted]';

/**
 * Masks the password of a URL's userinfo (`redis://user:pass@host` → `redis://user:***@host`).
 * A regex rather than `new URL()` so that malformed URLs are masked too.
 */
export function redactRedisUrl(url: string): string {
  return url.replace(
    /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i,
    (match, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return colon === -1 ? match : `${scheme}${userinfo.slice(0, colon)}:***@`;
    },
  );
}

/** A copy safe to print or log: secrets → '[redacted]' (unset stays unset), Redis password masked. */
export function redactConfig(config: ResolvedConfig): ResolvedConfig {
  const mask = (value: string | undefined): string | undefined =>
    value === undefined ? undefined : REDACTED;
  return Object.freeze({
    ...config,
    redis: Object.freeze({
      ...config.redis,
      url: redactRedisUrl(config.redis.url),
      password: mask(config.redis.password),
      sentinelPassword: mask(config.redis.sentinelPassword),
    }),
    agora: Object.freeze({ ...config.agora, customerSecret: mask(config.agora.customerSecret) }),
    dashboard: Object.freeze({ ...config.dashboard, password: mask(config.dashboard.password) }),
    ncs: Object.freeze({ ...config.ncs, secret: mask(config.ncs.secret) }),
    intake: Object.freeze({
      ...config.intake,
      // The name is not a secret and tells an operator which token is which.
      tokens: Object.freeze(
        config.intake.tokens.map((t) => {
          const { name } = splitIntakeToken(t);
          return name === undefined ? REDACTED : `${name}:${REDACTED}`;
        }),
      ),
    }),
    callbacks: Object.freeze({ ...config.callbacks, secret: mask(config.callbacks.secret) }),
  });
}
