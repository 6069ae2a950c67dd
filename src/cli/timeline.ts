import type { TraceEvent } from '../sim/trace.js';

const pad = (t: number): string => `${(t / 1000).toFixed(3)} s`.padStart(11);

/** One trace step as a line a person can read. */
export function timelineLine(e: TraceEvent): string {
  const f = e as Record<string, unknown>;
  const s = (k: string): string => (f[k] === undefined ? '' : String(f[k]));
  let what: string;
  switch (e.ev) {
    case 'http.request':
      what = `${s('node')} → ${s('method')} ${s('url')} (${s('id')})`;
      break;
    case 'http.serve':
      what = `server ← ${s('method')} ${s('path')} (${s('id')})${f.dup ? ' DUPLICATE' : ''}`;
      break;
    case 'http.respond':
      what = `server → ${s('status')} (${s('id')})`;
      break;
    case 'http.response':
      what = `client ← ${s('status')}${f.via === 'edge' ? ' from the edge' : ''} (${s('id')})`;
      break;
    case 'http.fail':
      what = `client: request ${s('id')} failed: ${s('reason')}`;
      break;
    case 'ws.send':
      what = `${s('dir') === 'to-server' ? 'client → server' : 'server → client'} frame #${s('n')} ${String(f.data).slice(0, 120)} (${s('id')})`;
      break;
    case 'ws.recv':
      return '';
    case 'ws.close':
      what = `${s('side')}: ${s('id')} closed ${s('code')}${f.wasClean ? ' clean' : ' abnormal'}${f.why ? ` (${s('why')})` : ''}`;
      break;
    case 'server.log':
      what = `server log: ${s('msg')} ${JSON.stringify(Object.fromEntries(Object.entries(f).filter(([k]) => !['t', 'seq', 'ev', 'msg'].includes(k))))}`;
      break;
    case 'client.snapshot':
      what = `${s('node')} shows ${JSON.stringify(f.state).slice(0, 160)}`;
      break;
    case 'client.action':
      what = `${s('node')} user: ${s('do')} ${f.args ? JSON.stringify(f.args) : ''}`;
      break;
    case 'fault.start':
      what = `FAULT ${s('kind')} starts (entry ${s('entry')})`;
      break;
    case 'fault.end':
      what = `FAULT ${s('kind')} ends (entry ${s('entry')})`;
      break;
    case 'net.drop':
      what = `network dropped ${s('envelope')} ${s('id')}${f.n !== undefined ? ` #${s('n')}` : ''}: ${s('reason')}`;
      break;
    default: {
      const rest = Object.entries(f).filter(([k]) => !['t', 'seq', 'ev'].includes(k));
      what = `${e.ev} ${rest.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}`;
    }
  }
  return `${pad(e.t)}  ${what}`;
}

/** The trace as a readable timeline (frame arrivals omitted: the sends say it). */
export function formatTimeline(events: readonly TraceEvent[]): string {
  return events
    .map(timelineLine)
    .filter((l) => l !== '')
    .join('\n');
}
