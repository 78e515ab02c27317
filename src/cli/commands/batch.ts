import { Command, Option } from 'commander';
import {
  BATCH_FORMATS,
  BatchFileError,
  inspectBatchFile,
  readBatchFile,
} from '../../batch/index.js';
import type { BatchFormat, BatchRow, BatchRowError } from '../../batch/index.js';
import { PRIORITY_VALUES, parseTakedownRequest } from '../../jobs/index.js';
import type {
  FieldError,
  ParseTakedownRequestOptions,
  TakedownPriority,
} from '../../jobs/index.js';
import { newBatchId } from '../../producer/index.js';
import type {
  EnqueueManyResult,
  EnqueueResult,
  MergeChange,
  Producer,
} from '../../producer/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';
import { createBatchProgress } from '../format/batch-progress.js';
import { describeMerge } from '../format/describe-merge.js';
import type { BatchProgressDisplay } from '../format/batch-progress.js';
import { printError, printJson, printLines } from '../output.js';
import {
  EXIT_CODES_HELP,
  addConfigOption,
  readConfig,
  requestParseOptions,
  toCliError,
  withProducer,
} from './command-support.js';
import type { ConfigFlags } from './command-support.js';
import { addRequestFlags, requestFieldsFromFlags } from './request-flags.js';
import type { RequestFlags } from './request-flags.js';
import { createHeapGuard } from '../heap-guard.js';

interface BatchFlags extends ConfigFlags, RequestFlags {
  format?: BatchFormat;
  dryRun?: boolean;
  strict?: boolean;
  priority?: TakedownPriority;
  json?: boolean;
}

/** Rows handed to enqueueMany at a time: one addBulk each, so memory stays bounded. */
export const BATCH_CHUNK_ROWS = 1000;
/** Rejections listed in the report; the rest are counted. */
export const MAX_REPORTED_REJECTIONS = 1000;
/** A batch is bulk work unless told otherwise: urgent and normal takedowns overtake it. */
export const BATCH_DEFAULT_PRIORITY: TakedownPriority = 'bulk';

export interface BatchRejection {
  line: number;
  field: string;
  message: string;
}

/** The `--json` document (and the source of the human report). */
export interface BatchReport {
  /** Null for a dry run, and for --strict when nothing was enqueued. */
  batchId: string | null;
  dryRun: boolean;
  strict: boolean;
  /** Rows read (valid or not; blank lines and the CSV header are not rows). */
  total: number;
  valid: number;
  enqueued: number;
  duplicates: number;
  /** Rows rejected (a row with several bad fields counts once). */
  rejected: number;
  /** One entry per problem, in file order, at most MAX_REPORTED_REJECTIONS. */
  rejections: BatchRejection[];
  /** Problems not listed in `rejections`. */
  rejectionsOmitted: number;
  /** Duplicate rows that changed the existing takedown (a higher priority, a new key). */
  mergedRows: number;
  /** One entry per such row, in file order, at most MAX_REPORTED_REJECTIONS. */
  merges: BatchMerge[];
}

/** A duplicate row merged into the takedown already queued for its SID or key. */
export interface BatchMerge {
  line: number;
  jobId: string;
  state: string;
  /** The job's priority after the merge. */
  priority: string;
  merged: MergeChange[];
  /** The row's key got its own takedown (the existing one was past revoking its key). */
  keyJobId?: string;
  /** Extra regions of the row no takedown will handle (see EnqueueResult.unmerged). */
  unmergedRegions?: string[];
}

interface BatchRun {
  path: string;
  format: BatchFormat;
  priority: TakedownPriority | undefined;
  parseOptions: ParseTakedownRequestOptions;
  /** From the request flags (--requested-by or the OS user, --callback-url…): for rows that leave them empty. */
  defaults: Readonly<Record<string, string>>;
  progress: BatchProgressDisplay;
  /** Line of the last row error seen (a row with two errors counts once). */
  lastErrorLine?: number;
}

function newReport(dryRun: boolean, strict: boolean): BatchReport {
  return {
    batchId: null,
    dryRun,
    strict,
    total: 0,
    valid: 0,
    enqueued: 0,
    duplicates: 0,
    rejected: 0,
    rejections: [],
    rejectionsOmitted: 0,
    mergedRows: 0,
    merges: [],
  };
}

