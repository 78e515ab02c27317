import { Command } from 'commander';
import { parseRuleRequest } from '../../rules/index.js';
import type { RuleRequest, RuleView } from '../../rules/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';
import { formatTable, printJson, printLines } from '../output.js';
import {
  EXIT_CODES_HELP,
  addConfigOption,
  formatFlagErrors,
  readConfig,
  withProducer,
} from './command-support.js';
import type { ConfigFlags } from './command-support.js';
import { parseDuration } from './expire.js';

interface RuleAddFlags extends ConfigFlags {
  channel?: string;
  uid?: string;
  key?: string;
  region?: string;
  appId?: string;
  for?: string;
  until?: string;
  forever?: boolean;
  reason?: string;
  json?: boolean;
}

interface JsonFlags extends ConfigFlags {
  json?: boolean;
}

/** Flags → the library's rule request; exported for tests. */
export function toRuleRequest(flags: RuleAddFlags): RuleRequest {
  const request: RuleRequest = {};
  if (flags.channel !== undefined) request.channel = flags.channel;
  if (flags.uid !== undefined) request.uid = flags.uid;
  if (flags.key !== undefined) request.streamKey = flags.key;
  if (flags.region !== undefined) request.region = flags.region;
  if (flags.appId !== undefined) request.appId = flags.appId;
  if (flags.reason !== undefined) request.reason = flags.reason;
  if (flags.for !== undefined)
    request.durationS = Math.ceil(parseDuration(flags.for, '--for') / 1000);
  if (flags.until !== undefined) request.until = flags.until;
  if (flags.forever === true) request.forever = true;
  return request;
}

/** `channel "c1" / uid "42"` or `key abcd…xyz` (masked). */
export function describeRuleTarget(rule: RuleView): string {
  const parts: string[] = [];
  if (rule.channel !== undefined) parts.push(`channel ${JSON.stringify(rule.channel)}`);
  if (rule.uid !== undefined) parts.push(`uid ${JSON.stringify(rule.uid)}`);
  if (rule.streamKey !== undefined) parts.push(`key ${rule.streamKey}`);
  return parts.join(' + ');
}

function describeExpiry(rule: RuleView): string {
  return rule.expiresAt === null ? 'forever' : `until ${rule.expiresAt}`;
}

export function describeRules(rules: readonly RuleView[]): string[] {
  if (rules.length === 0) return ['no enforcement rules in force'];
  return formatTable(
    ['ID', 'TARGET', 'APP ID', 'REGION', 'EXPIRES', 'REASON'],
    rules.map((r) => [
      r.id,
      describeRuleTarget(r),
      r.appId,
      r.region ?? 'all',
      r.expiresAt ?? 'never',
      r.reason.length > 60 ? `${r.reason.slice(0, 59)}…` : r.reason,
    ]),
  );
}

/** `takedown rule add|list|remove`: standing enforcement decisions. */
export function ruleCommand(ctx: CliContext): Command {
  const add = new Command('add')
    .description(
      'Add a standing rule: every push that starts matching it is taken down at once (urgent), ' +
        'and what matches it now is swept as one batch. Target: --channel, --uid, both, or --key.',
    )
    .option('--channel <channel>', 'nothing may stream to this channel')
    .option('--uid <uid>', 'this user may not stream')
    .option('--key <streamKey>', 'this key stays dead')
    .option('--region <region>', 'only pushes in this region: na, eu, ap or cn (default: all)')
    .option('--app-id <appId>', 'App ID (default: AGORA_APP_ID)')
    .option('--for <duration>', 'how long it holds: 90s, 15m, 24h, 7d')
    .option('--until <iso>', 'until this time (ISO 8601 with a zone)')
    .option('--forever', 'until removed')
    .option('--reason <text>', 'why (required; at most 500 characters)')
    .option('--json', 'print {"rule": {...}, "batchId": "..."}');
  addConfigOption(add);
  add
    .addHelpText(
      'after',
      `
Examples:
  $ takedown rule add --uid 4242 --for 24h --reason "repeat violation"
  $ takedown rule add --channel lobby --forever --reason "closed channel"
  $ takedown rule add --key sk_live_123 --until 2026-12-31T00:00:00Z --reason "leaked key"${EXIT_CODES_HELP}`,
    )
    .action(async (flags: RuleAddFlags) => {
      const config = readConfig(ctx, flags);
      const request = toRuleRequest(flags);
      const checked = parseRuleRequest(request, { defaultAppId: config.agora.appId });
      if (!checked.ok) throw new UsageError(`invalid rule: ${formatFlagErrors(checked.errors)}`);
      const result = await withProducer(config, 'add the rule', (p) => p.addRule(request));
      if (flags.json === true) {
        printJson(ctx, result);
        return;
      }
      printLines(ctx, [
        `rule ${result.rule.id} added: ${describeRuleTarget(result.rule)}, ${describeExpiry(result.rule)}`,
        `sweep of what is live now: batch ${result.batchId} (takedown status --batch ${result.batchId})`,
      ]);
    });

  const list = new Command('list')
    .description('List the rules in force (expired ones are dropped); keys are shown masked.')
    .option('--json', 'print {"rules": [...]}');
  addConfigOption(list);
  list.action(async (flags: JsonFlags) => {
    const config = readConfig(ctx, flags);
    const rules = await withProducer(config, 'list the rules', (p) => p.listRules());
    if (flags.json === true) printJson(ctx, { rules });
    else printLines(ctx, describeRules(rules));
  });

  const remove = new Command('remove')
    .description(
      'Remove a rule; pushes already taken down stay down. Exit 1 when there is no such rule.',
    )
    .argument('<ruleId>', 'the rule id (from rule add / rule list)')
    .option('--json', 'print {"ruleId", "status": "removed" | "not-found"}');
  addConfigOption(remove);
  remove.action(async (ruleId: string, flags: JsonFlags) => {
    const config = readConfig(ctx, flags);
    const removed = await withProducer(config, 'remove the rule', (p) => p.removeRule(ruleId));
    if (flags.json === true) printJson(ctx, { ruleId, status: removed ? 'removed' : 'not-found' });
    else if (removed) printLines(ctx, [`rule ${ruleId} removed`]);
    if (!removed) {
      if (flags.json === true) ctx.exitCode = 1;
      else throw new OperationalError(`no rule with id ${JSON.stringify(ruleId)}`);
    }
  });

  return new Command('rule')
    .summary('standing enforcement rules: add, list, remove')
    .description(
      'Standing enforcement rules, checked against every live_stream_connected event from Agora ' +
        'Notifications (POST /v1/agora/notifications on the worker).',
    )
    .addCommand(add)
    .addCommand(list)
    .addCommand(remove);
}
