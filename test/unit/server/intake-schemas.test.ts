import { describe, expect, it } from 'vitest';
import { REQUEST_FIELDS } from '../../../src/jobs/index.js';
import { takedownRequestSchema } from '../../../src/server/intake-schemas.js';

describe('the intake request schema', () => {
  it('lists exactly the fields the producer accepts (a new field goes in both)', () => {
    expect(Object.keys(takedownRequestSchema.properties).sort()).toEqual(
      [...REQUEST_FIELDS].sort(),
    );
  });
});