/** Records a duplicate row that changed something. */
function noteMerge(report: BatchReport, line: number, result: EnqueueResult): void {
  const merged = result.merged ?? [];
  if (
    result.status !== 'duplicate' ||
    (merged.length === 0 && result.keyTakedown === undefined && result.unmerged === undefined)
  ) {
    return;
  }
  report.mergedRows++;
  if (report.merges.length >= MAX_REPORTED_REJECTIONS) return;
  const entry: BatchMerge = {
    line,
    jobId: result.jobId,
    state: result.state,
    priority: result.priority,
    merged,
  };
  if (result.keyTakedown !== undefined) entry.keyJobId = result.keyTakedown.jobId;
  if (result.unmerged !== undefined) entry.unmergedRegions = result.unmerged.extraRegions;
  report.merges.push(entry);
}

function reject(report: BatchReport, line: number, field: string, message: string): void {
  if (report.rejections.length < MAX_REPORTED_REJECTIONS) {
    report.rejections.push({ line, field, message });
  } else {
    report.rejectionsOmitted++;
  }
}

/**
 * The row as a takedown request: `--priority` wins, else the row's own (JSONL), else bulk. Line
 * breaks in a reason, facts or legal ground (a multi-line spreadsheet cell) become spaces: takedown text is one line.
 */
function toRequest(row: BatchRow, run: BatchRun): unknown {
  const { priority } = run;
  if (row.record === undefined) return null;
  const request: Record<string, unknown> = { ...row.record };
  for (const [field, value] of Object.entries(run.defaults)) {
    const own = request[field];
    if (own === undefined || own === null || own === '') request[field] = value;
  }
  const own = request['priority'];
  if (priority !== undefined || own === undefined || own === null || own === '') {
    request['priority'] = priority ?? BATCH_DEFAULT_PRIORITY;
  }
  for (const field of ['reason', 'facts', 'legalGround']) {
    const text = request[field];
    if (typeof text === 'string') request[field] = text.replace(/\s*(?:\r\n|\r|\n)\s*/g, ' ');
  }
  return request;
}

/** Counts a row error; a CSV row can come with two (a stray quote, then the quote left open). */
function rowError(
  report: BatchReport,
  run: BatchRun,
  row: BatchRow & { error: BatchRowError },
): void {
  if (row.line !== run.lastErrorLine) {
    report.total++;
    report.rejected++;
  }
  run.lastErrorLine = row.line;
  reject(report, row.line, row.error.field, row.error.message);
}

/** Counts a row's validation result (the same check the producer applies). */
function validated(
  report: BatchReport,
  line: number,
  errors: readonly FieldError[] | undefined,
): void {
  report.total++;
  if (errors === undefined) {
    report.valid++;
    return;
  }
  report.rejected++;
  for (const e of errors) reject(report, line, e.field, e.message);
}

/** A pass over the file, started: the first row is read (or the file refused) already. */
interface OpenedPass {
  rows: AsyncIterator<BatchRow>;
  first: IteratorResult<BatchRow>;
  bytes: () => number;
}

/**
 * Opens the file and reads up to its first row, so that a file that cannot be used (missing,
 * empty, binary, bad header…) is refused before Redis is even asked.
 */
async function openPass(run: BatchRun): Promise<OpenedPass> {
  let bytes = 0;
  const rows = readBatchFile(run.path, {
    format: run.format,
    onBytesRead: (n) => {
      bytes = n;
    },
  });
  const first = await rows.next();
  return { rows, first, bytes: () => bytes };
}

/** Rows on their way to enqueueMany, with what is needed to report them by line. */
interface Chunk {
  requests: unknown[];
  lines: number[];
  /** Per row: the problems found while reading it (then the producer is not asked about it). */
  rowErrors: (BatchRowError[] | undefined)[];
}

function emptyChunk(): Chunk {
  return { requests: [], lines: [], rowErrors: [] };
}

/**
 * Reads the rest of a pass. Without `flush` (dry run, --strict's first pass) each row is
 * validated here; with it, rows go to `flush` a chunk at a time and the producer's own
 * validation (the same parseTakedownRequest) is reported: each row is validated once.
 */
