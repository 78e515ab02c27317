import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { AUDIT_FORMATS, createAuditStore, exportAudit } from '../../audit/index.js';
import type { AuditFormat, ExportAuditResult } from '../../audit/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';
import { createHeapGuard } from '../heap-guard.js';
import { printError } from '../output.js';
import { EXIT_CODES_HELP, addConfigOption, readConfig, withRedis } from './command-support.js';
import type { ConfigFlags } from './command-support.js';

interface ExportFlags extends ConfigFlags {
  since?: string;
  until?: string;
  format: AuditFormat;
  out?: string;
}

const INSTANT_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** An ISO 8601 date or instant (a date alone is midnight UTC) → epoch ms; exit 2 otherwise. */
export function parseInstantFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!INSTANT_RE.test(value) || !Number.isFinite(ms)) {
    throw new UsageError(
      `${flag} must be an ISO 8601 date or time such as 2026-01-31 or 2026-01-31T12:00:00Z; got ${JSON.stringify(value.slice(0, 40))}`,
    );
  }
  return ms;
}

function summary(result: ExportAuditResult, format: AuditFormat): string {
  const what = format === 'dsa' ? 'statement(s) of reasons' : 'takedown record(s)';
  const skipped = Object.entries(result.skipped).map(([why, n]) => `${n} ${why}`);
  return `exported ${result.written} ${what}${skipped.length === 0 ? '' : `; without a statement: ${skipped.join(', ')}`}`;
}

/** `takedown audit export`: the audit trail, streamed as JSONL, CSV or DSA statements of reasons. */
export function auditCommand(ctx: CliContext): Command {
  const exportCommand = new Command('export')
    .description(
      'Stream the audit trail (who asked, why, each step and Agora call, the outcome, confirmations) ' +
        'of takedowns requested in [--since, --until), oldest first. Memory stays bounded whatever the range.',
    )
    .option('--since <iso>', 'from this request time (inclusive; a date is midnight UTC)')
    .option('--until <iso>', 'up to this request time (exclusive)')
    .addOption(
      new Option(
        '--format <format>',
        'jsonl: one record per line; csv; dsa: DSA statements of reasons',
      )
        .choices(AUDIT_FORMATS)
        .default('jsonl'),
    )
    .option('--out <file>', 'write to FILE instead of stdout (a summary goes to stderr)');
  addConfigOption(exportCommand);
  exportCommand
    .addHelpText(
      'after',
      `
Examples:
  $ takedown audit export --since 2026-01-01 --until 2026-02-01 --format csv --out january.csv
  $ takedown audit export --format dsa --since 2026-01-31 > statements.jsonl
${EXIT_CODES_HELP}`,
    )
    .action(async (flags: ExportFlags) => {
      const sinceMs = parseInstantFlag('--since', flags.since);
      const untilMs = parseInstantFlag('--until', flags.until);
      if (sinceMs !== undefined && untilMs !== undefined && untilMs <= sinceMs) {
        throw new UsageError('--until must be later than --since');
      }
      const config = readConfig(ctx, flags);
      const result = await withRedis(config, 'export the audit trail', async (redis) => {
        const store = createAuditStore({
          redis,
          prefix: config.prefix,
          retentionDays: config.audit.retentionDays,
        });
        let out: Writable = ctx.stdout as Writable;
        if (flags.out !== undefined) {
          const file = createWriteStream(flags.out);
          await new Promise<void>((resolve, reject) => {
            file.once('open', () => resolve());
            file.once('error', (err) =>
              reject(new OperationalError(`cannot write ${flags.out}: ${err.message}`)),
            );
          });
          out = file;
        }
        // V8 would let the heap grow to ~4x its live set between full collections: bounded
        // memory needs the same guard as `batch` (bench: audit, peak RSS of 100,000 records).
        const keepHeapSmall = createHeapGuard();
        const exported = await exportAudit({
          store,
          format: flags.format,
          out,
          onProgress: keepHeapSmall,
          ...(sinceMs === undefined ? {} : { sinceMs }),
          ...(untilMs === undefined ? {} : { untilMs }),
        });
        if (flags.out !== undefined) {
          out.end();
          await finished(out);
        }
        return exported;
      });
      printError(ctx, summary(result, flags.format));
    });

  return new Command('audit')
    .summary('export the audit trail (JSONL, CSV, DSA statements of reasons)')
    .description(
      `The audit trail of every takedown, kept AUDIT_RETENTION_DAYS (default 400) days: who asked ` +
        'and why, each step and Agora call (X-Request-ID, status), the outcome and confirmations.',
    )
    .addCommand(exportCommand);
}
