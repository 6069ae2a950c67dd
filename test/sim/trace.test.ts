import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/sim/canonical-json.js';
import { parseTrace, roundTime, Trace } from '../../src/sim/trace.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('trace lines', () => {
  it('start with t, seq, ev and sort the remaining keys', () => {
    const tr = new Trace();
    tr.record(0, 'sim.start', { seed: 1 });
    tr.record(1040, 'http.response', { status: 200, id: 'c1/http#1', bytes: 26 });
    expect(tr.rawLines()).toEqual([
      '{"t":0,"seq":0,"ev":"sim.start","seed":1}',
      '{"t":1040,"seq":1,"ev":"http.response","bytes":26,"id":"c1/http#1","status":200}',
    ]);
  });

  it('sorts nested keys at every depth, in code-point order', () => {
    const tr = new Trace();
    tr.record(5, 'x', { z: { b: 1, a: [{ d: 1, c: 2 }], B: true, é: 0, _: null } });
    expect(tr.rawLines()[0]).toBe('{"t":5,"seq":0,"ev":"x","z":{"B":true,"_":null,"a":[{"c":2,"d":1}],"b":1,"é":0}}');
  });

  it('drops undefined members (top-level and nested) and writes undefined array items as null', () => {
    const tr = new Trace();
    tr.record(1, 'x', { a: undefined, b: { c: undefined, d: 1 }, e: [undefined, 2] });
    tr.record(2, 'y');
    tr.record(3, 'z', {});
    expect(tr.rawLines()).toEqual([
      '{"t":1,"seq":0,"ev":"x","b":{"d":1},"e":[null,2]}',
      '{"t":2,"seq":1,"ev":"y"}',
      '{"t":3,"seq":2,"ev":"z"}',
    ]);
  });

  it('rounds times to whole microseconds, so float noise never reaches a trace', () => {
    const tr = new Trace();
    tr.record(0.1 + 0.2, 'a');
    tr.record(1 / 3, 'b');
    tr.record(-0, 'c');
    expect(tr.rawLines().map((l) => JSON.parse(l).t)).toEqual([0.3, 0.333, 0]);
    expect(tr.rawLines()[2]).toBe('{"t":0,"seq":2,"ev":"c"}');
    expect(roundTime(1.0005)).toBe(1.001);
  });

  it('serializes strings and numbers as JSON does, escapes included', () => {
    const tr = new Trace();
    tr.record(0, 'x', { s: 'quote " back \\ nl \n tab \t', u: '\u2028', n: 1e21, m: -0.5, big: 2 ** 53 });
    const line = tr.rawLines()[0]!;
    expect(JSON.parse(line)).toEqual({
      t: 0,
      seq: 0,
      ev: 'x',
      s: 'quote " back \\ nl \n tab \t',
      u: '\u2028',
      n: 1e21,
      m: -0.5,
      big: 2 ** 53,
    });
    expect(line).not.toContain('\n');
  });

  it('rejects reserved keys, without consuming a sequence number', () => {
    const tr = new Trace();
    tr.record(0, 'a');
    for (const k of ['t', 'seq', 'ev']) expect(() => tr.record(1, 'bad', { [k]: 1 })).toThrow(new RegExp(`trace field "${k}" is reserved`));
    tr.record(2, 'b');
    expect(tr.events().map((e) => e.seq)).toEqual([0, 1]);
    expect(tr.length).toBe(2);
  });

  it('rejects NaN and infinities anywhere, naming the event and the field, without consuming a sequence number', () => {
    const tr = new Trace();
    expect(() => tr.record(0, 'x', { n: Number.NaN })).toThrow(/canonical JSON cannot hold NaN/);
    expect(() => tr.record(0, 'x', { deep: { list: [1, Infinity] } })).toThrow(/"x".*"deep".*Infinity/);
    expect(() => tr.record(Number.NaN, 'x')).toThrow(/virtual time.*NaN/);
    expect(() => tr.record(0, 'x', { f: () => 1 })).toThrow(/cannot hold a function/);
    expect(() => tr.record(0, 'x', { b: 10n })).toThrow(/cannot hold a bigint/);
    expect(tr.length).toBe(0);
    tr.record(0, 'ok');
    expect(tr.events()[0]!.seq).toBe(0);
  });

  it('rejects circular values with a message instead of overflowing the stack', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/circular/);
    const shared = { k: 1 };
    expect(canonicalJson({ p: shared, q: shared, r: [shared, shared] })).toBe('{"p":{"k":1},"q":{"k":1},"r":[{"k":1},{"k":1}]}');
  });

  it('serializes values with toJSON (such as Date) as JSON does, so unequal values never look equal', () => {
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
    expect(canonicalJson(new Date(0))).not.toBe(canonicalJson(new Date(1)));
    expect(canonicalJson({ toJSON: () => ({ b: 1, a: 2 }) })).toBe('{"a":2,"b":1}');
  });

  it('keeps history immutable: mutating a payload after recording changes nothing', () => {
    const tr = new Trace();
    const payload = { list: [1, 2], obj: { a: 1 } };
    tr.record(0, 'x', payload);
    payload.list.push(3);
    payload.obj.a = 99;
    expect(tr.rawLines()[0]).toBe('{"t":0,"seq":0,"ev":"x","list":[1,2],"obj":{"a":1}}');
  });

  it('toJsonl ends every line with a newline, and hash() is the sha256 of exactly those bytes', () => {
    const tr = new Trace();
    expect(tr.toJsonl()).toBe('');
    expect(tr.hash()).toBe(sha256(''));
    tr.record(0, 'a', { s: 'ünïcödé ✓' });
    tr.record(1.5, 'b', { n: 2 });
    expect(tr.toJsonl()).toBe(`${tr.rawLines().join('\n')}\n`);
    expect(tr.hash()).toBe(sha256(tr.toJsonl()));
    expect(tr.hash()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the hash changes with any byte of any line, and not otherwise', () => {
    const build = (v: number, t = 1) => {
      const tr = new Trace();
      tr.record(0, 'a');
      tr.record(t, 'b', { v });
      return tr.hash();
    };
    expect(build(1)).toBe(build(1));
    expect(build(2)).not.toBe(build(1));
    expect(build(1, 2)).not.toBe(build(1));
    // The same fields in another insertion order are the same step.
    const x = new Trace();
    x.record(0, 'e', { a: 1, b: 2 });
    const y = new Trace();
    y.record(0, 'e', { b: 2, a: 1 });
    expect(x.hash()).toBe(y.hash());
  });

  it('events() parses the lines back (and is refreshed after a new record)', () => {
    const tr = new Trace();
    tr.record(1, 'a', { x: { y: 1 } });
    expect(tr.events()).toEqual([{ t: 1, seq: 0, ev: 'a', x: { y: 1 } }]);
    tr.record(2, 'b');
    expect(tr.events().map((e) => e.ev)).toEqual(['a', 'b']);
  });

  it('listeners get each line and its event (with the rounded time and without undefined fields) and can unsubscribe', () => {
    const tr = new Trace();
    const got: [string, unknown][] = [];
    const off = tr.onRecord((line, event) => got.push([line, event]));
    tr.record(1 / 3, 'a', { k: 1, gone: undefined });
    off();
    tr.record(2, 'b');
    expect(got).toEqual([['{"t":0.333,"seq":0,"ev":"a","k":1}', { t: 0.333, seq: 0, ev: 'a', k: 1 }]]);
  });
});

