import { describe, expect, it } from 'vitest';
import {
  deadLetterJobId,
  isQueueJobId,
  sourceJobIdOf,
  takedownJobId,
} from '../../../src/jobs/index.js';

/** The longest id the producer builds: a 64-character App ID and a 255-character SID. */
const MAX_ID = takedownJobId({ appId: 'A'.repeat(64), sid: 's'.repeat(255) });

/** What BullMQ's Job.validateOptions refuses as a custom id (bullmq src/classes/job.ts). */
function bullRefuses(id: string): boolean {
  return `${Number.parseInt(id, 10)}` === id || (id.includes(':') && id.split(':').length !== 3);
}

describe('deadLetterJobId / sourceJobIdOf', () => {
  it('keeps the ids the producer builds, up to the longest', () => {
    expect(MAX_ID).toHaveLength(4 + 64 + 1 + 255);
    for (const id of [MAX_ID, 'sid-app1-s1', 'key-app1-0123456789abcdef01234567', 'expire-a-b']) {
      expect(deadLetterJobId(id)).toBe(id);
      expect(sourceJobIdOf(id)).toBe(id);
    }
  });

  it('maps all-digit ids as older versions did (n-<id>) and back', () => {
    expect(deadLetterJobId('42')).toBe('n-42');
    expect(deadLetterJobId('007')).toBe('n-007');
    expect(sourceJobIdOf('n-42')).toBe('42');
  });

  it("encodes ':' (and '%'), which BullMQ refuses in a custom id", () => {
    expect(deadLetterJobId('a:b:c')).toBe('n-a%3Ab%3Ac');
    expect(deadLetterJobId('a%3Ab:c')).toBe('n-a%253Ab%3Ac');
    expect(sourceJobIdOf('n-a%3Ab%3Ac')).toBe('a:b:c');
    expect(sourceJobIdOf('n-a%253Ab%3Ac')).toBe('a%3Ab:c');
  });

  it('is one-to-one: an id that starts with n- cannot collide with a mapped one', () => {
    const ids = [
      '42',
      'n-42',
      'n-n-42',
      '-5',
      'a:b:c',
      'n-a%3Ab%3Ac',
      'x%y',
      MAX_ID,
      `${MAX_ID}:x:y`,
    ];
    const mapped = ids.map(deadLetterJobId);
    expect(new Set(mapped).size).toBe(ids.length);
    for (const [i, id] of ids.entries()) {
      expect(sourceJobIdOf(mapped[i] as string)).toBe(id);
      // Every DLQ id is one BullMQ accepts as a custom id.
      expect(bullRefuses(mapped[i] as string), mapped[i]).toBe(false);
    }
  });
});

describe('isQueueJobId', () => {
  it('accepts what the main queue can hold, refuses what would address other keys', () => {
    for (const id of ['42', 'sid-a-b', 'a:b:c', MAX_ID]) expect(isQueueJobId(id), id).toBe(true);
    for (const id of ['', 'x:y', 'repeat:a:b:c']) expect(isQueueJobId(id), id).toBe(false);
  });
});
