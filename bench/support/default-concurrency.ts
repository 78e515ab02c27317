import { CONFIG_KEYS } from '../../src/config/index.js';

/** `WORKER_CONCURRENCY`'s default, read from the config schema so the bench follows it. */
export const DEFAULT_CONCURRENCY: number = (() => {
  const spec = CONFIG_KEYS.find((k) => k.env === 'WORKER_CONCURRENCY');
  if (typeof spec?.default !== 'number')
    throw new Error('WORKER_CONCURRENCY has no numeric default');
  return spec.default;
})();
