import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { snapshotValidator } from '../../../src/conformance/snapshot-contract.js';
import { defaultMealLogConfig, MealLogMachine } from '../../../src/reference/meal-log/client-machine.js';
import { mealLogProtocol } from '../../../src/reference/meal-log/index.js';
import { MealLogSnapshotSchema } from '../../../src/reference/meal-log/snapshot.js';

// The snapshot is a contract: the protocol declares its schema, the reference keeps it,
// and a client that breaks it is told which field, what was expected and what was found.

describe('the meal-log snapshot schema', () => {
  it('is the protocol definition\u2019s snapshot contract', () => {
    expect(mealLogProtocol.snapshot).toBe(MealLogSnapshotSchema);
  });

  it('accepts what the reference client shows, and the minimal snapshot (meals and verified only)', () => {
    const m = new MealLogMachine(defaultMealLogConfig, [], 0, true, 'c1');
    m.start(0);
    m.handle({ type: 'submit', text: 'eggs' }, 100);
    expect(Value.Check(MealLogSnapshotSchema, m.snapshot())).toBe(true);
    expect(Value.Check(MealLogSnapshotSchema, { meals: [{ localId: 'L1', text: 'eggs', status: 'processing' }], verified: false })).toBe(
      true,
    );
  });

  it('names the field, what was expected and what was found', () => {
    const validate = snapshotValidator(MealLogSnapshotSchema)!;
    const problem = validate({ meals: [{ localId: 'L1', id: 'ml-1', text: 'eggs', status: 'done' }], verified: false });
    expect(problem?.field).toBe('snapshot.meals[0].status');
    expect(problem?.expected).toMatch(/uploading.*processing.*completed.*failed/);
    expect(problem?.found).toContain('done');
    expect(validate({ meals: [], verified: 'yes' })?.field).toBe('snapshot.verified');
  });
});
