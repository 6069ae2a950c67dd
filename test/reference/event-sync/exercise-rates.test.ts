import { describe, it } from 'vitest';
import { expectExerciseRates } from '../exercise-rates.js';

describe('event-sync property runs', () => {
  it(
    'exercise every MUST client requirement in ≥ 20 % of 200 runs (seed 7)',
    () => expectExerciseRates('event-sync', { runs: 200, seed: 7, floor: 0.2 }),
    120_000,
  );
});
