// A validator for the subset of XML Schema 1.0 that JUnit schemas use: global and local
// element declarations (`name`/`type`/`ref`), named and anonymous complex types
// (`mixed`, `sequence`, `choice`, `all`, `minOccurs`/`maxOccurs`, `attribute` with
// `use="required"`), simple content by extension, named simple types restricting a
// built-in type by `pattern`/`enumeration`/bounds, and the built-in types xs:string,
// xs:boolean, xs:decimal, xs:integer, xs:int, xs:long, xs:nonNegativeInteger, xs:dateTime.
// Anything else in the schema is an error, never silently ignored.
import { parseXml, type XmlElement } from './xml.js';

const XS = 'xs:';

type Occurs = { min: number; max: number };
type Particle = ({ kind: 'element'; decl: ElementDecl } & Occurs) | ({ kind: 'sequence' | 'choice' | 'all'; items: Particle[] } & Occurs);
interface AttributeDecl {
  name: string;
  type: SimpleType;
  required: boolean;
}
interface ComplexType {
  mixed: boolean;
  content?: Particle;
  /** Text content of this simple type (simpleContent). */
  simple?: SimpleType;
  attributes: AttributeDecl[];
}
interface SimpleType {
  name: string;
  check(value: string): string | undefined;
}
interface ElementDecl {
  name: string;
  /** Resolved lazily (types and refs may come later in the schema). */
  type(): ComplexType | SimpleType;
}

const builtins: Record<string, (v: string) => boolean> = {
  string: () => true,
  boolean: (v) => /^(true|false|1|0)$/.test(v.trim()),
  decimal: (v) => /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(v.trim()),
  integer: (v) => /^[+-]?\d+$/.test(v.trim()),
  int: (v) => /^[+-]?\d+$/.test(v.trim()) && Math.abs(Number(v)) <= 2 ** 31,
  long: (v) => /^[+-]?\d+$/.test(v.trim()),
  nonNegativeInteger: (v) => /^\+?\d+$/.test(v.trim()),
  dateTime: (v) => /^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/.test(v.trim()),
};

/** A compiled schema: `validate(xml)` returns every problem found (empty: valid). */
export interface Schema {
  validate(xml: string): string[];
}

