import { describe, expect, it } from 'vitest';
import { ALICE, check, TraceBuilder } from './trace-builder.js';

// A = 250 ms: the server's allowance between storing a message and sending it.

/** d1 subscribed from 60 ms; alice's message m9 stored at 1000 by w1/http#1; a frame listing it sent at `sentAt` (never when undefined). */
function broadcast(sentAt: number | undefined, o: { failed?: boolean } = {}): TraceBuilder {
  const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
  const s = b.socket(0, 'd1');
  b.stored(1000, { id: 'm9', request: 'w1/http#1' });
  b.log(1000, 'broadcast.start', { broadcast: 2, trigger: 'widget-message', message: 'm9', request: 'w1/http#1' });
  if (o.failed) b.log(1020, 'broadcast.failed', { broadcast: 2, error: 'the customer query raised (simulated)' });
  if (sentAt !== undefined) b.frame(sentAt, s, [{ email: ALICE, ids: ['chat-a1-s1', 'm9'] }]);
  return b;
}

describe('LIVE-5 (server): every stored message is sent to the subscribed sockets at once', () => {
  it('passes a frame listing it within A', () => {
    expect(check('LIVE-5', broadcast(1020), 8000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a message that goes out only with the background cycle', () => {
    const f = check('LIVE-5', broadcast(2000), 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'customer message m9 (alice@example.com / chat-a1, stored at 1.0 s) was not sent to subscribed socket d1/ws#1 within A (250 ms, by 1.25 s); the first frame listing it left at 2.0 s, 1.0 s after it was stored',
    );
  });

  it('judges the server’s send, whatever happens to the frame on the way', () => {
    const held = broadcast(undefined);
    held.frame(1020, 'd1/ws#1', [{ email: ALICE, ids: ['m9'] }], 5000);
    expect(check('LIVE-5', held, 8000)).toMatchObject({ verdict: 'pass' });
  });

  it('excuses a message whose broadcast failed, and a socket that closed in time', () => {
    expect(check('LIVE-5', broadcast(undefined, { failed: true }), 8000).verdict).toBe('not-exercised');
    expect(check('LIVE-5', broadcast(undefined).socketClosed(1100, 'd1/ws#1'), 8000).verdict).toBe('not-exercised');
  });
});

/** A customer send served at 1020, stored, its broadcast done at 1040; answered at `respondAt` with `status`. */
function send(respondAt: number, status = 201): TraceBuilder {
  const b = new TraceBuilder();
  const path = `/api/users/${encodeURIComponent(ALICE)}/chats/chat-a1/messages`;
  const id = b.request(1000, 'w1', 'POST', path);
  b.add(1020, 'http.serve', { id, method: 'POST', path });
  b.stored(1020, { id: 'm9', request: id });
  b.log(1020, 'broadcast.start', { broadcast: 2, trigger: 'widget-message', message: 'm9', request: id });
  if (respondAt === 1020) b.add(1020, 'http.respond', { id, status });
  b.log(1040, 'broadcast.sent', { broadcast: 2, sockets: [] });
  if (respondAt > 1020) b.add(respondAt, 'http.respond', { id, status });
  b.add(respondAt + 20, 'http.response', { id, status });
  return b;
}

describe('LIVE-6 (server): a broadcast never fails or delays the send', () => {
  it('passes a send answered before its broadcast completed', () => {
    expect(check('LIVE-6', send(1020), 5000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a send answered only after its broadcast', () => {
    expect(check('LIVE-6', send(1040), 5000).evidence).toBe(
      'send w1/http#1 (message m9, stored at 1.02 s) was answered at 1.04 s, only after its broadcast #2 (started 1.02 s) was sent at 1.04 s: the send waited 20 ms for the broadcast',
    );
  });

  it('fails a stored send answered with an error', () => {
    const f = check('LIVE-6', send(1020, 500), 5000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(/was answered 500 at 1\.02 s: a stored message must be answered as sent/);
  });

  it('is not exercised without a stored send', () => {
    expect(check('LIVE-6', new TraceBuilder(), 5000).verdict).toBe('not-exercised');
  });
});
