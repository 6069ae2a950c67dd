import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getProtocol } from '../../src/conformance/registry.js';
import { judgeTrace } from '../../src/real/judge.js';
import { parseTrace } from '../../src/sim/trace.js';

// A real run of scenarios/chat/fault-server-restart.yaml (reference client, real-time
// profile): the server is down from 3 s to 6 s, and the client's first poll after the
// socket died went to a closed port — refused, and so nowhere in the trace.
const file = 'test/real/fixtures/chat-restart-real-trace.jsonl';
const chat = getProtocol('chat');
const verdict = (text: string, id: string) => judgeTrace(parseTrace(text, file), chat, file).findings.find((f) => f.requirement === id)!;

describe('requirements that need a request the network refused', () => {
  it('a poll that is missing while the API port refused connections is not judged in a real trace', () => {
    const f = verdict(readFileSync(file, 'utf8'), 'CHAT-5');
    expect(f.verdict).toBe('not-exercised');
    expect(f.evidence).toMatch(/the server was down from 3\.\d+ s to 6\.\d+ s: the client's API port refused connections/);
    expect(f.evidence).toMatch(/no poll started within 3 s \+ T/);
  });

  it('the same evidence in a simulated trace (where a refused attempt is recorded) fails', () => {
    const simulated = readFileSync(file, 'utf8').replace('"mode":"real",', '');
    expect(verdict(simulated, 'CHAT-5').verdict).toBe('fail');
  });

  it('CHAT-16 is not exercised over real sockets: lockstep cannot make the device report that it is online', () => {
    // A real run of scenarios/chat/online-after-spent-retries.yaml: offline from 70 s to 80 s, with the 5 reconnects spent.
    const offline = readFileSync('test/real/fixtures/chat-offline-real-trace.jsonl', 'utf8');
    const real = verdict(offline, 'CHAT-16');
    expect(real.verdict).toBe('not-exercised');
    expect(real.evidence).toMatch(/cannot make the device tell the app that it is online again/);
    // Simulated, the device's online event is real, and the missing reconnect fails.
    expect(verdict(offline.replace('"mode":"real",', ''), 'CHAT-16').verdict).toBe('fail');
  });
});
