import { describe, expect, it } from 'vitest';
import { judge } from '../../../src/conformance/requirement.js';
import { mealLogRequirements } from '../../../src/reference/meal-log/requirements.js';
import { TraceBuilder } from './trace-builder.js';

// The catalogue as a whole. Each requirement's violating and conforming traces are in
// requirements-connection, requirements-polling and requirements-delivery.

describe('the meal-log catalogue', () => {
  it('has MEAL-1 … MEAL-16, each with a level, one sentence, a source section and a checker', () => {
    expect(mealLogRequirements.map((r) => r.id)).toEqual(Array.from({ length: 16 }, (_, i) => `MEAL-${i + 1}`));
    expect(mealLogRequirements.filter((r) => r.level === 'SHOULD').map((r) => r.id)).toEqual(['MEAL-8', 'MEAL-10']);
    expect(mealLogRequirements.filter((r) => r.subject === 'server').map((r) => r.id)).toEqual(['MEAL-6']);
    for (const r of mealLogRequirements) {
      expect(r.source).toMatch(/^meal-log-websocket-connection-timing\.md § /);
      expect(r.text).toMatch(/\.$/);
      expect(typeof r.check).toBe('function');
    }
  });

  it('never throws on a trace it does not understand', () => {
    const b = new TraceBuilder();
    b.add(5, 'ws.connect', { id: 7 })
      .add(6, 'client.snapshot', { node: 'c1', state: 'garbage' })
      .add(7, 'server.log', { msg: 'meal.created' })
      .add(8, 'ws.recv', { id: 'c1/ws#9', dir: 'to-client', n: 0 })
      .add(9, 'http.response', { id: 'c1/http#9', status: 200 });
    b.add(8, 'http.request', { id: 'c1/http#9', node: 'c1', method: 'GET', url: 'http://lockstep.test/api/v1/meal-logs?date=2025-01-15' });
    for (const r of mealLogRequirements) expect(['pass', 'not-exercised']).toContain(judge(r, b.ctx()).verdict);
  });

  it('is not exercised by an empty trace, and says why', () => {
    const b = new TraceBuilder();
    for (const r of mealLogRequirements) {
      const f = judge(r, b.ctx());
      expect(f.verdict, r.id).toBe('not-exercised');
      expect(f.evidence.length, r.id).toBeGreaterThan(10);
    }
  });
});