async function scan(
  report: BatchReport,
  run: BatchRun,
  pass: OpenedPass,
  flush?: (chunk: Chunk) => Promise<void>,
): Promise<void> {
  let chunk = emptyChunk();
  const keepHeapSmall = createHeapGuard();
  let rowsSinceCheck = 0;
  try {
    for (let next = pass.first; next.done !== true; next = await pass.rows.next()) {
      const row = next.value;
      if (++rowsSinceCheck >= BATCH_CHUNK_ROWS) {
        rowsSinceCheck = 0;
        keepHeapSmall();
      }
      if (flush === undefined) {
        if (row.error !== undefined) rowError(report, run, row);
        else {
          const parsed = parseTakedownRequest(toRequest(row, run), run.parseOptions);
          validated(report, row.line, parsed.ok ? undefined : parsed.errors);
        }
      } else if (row.error !== undefined && chunk.lines.at(-1) === row.line) {
        chunk.rowErrors.at(-1)?.push(row.error); // a second problem of the same row
      } else {
        // An unreadable row goes along as null: the producer counts it as rejected in the batch
        // record, so that `status --batch` agrees with this report.
        chunk.requests.push(toRequest(row, run));
        chunk.lines.push(row.line);
        chunk.rowErrors.push(row.error === undefined ? undefined : [row.error]);
        if (chunk.requests.length >= BATCH_CHUNK_ROWS) {
          await flush(chunk);
          chunk = emptyChunk();
        }
      }
      run.progress.update({
        read: report.total + chunk.requests.length,
        enqueued: report.enqueued,
        rejected: report.rejected,
        bytes: pass.bytes(),
      });
    }
    if (flush !== undefined && chunk.requests.length > 0) await flush(chunk);
  } finally {
    await pass.rows.return?.(); // closes the file when the pass stops early
  }
}

function enqueuer(
  report: BatchReport,
  run: BatchRun,
  producer: Producer,
  batchId: string,
): (chunk: Chunk) => Promise<void> {
  return async (chunk) => {
    const result: EnqueueManyResult = await producer.enqueueMany(chunk.requests, {
      batchId,
      chunkSize: BATCH_CHUNK_ROWS,
    });
    report.enqueued += result.counts.enqueued;
    report.duplicates += result.counts.duplicates;
    const rejected = new Map<number, FieldError[]>();
    for (const r of result.results) {
      if (r.status === 'rejected') rejected.set(r.index, r.errors);
      else noteMerge(report, chunk.lines[r.index] ?? 0, r);
    }
    chunk.lines.forEach((line, index) => {
      const problems = chunk.rowErrors[index];
      if (problems === undefined) {
        validated(report, line, rejected.get(index));
        return;
      }
      for (const error of problems) rowError(report, run, { line, error });
    });
  };
}

/**
 * Reads, validates and (unless dry-run) enqueues a batch file. Streams the file: only the counts
 * and the first rejections are kept. `--strict` validates the whole file first and enqueues in a
 * second pass only when every row is valid.
 */
async function runBatch(
  report: BatchReport,
  run: BatchRun,
  openProducer: <T>(fn: (producer: Producer) => Promise<T>) => Promise<T>,
): Promise<void> {
  if (report.dryRun) {
    await scan(report, run, await openPass(run));
    return;
  }
  if (report.strict) {
    await scan(report, run, await openPass(run));
    if (report.rejected > 0) return;
    // Every row is valid: count again while enqueuing. (Should the file change between the
    // passes, new problems are reported like any rejection.)
    Object.assign(report, newReport(false, true));
  }
  const pass = await openPass(run);
  try {
    await openProducer(async (producer) => {
      const batchId = newBatchId();
      report.batchId = batchId;
      await scan(report, run, pass, enqueuer(report, run, producer, batchId));
    });
  } finally {
    await pass.rows.return?.(); // Redis was not there: scan never ran
  }
}

function humanReport(report: BatchReport): string[] {
  const counts = `${report.total} rows read`;
  if (report.dryRun) {
    return [
      `dry run: ${counts}: ${report.valid} valid, ${report.rejected} rejected; nothing was enqueued`,
    ];
  }
  if (report.batchId === null) {
    return [`--strict: ${report.rejected} of ${report.total} rows rejected; nothing was enqueued`];
  }
  const merges = report.merges.map(
    (m) =>
      `line ${m.line}: duplicate of ${m.jobId} (${m.state}): ${describeMerge(m.merged, m.priority, m.keyJobId, m.unmergedRegions)}`,
  );
  return [
    ...merges,
    `batch ${report.batchId}: ${counts}: ${report.enqueued} enqueued, ${report.duplicates} duplicates${report.mergedRows > 0 ? ` (${report.mergedRows} merged into the queued takedown)` : ''}, ${report.rejected} rejected`,
    `follow it with: takedown status --batch ${report.batchId}`,
  ];
}

function printReport(ctx: CliContext, report: BatchReport, json: boolean): void {
  if (json) {
    printJson(ctx, report);
    return;
  }
  for (const r of report.rejections) printError(ctx, `line ${r.line}: ${r.field}: ${r.message}`);
  if (report.rejectionsOmitted > 0) {
    printError(
      ctx,
      `… and ${report.rejectionsOmitted} more problems not listed (only the first ${MAX_REPORTED_REJECTIONS} are kept)`,
    );
  }
  printLines(ctx, humanReport(report));
}

