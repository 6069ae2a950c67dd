import { describe, it } from 'vitest';
import { expectExerciseRates } from '../exercise-rates.js';

describe('meal-log property runs', () => {
  it(
    'exercise every MUST client requirement in ≥ 20 % of 200 runs (seed 7)',
    () => expectExerciseRates('meal-log', { runs: 200, seed: 7, floor: 0.2 }),
    120_000,
  );
});
