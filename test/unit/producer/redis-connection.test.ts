import { describe, expect, it } from 'vitest';
import { redactRedisUrl } from '../../../src/producer/redis-connection.js';

describe('redactRedisUrl', () => {
  it('replaces only the password', () => {
    expect(redactRedisUrl('redis://:hunter2@redis.internal:6380/2')).toBe(
      'redis://:***@redis.internal:6380/2',
    );
    expect(redactRedisUrl('rediss://app:hunter2@cache.example.com')).toBe(
      'rediss://app:***@cache.example.com',
    );
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('hides anything before an @ when the text is not a URL', () => {
    const out = redactRedisUrl('not a url:hunter2@host');
    expect(out).not.toContain('hunter2');
    expect(out).toBe('***@host');
  });
});
