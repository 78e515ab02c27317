import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import type { IntakeFieldError } from './producer-like.js';

function fieldOf(error: FastifySchemaValidationError): string {
  const params = error.params;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    return params['missingProperty'];
  }
  if (
    error.keyword === 'additionalProperties' &&
    typeof params['additionalProperty'] === 'string'
  ) {
    return params['additionalProperty'];
  }
  const first = error.instancePath.split('/')[1];
  return first === undefined || first === ''
    ? '(body)'
    : first.replace(/~1/g, '/').replace(/~0/g, '~');
}

function messageOf(error: FastifySchemaValidationError, field: string, dataVar: string): string {
  const params = error.params;
  switch (error.keyword) {
    case 'required':
      return `${field} is required`;
    case 'additionalProperties':
      return `unknown field ${JSON.stringify(field).slice(0, 60)}: not part of a takedown request`;
    case 'enum':
      return `${field} must be one of ${(params['allowedValues'] as unknown[]).filter((v) => v !== '' && v !== null).join(', ')}`;
    case 'type':
      return field === '(body)'
        ? `the ${dataVar} must be a JSON ${String(params['type'])} (Content-Type: application/json)`
        : `${field} must be a ${String(params['type']).replace(',', ' or ')}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

/**
 * Fastify's schema errors (ajv) as the intake's `fieldErrors`, one per field, so a schema
 * rejection names the field the same way the producer's validation does. `anyOf` adds nothing
 * its branches did not say.
 */
export function toFieldErrors(
  errors: readonly FastifySchemaValidationError[],
  dataVar: string,
): IntakeFieldError[] {
  const out: IntakeFieldError[] = [];
  const anyOfMissing = errors.some((e) => e.keyword === 'anyOf');
  for (const error of errors) {
    if (error.keyword === 'anyOf') continue;
    const field = fieldOf(error);
    let message = messageOf(error, field, dataVar);
    if (
      anyOfMissing &&
      error.keyword === 'required' &&
      (field === 'sid' || field === 'streamKey')
    ) {
      message = 'sid or streamKey is required (or both)';
    }
    if (!out.some((e) => e.field === field && e.message === message)) out.push({ field, message });
  }
  return out;
}
