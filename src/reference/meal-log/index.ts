import type { ProtocolDefinition } from '../../conformance/protocol.js';
import { createMealLogClient } from './client.js';
import { mealLogPropertyModel } from './property-model.js';
import { mealLogRequirements } from './requirements.js';
import { createMealLogServer, parseMealLogServerOptions } from './server.js';
import { MealLogSnapshotSchema } from './snapshot.js';
import { mealLogServerVariants, mealLogVariants } from './variants.js';
import type { MealLogDriver } from './wire.js';

const driver = (d: unknown): MealLogDriver => d as MealLogDriver;

/** The meal-log protocol: REST submission, AI processing, completion over `/ws/meal-logs`, polling while processing. */
export const mealLogProtocol: ProtocolDefinition = {
  name: 'meal-log',
  title: 'Meal log: completion over /ws/meal-logs, polling while meals are processing',
  sources: ['meal-log-websocket-connection-timing.md'],
  requirements: mealLogRequirements,
  actions: {
    openNutritionView: {
      description:
        'NutritionView appears (the client needs its socket and shows today\u2019s meals); the driver\u2019s openNutritionView() is called with no arguments',
      params: {},
      run: (d) => driver(d).openNutritionView(),
    },
    submitMeal: {
      description: 'the user submits a meal in AddMealView, which then dismisses; `args: {text}` calls the driver\u2019s submitMeal(text)',
      params: { text: 'string' },
      run: (d, a) => driver(d).submitMeal(a.text as string),
    },
  },
  snapshot: MealLogSnapshotSchema,
  defaults: { duration: 90_000, heal: 150_000, clients: ['c1'], network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } } },
  server: (variant, options) => {
    const parsed = parseMealLogServerOptions(options, 'server.options');
    if (variant === 'reference') return createMealLogServer(parsed);
    const v = mealLogServerVariants[variant];
    if (!v)
      throw new Error(`meal-log has no server variant "${variant}" (expected reference, ${Object.keys(mealLogServerVariants).join(', ')})`);
    return createMealLogServer(parsed, v.decisions);
  },
  serverVariants: Object.fromEntries(
    Object.entries(mealLogServerVariants).map(([k, v]) => [k, { description: v.description, breaks: v.breaks }]),
  ),
  reference: (env) => createMealLogClient(env),
  variants: mealLogVariants,
  property: mealLogPropertyModel,
};

export { createMealLogClient } from './client.js';
export { createMealLogServer } from './server.js';
export type { MealLogDriver, MealLogSnapshot, MealLog } from './wire.js';
export { MealLogSnapshotSchema } from './snapshot.js';
