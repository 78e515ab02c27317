import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_CSV_COLUMNS,
  auditCsvHeader,
  auditCsvRow,
  csvCell,
  toAuditRecord,
} from '../../../src/audit/index.js';
import type { AuditRecord } from '../../../src/audit/index.js';

function record(overrides: Partial<AuditRecord>): AuditRecord {
  return {
    jobId: 'sid-app1-s1',
    requestedAt: '2026-01-02T03:04:05.000Z',
    steps: [],
    calls: [],
    confirmations: [],
    callbacks: [],
    ...overrides,
  };
}

describe('audit CSV escaping (issue 15)', () => {
  it('round-trips commas, quotes, line breaks and unicode through an independent CSV parser', () => {
    const nasty = [
      'plain',
      'a, b',
      'say "hi"',
      'line 1\nline 2',
      'cr\r\nlf',
      '"quoted", and, more "quotes"',
      'ünïcödé ✓',
      '',
    ];
    const text =
      auditCsvHeader() +
      nasty.map((reason, i) => auditCsvRow(record({ jobId: `job-${i}`, reason }))).join('');
    const rows: Record<string, string>[] = parse(text, { columns: true });
    expect(rows).toHaveLength(nasty.length);
    expect(Object.keys(rows[0] ?? {})).toEqual([...AUDIT_CSV_COLUMNS]);
    rows.forEach((row, i) => {
      expect(row['jobId']).toBe(`job-${i}`);
      expect(row['reason']).toBe(nasty[i]);
    });
  });

  it("lists a multi-region key takedown's extra regions in one cell", () => {
    const text =
      auditCsvHeader() + auditCsvRow(record({ region: 'na', extraRegions: ['eu', 'ap'] }));
    const [row]: Record<string, string>[] = parse(text, { columns: true });
    expect(row?.['region']).toBe('na');
    expect(row?.['extraRegions']).toBe('eu ap');
  });

  it('a record takes extraRegions from its request event', () => {
    const request = { e: 'q', t: 0, j: 'key-a-1', p: { region: 'na', extraRegions: ['eu', 'ap'] } };
    const r = toAuditRecord('key-a-1@1', 0, `${JSON.stringify(request)}\n`);
    expect(r.region).toBe('na');
    expect(r.extraRegions).toEqual(['eu', 'ap']);
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    for (const formula of ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tx']) {
      const cell = csvCell(formula);
      const [parsed]: string[][] = parse(`${cell}\r\n`);
      expect(parsed?.[0]).toBe(`'${formula}`);
    }
    expect(csvCell('2026-01-02T03:04:05.000Z')).toBe('2026-01-02T03:04:05.000Z');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(false)).toBe('false');
  });

  it('puts the calls and steps of a record in one cell each', () => {
    const text =
      auditCsvHeader() +
      auditCsvRow(
        record({
          requestedBy: 'moderation-bot',
          calls: [
            {
              op: 'delete-key',
              region: 'na',
              status: 200,
              requestId: 'r-1',
              at: '2026-01-02T03:04:06.000Z',
            },
            {
              op: 'disconnect',
              region: 'na',
              status: 404,
              requestId: 'r-2',
              at: '2026-01-02T03:04:07.000Z',
            },
          ],
          steps: [{ step: 'revoke-key', at: '2026-01-02T03:04:06.000Z', durationMs: 12 }],
        }),
      );
    const [row]: Record<string, string>[] = parse(text, { columns: true });
    expect(row?.['agoraCalls']).toBe(
      'delete-key na 200 r-1 2026-01-02T03:04:06.000Z; disconnect na 404 r-2 2026-01-02T03:04:07.000Z',
    );
    expect(row?.['steps']).toBe('revoke-key 2026-01-02T03:04:06.000Z 12ms');
    expect(row?.['requestedBy']).toBe('moderation-bot');
  });
});
