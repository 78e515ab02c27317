import { describe, expect, it } from 'vitest';
import { takedownJobId } from '../../../src/jobs/index.js';
import { maskJobIds } from '../../../src/telemetry/mask-job-ids.js';

describe('maskJobIds', () => {
  it('masks the stream key in key-only and expiry job ids, wherever they appear', () => {
    expect(maskJobIds('key-app1-8N2WYQNaBp33hKecTezJeA')).toBe('key-app1-8N2W…JeA');
    expect(maskJobIds('tdtest:takedown:expire-app1-8N2WYQNaBp33hKecTezJeA')).toBe(
      'tdtest:takedown:expire-app1-8N2W…JeA',
    );
    expect(maskJobIds('short key-app1-abc')).toBe('short key-app1-…');
  });

  it('leaves fingerprinted ids alone: they hold no key', () => {
    const id = takedownJobId({ appId: 'app1', streamKey: '8N2WYQNaBp33hKecTezJeA' });
    expect(maskJobIds(`tdtest:takedown:${id}`)).toBe(`tdtest:takedown:${id}`);
  });

  it('leaves SID job ids and other text alone', () => {
    expect(maskJobIds('sid-app1-monkey-abc-123')).toBe('sid-app1-monkey-abc-123');
    expect(maskJobIds('add takedown.takedown')).toBe('add takedown.takedown');
  });
});