/** Compiles an XSD document (the subset above). */
export function compileSchema(xsdText: string): Schema {
  const root = parseXml(xsdText);
  if (root.name !== `${XS}schema`) throw new Error(`expected <xs:schema>, found <${root.name}>`);
  const unsupported = (e: XmlElement): never => {
    throw new Error(`line ${e.line}: <${e.name}> is outside the supported XSD subset`);
  };
  const elements = new Map<string, ElementDecl>();
  const complexTypes = new Map<string, () => ComplexType>();
  const simpleTypes = new Map<string, SimpleType>();
  const content = (e: XmlElement) => e.children.filter((c) => c.name !== `${XS}annotation`);

  const builtin = (qname: string): SimpleType | undefined => {
    if (!qname.startsWith(XS)) return undefined;
    const test = builtins[qname.slice(XS.length)];
    if (!test) throw new Error(`built-in type ${qname} is outside the supported subset`);
    return { name: qname, check: (v) => (test(v) ? undefined : `is not a valid ${qname}`) };
  };
  const simpleByName = (qname: string): SimpleType => {
    const t = builtin(qname) ?? simpleTypes.get(qname);
    if (!t) throw new Error(`unknown simple type ${qname}`);
    return t;
  };
  const typeByName = (qname: string): ComplexType | SimpleType => {
    const b = builtin(qname);
    if (b) return b;
    const c = complexTypes.get(qname);
    if (c) return c();
    const s = simpleTypes.get(qname);
    if (s) return s;
    throw new Error(`unknown type ${qname}`);
  };

  const compileSimple = (e: XmlElement, name: string): SimpleType => {
    const [r, ...rest] = content(e);
    if (!r || rest.length || r.name !== `${XS}restriction`) return unsupported(r ?? e);
    const base = simpleByName(r.attributes.base ?? '');
    const facets: ((v: string) => string | undefined)[] = [];
    const enums: string[] = [];
    const patterns: RegExp[] = [];
    for (const f of content(r)) {
      const value = f.attributes.value ?? '';
      switch (f.name) {
        case `${XS}pattern`:
          // XSD patterns match the whole value; the JUnit schemas' patterns are valid JS syntax.
          patterns.push(new RegExp(`^(?:${value})$`, 'u'));
          break;
        case `${XS}enumeration`:
          enums.push(value);
          break;
        case `${XS}minInclusive`:
          facets.push((v) => (Number(v) >= Number(value) ? undefined : `is below ${value}`));
          break;
        case `${XS}maxInclusive`:
          facets.push((v) => (Number(v) <= Number(value) ? undefined : `is above ${value}`));
          break;
        case `${XS}minLength`:
          facets.push((v) => ([...v].length >= Number(value) ? undefined : `is shorter than ${value}`));
          break;
        default:
          unsupported(f);
      }
    }
    return {
      name,
      check: (v) =>
        base.check(v) ??
        (patterns.length && !patterns.some((p) => p.test(v)) ? `does not match the pattern of ${name}` : undefined) ??
        (enums.length && !enums.includes(v) ? `is not one of ${enums.join(', ')}` : undefined) ??
        facets.map((f) => f(v)).find(Boolean),
    };
  };

  const occurs = (e: XmlElement): Occurs => ({
    min: e.attributes.minOccurs === undefined ? 1 : Number(e.attributes.minOccurs),
    max: e.attributes.maxOccurs === undefined ? 1 : e.attributes.maxOccurs === 'unbounded' ? Infinity : Number(e.attributes.maxOccurs),
  });

  const compileElement = (e: XmlElement): ElementDecl => {
    if (e.attributes.ref) {
      const ref = e.attributes.ref;
      return { name: ref, type: () => (elements.get(ref) ?? unsupported(e)).type() };
    }
    const name = e.attributes.name;
    if (!name) return unsupported(e);
    const inner = content(e);
    if (e.attributes.type) {
      if (inner.length) return unsupported(e);
      const t = e.attributes.type;
      return { name, type: () => typeByName(t) };
    }
    if (inner.length === 0) return { name, type: () => simpleByName(`${XS}string`) };
    const [def, ...rest] = inner;
    if (rest.length) return unsupported(rest[0]!);
    if (def!.name === `${XS}complexType`) {
      const t = lazy(() => compileComplex(def!));
      return { name, type: t };
    }
    if (def!.name === `${XS}simpleType`) {
      const s = compileSimple(def!, `the type of ${name}`);
      return { name, type: () => s };
    }
    return unsupported(def!);
  };

  const compileParticle = (e: XmlElement): Particle => {
    switch (e.name) {
      case `${XS}element`:
        return { kind: 'element', decl: compileElement(e), ...occurs(e) };
      case `${XS}sequence`:
      case `${XS}choice`:
      case `${XS}all`:
        return { kind: e.name.slice(XS.length) as 'sequence' | 'choice' | 'all', items: content(e).map(compileParticle), ...occurs(e) };
      default:
        return unsupported(e);
    }
  };

  const compileAttribute = (e: XmlElement): AttributeDecl => {
    if (e.name !== `${XS}attribute` || !e.attributes.name) return unsupported(e);
    const inner = content(e);
    const type =
      inner[0]?.name === `${XS}simpleType` ? compileSimple(inner[0], e.attributes.name) : simpleByName(e.attributes.type ?? `${XS}string`);
    return { name: e.attributes.name, type, required: e.attributes.use === 'required' };
  };

  const compileComplex = (e: XmlElement): ComplexType => {
    const t: ComplexType = { mixed: e.attributes.mixed === 'true', attributes: [] };
    for (const c of content(e)) {
      if (c.name === `${XS}attribute`) t.attributes.push(compileAttribute(c));
      else if (c.name === `${XS}simpleContent`) {
        const [ext, ...rest] = content(c);
        if (!ext || rest.length || ext.name !== `${XS}extension`) return unsupported(ext ?? c);
        t.simple = simpleByName(ext.attributes.base ?? '');
        for (const a of content(ext)) t.attributes.push(compileAttribute(a));
      } else if (!t.content && [`${XS}sequence`, `${XS}choice`, `${XS}all`].includes(c.name)) t.content = compileParticle(c);
      else unsupported(c);
    }
    return t;
  };

  for (const e of content(root)) {
    const name = e.attributes.name ?? '';
    if (e.name === `${XS}element`) elements.set(name, compileElement(e));
    else if (e.name === `${XS}complexType`)
      complexTypes.set(
        name,
        lazy(() => compileComplex(e)),
      );
    else if (e.name === `${XS}simpleType`) simpleTypes.set(name, compileSimple(e, name));
    else unsupported(e);
  }

  return {
    validate(xml: string): string[] {
      const problems: string[] = [];
      let doc: XmlElement;
      try {
        doc = parseXml(xml);
      } catch (e) {
        return [`not well-formed: ${(e as Error).message}`];
      }
      const decl = elements.get(doc.name);
      if (!decl)
        return [
          `<${doc.name}> (line ${doc.line}) is not a global element of the schema (expected one of ${[...elements.keys()].join(', ')})`,
        ];
      validateElement(doc, decl, `/${doc.name}`, problems);
      return problems;
    },
  };
}

function lazy<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}

function isComplex(t: ComplexType | SimpleType): t is ComplexType {
  return 'attributes' in t;
}