/** What was done before a failure midway, so the operator knows what to re-run. */
function partialNote(report: BatchReport): string {
  if (report.batchId === null || report.enqueued + report.duplicates === 0) return '';
  return ` (batch ${report.batchId}: ${report.enqueued} rows enqueued before this; running the file again is safe, queued rows come back as duplicates)`;
}

/**
 * `takedown batch FILE`: the batch-takedown path. Exit 0 when every row was enqueued (or was
 * already queued), 1 when a row was rejected (valid rows are still enqueued, except with
 * --strict), 2 when the file or the arguments cannot be used.
 */
export function batchCommand(ctx: CliContext): Command {
  const command = new Command('batch')
    .summary('take down every stream listed in a CSV or JSONL file')
    .description(
      'Take down every stream listed in a CSV or JSONL file, as one batch. The file is streamed ' +
        '(any size); every row is validated; valid rows are enqueued even when others are rejected ' +
        '(unless --strict). CSV header: sid,streamKey,region,appId,channel,reason (region and sid or ' +
        'streamKey required; an empty appId means AGORA_APP_ID), optionally extraRegions (e.g. "eu;ap": ' +
        'the key is also revoked and its sessions cut there, after the job region), requestedBy, callbackUrl and the ' +
        'DSA columns decisionGround, legalGround, category, facts, automatedDetection, automatedDecision, ' +
        'territorialScope, sourceType. JSONL: one object per line with the same fields. The request flags ' +
        '(--requested-by, --callback-url, --decision-ground…) fill in what a row leaves empty.',
    )
    .argument('<file>', 'the batch file (.csv, .jsonl or .ndjson)')
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension)').choices(
        BATCH_FORMATS,
      ),
    )
    .option('--dry-run', 'validate only; enqueue nothing (no Redis needed)')
    .option('--strict', 'enqueue nothing unless every row is valid (reads the file twice)')
    .addOption(
      new Option(
        '--priority <priority>',
        `priority of every row (default: a JSONL row's own, else ${BATCH_DEFAULT_PRIORITY})`,
      ).choices(PRIORITY_VALUES),
    )
    .option(
      '--json',
      'print one JSON document: {batchId, dryRun, total, enqueued, duplicates, rejected, rejections}',
    );
  addRequestFlags(command);
  addConfigOption(command);
  return command
    .addHelpText(
      'after',
      `
Examples:
  $ takedown batch sweep.csv
  $ takedown batch sweep.csv --dry-run
  $ takedown batch sweep.jsonl --strict --json
  $ takedown batch export.txt --format csv --priority normal

  sweep.csv:
    sid,streamKey,region,appId,channel,reason
    0a1b2c3d,,na,,lobby,policy 4.2
    ,sk_live_123,eu,0123456789abcdef0123456789abcdef,,"booked time over, see ticket 88"

Rejected rows are listed on stderr as "line N: <field>: <reason>" (the header is line 1).
Line breaks inside a quoted reason become spaces. Running a file again is safe: rows already
queued are reported as duplicates, never run twice.
${EXIT_CODES_HELP}`,
    )
    .action(async (file: string, flags: BatchFlags) => {
      const json = flags.json === true;
      const dryRun = flags.dryRun === true;
      const strict = flags.strict === true;
      const config = readConfig(ctx, flags);
      let info;
      try {
        info = await inspectBatchFile(
          file,
          flags.format === undefined ? {} : { format: flags.format },
        );
      } catch (err) {
        if (err instanceof BatchFileError) throw new UsageError(err.message, { cause: err });
        throw err;
      }
      if (strict && !dryRun && !info.regular) {
        throw new UsageError(
          `--strict reads the file twice, so ${file} must be a regular file, not a pipe`,
        );
      }

      const report = newReport(dryRun, strict);
      const progress = createBatchProgress(ctx, {
        totalBytes: info.size,
        label: dryRun ? 'validating' : 'batch',
      });
      const run: BatchRun = {
        path: file,
        format: info.format,
        priority: flags.priority,
        parseOptions: requestParseOptions(config),
        defaults: requestFieldsFromFlags(flags),
        progress,
      };
      try {
        await runBatch(report, run, (fn) => withProducer(config, 'enqueue the batch', fn));
      } catch (err) {
        if (err instanceof BatchFileError) {
          throw new UsageError(`${err.message}${partialNote(report)}`, { cause: err });
        }
        const mapped = toCliError(err, 'enqueue the batch');
        if (mapped instanceof OperationalError) {
          throw new OperationalError(`${mapped.message}${partialNote(report)}`, { cause: err });
        }
        throw mapped;
      } finally {
        progress.stop();
      }
      printReport(ctx, report, json);
      ctx.exitCode = report.rejected > 0 ? 1 : 0;
    });
}
