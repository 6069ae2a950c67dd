import { describe, it } from 'vitest';
import { expectExerciseRates } from '../exercise-rates.js';

describe('live-support property runs', () => {
  it(
    'exercise every MUST client requirement in ≥ 20 % of 200 runs (seed 3)',
    () => expectExerciseRates('live-support', { runs: 200, seed: 3, floor: 0.2 }),
    120_000,
  );
});
