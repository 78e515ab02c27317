import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AddRuleResult } from '../producer/index.js';
import type { RuleView } from '../rules/index.js';
import {
  ADD_RULE_SCHEMA,
  LIST_RULES_SCHEMA,
  PASS_THROUGH_VALIDATOR,
  REMOVE_RULE_SCHEMA,
} from './route-schemas.js';

/** The slice of the producer the rule routes use (`createProducer` satisfies it). */
export interface RulesLike {
  addRule(request: unknown): Promise<AddRuleResult>;
  listRules(): Promise<RuleView[]>;
  removeRule(id: string): Promise<boolean>;
}

/** The intake's error translation: runs a producer call, answers the error itself on failure. */
export type IntakeCall = <T>(
  reply: FastifyReply,
  what: string,
  work: () => Promise<T>,
) => Promise<T | undefined>;

/**
 * Enforcement rules over HTTP, inside the intake's scope (bearer auth, strict JSON parser):
 *
 *   POST   /v1/rules           → 201 {rule, batchId}   (batchId: the sweep of what is live now)
 *   GET    /v1/rules           → 200 {rules}
 *   DELETE /v1/rules/:ruleId   → 200 {ruleId, status:'removed'} | 404
 *
 * Validation is the producer's (the same as `takedown rule add`); keys are shown masked.
 */
export function registerRuleRoutes(
  scope: FastifyInstance,
  rules: RulesLike,
  call: IntakeCall,
): void {
  const route = { validatorCompiler: PASS_THROUGH_VALIDATOR };

  scope.post('/v1/rules', { ...route, schema: ADD_RULE_SCHEMA }, async (req, reply) => {
    const result = await call(reply, 'add-rule', () => rules.addRule(req.body));
    if (result === undefined) return reply;
    return reply.code(201).send(result);
  });

  scope.get('/v1/rules', { ...route, schema: LIST_RULES_SCHEMA }, async (_req, reply) => {
    const list = await call(reply, 'list-rules', () => rules.listRules());
    if (list === undefined) return reply;
    return reply.code(200).send({ rules: list });
  });

  scope.delete<{ Params: { ruleId: string } }>(
    '/v1/rules/:ruleId',
    { ...route, schema: REMOVE_RULE_SCHEMA },
    async (req, reply) => {
      const { ruleId } = req.params;
      const removed = await call(reply, 'remove-rule', () => rules.removeRule(ruleId));
      if (removed === undefined) return reply;
      if (!removed) {
        return reply
          .code(404)
          .send({ error: 'not-found', message: `no rule with id ${JSON.stringify(ruleId)}` });
      }
      return reply.code(200).send({ ruleId, status: 'removed' });
    },
  );
}