describe('parseTrace', () => {
  it('round-trips a recorded trace and skips blank lines', () => {
    const tr = new Trace();
    tr.record(0, 'a', { n: 1 });
    tr.record(3, 'b', { s: 'x' });
    expect(parseTrace(tr.toJsonl())).toEqual(tr.events());
    expect(parseTrace(`\n${tr.toJsonl()}\n\n`)).toEqual(tr.events());
    expect(parseTrace(tr.toJsonl().replace(/\n/g, '\r\n'))).toEqual(tr.events());
  });

  it('names the source and the line of malformed JSON', () => {
    const text = '{"t":0,"seq":0,"ev":"a"}\n{"t":1,"seq":1,"ev":"b"}\n{"t":2,"seq":2,"ev":\n';
    expect(() => parseTrace(text, 'run.jsonl')).toThrow(/^run\.jsonl: line 3: expected a JSON object, found malformed JSON/);
  });

  it('names the line of an entry that is JSON but not a step', () => {
    expect(() => parseTrace('{"t":0,"seq":0,"ev":"a"}\n[1,2]\n')).toThrow(
      /^trace: line 2: expected an object with numeric "t", numeric "seq" and string "ev"/,
    );
    expect(() => parseTrace('null')).toThrow(/line 1/);
    expect(() => parseTrace('{"t":"0","seq":0,"ev":"a"}')).toThrow(/line 1/);
    expect(() => parseTrace('{"t":0,"seq":0}')).toThrow(/line 1/);
    expect(() => parseTrace('\n\n{"t":0,"ev":"a"}')).toThrow(/line 3/);
  });
});
