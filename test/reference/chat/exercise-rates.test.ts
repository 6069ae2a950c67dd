import { describe, it } from 'vitest';
import { expectExerciseRates } from '../exercise-rates.js';

describe('chat property runs', () => {
  it(
    'exercise every MUST client requirement in ≥ 20 % of 200 runs (seed 1)',
    () => expectExerciseRates('chat', { runs: 200, seed: 1, floor: 0.2 }),
    120_000,
  );
});