function validateElement(e: XmlElement, decl: ElementDecl, path: string, problems: string[]): void {
  const t = decl.type();
  const at = `${path} (line ${e.line})`;
  if (!isComplex(t)) {
    if (Object.keys(e.attributes).length)
      problems.push(`${at}: has attributes (${Object.keys(e.attributes).join(', ')}) but its type ${t.name} allows none`);
    if (e.children.length) problems.push(`${at}: has child elements but its type ${t.name} is simple`);
    const p = t.check(e.text);
    if (p) problems.push(`${at}: the text ${p}`);
    return;
  }
  for (const a of t.attributes) {
    const v = e.attributes[a.name];
    if (v === undefined) {
      if (a.required) problems.push(`${at}: the required attribute "${a.name}" is missing`);
      continue;
    }
    const p = a.type.check(v);
    if (p) problems.push(`${at}: attribute ${a.name}="${v}" ${p}`);
  }
  for (const name of Object.keys(e.attributes)) {
    if (!t.attributes.some((a) => a.name === name) && !name.startsWith('xmlns'))
      problems.push(`${at}: attribute "${name}" is not declared`);
  }
  if (t.simple) {
    if (e.children.length) problems.push(`${at}: has child elements but its content is simple`);
    const p = t.simple.check(e.text);
    if (p) problems.push(`${at}: the text ${p}`);
    return;
  }
  if (!t.mixed && e.text.trim()) problems.push(`${at}: text ${JSON.stringify(e.text.trim().slice(0, 40))} in element-only content`);
  const names = e.children.map((c) => c.name);
  const matched = t.content ? matchParticle(t.content, names, 0) : new Map<number, ElementDecl[]>([[0, []]]);
  const full = matched.get(names.length);
  if (!full) {
    const best = Math.max(...matched.keys());
    problems.push(
      `${at}: unexpected ${names.length ? `<${names[best] ?? '(end)'}> as child ${best + 1}` : 'end'}: children [${names.join(', ')}] do not match the content model${names.length === best ? ' (something required is missing)' : ''}`,
    );
    return;
  }
  e.children.forEach((c, k) => validateElement(c, full[k]!, `${path}/${c.name}[${k + 1}]`, problems));
}

/** Every way a particle can match children from `pos`: end position → the declarations the children matched. */
function matchParticle(p: Particle, names: string[], pos: number): Map<number, ElementDecl[]> {
  const once = (from: number): Map<number, ElementDecl[]> => {
    if (p.kind === 'element') return names[from] === p.decl.name ? new Map([[from + 1, [p.decl]]]) : new Map();
    if (p.kind === 'choice') {
      const out = new Map<number, ElementDecl[]>();
      for (const item of p.items) for (const [end, d] of matchParticle(item, names, from)) if (!out.has(end)) out.set(end, d);
      return out;
    }
    if (p.kind === 'all') {
      // Each item at most its maxOccurs (0 or 1 in XSD 1.0), in any order.
      let states = new Map<number, { decls: ElementDecl[]; used: Set<number> }>([[from, { decls: [], used: new Set() }]]);
      const done = new Map<number, ElementDecl[]>();
      for (let step = 0; step <= p.items.length; step++) {
        const next = new Map<number, { decls: ElementDecl[]; used: Set<number> }>();
        for (const [at, s] of states) {
          if (p.items.every((item, k) => s.used.has(k) || item.min === 0)) done.set(at, s.decls);
          p.items.forEach((item, k) => {
            if (s.used.has(k)) return;
            for (const [end, d] of matchParticle({ ...item, min: 1, max: 1 }, names, at))
              if (!next.has(end)) next.set(end, { decls: [...s.decls, ...d], used: new Set([...s.used, k]) });
          });
        }
        states = next;
      }
      return done;
    }
    let states = new Map<number, ElementDecl[]>([[from, []]]);
    for (const item of p.items) {
      const next = new Map<number, ElementDecl[]>();
      for (const [at, d] of states)
        for (const [end, d2] of matchParticle(item, names, at)) if (!next.has(end)) next.set(end, [...d, ...d2]);
      states = next;
    }
    return states;
  };
  // Repeat between min and max times; stop when a repetition reaches nothing new.
  const result = new Map<number, ElementDecl[]>();
  let frontier = new Map<number, ElementDecl[]>([[pos, []]]);
  if (p.min === 0) result.set(pos, []);
  for (let n = 1; n <= p.max && frontier.size; n++) {
    const next = new Map<number, ElementDecl[]>();
    for (const [at, d] of frontier) {
      for (const [end, d2] of once(at)) {
        if (end === at && n > p.min) continue;
        if (!next.has(end)) next.set(end, [...d, ...d2]);
      }
    }
    frontier = new Map([...next].filter(([end]) => n <= p.min || !result.has(end)));
    if (n >= p.min) for (const [end, d] of next) if (!result.has(end)) result.set(end, d);
  }
  return result;
}
