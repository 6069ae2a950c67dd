// A small, strict XML 1.0 parser for tests: elements, attributes, text, CDATA, comments,
// processing instructions and character/entity references (the five predefined
// entities; no DTDs). It rejects what a conforming parser must reject: mismatched or
// unclosed tags, duplicate attributes, a raw `<` or unknown entity, characters XML 1.0
// cannot hold, content after the root element.

/** One parsed element. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The text directly inside this element (CDATA included, entity references resolved). */
  text: string;
  /** 1-based line of the start tag, for messages. */
  line: number;
}

/** Malformed XML: the message names the line and what was wrong. */
export class XmlError extends Error {
  override readonly name = 'XmlError';
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const nameStart =
  /[A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;
const nameChar =
  /[-.0-9A-Za-z_:\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;
const invalidChar =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Parses a document and returns its root element. */
export function parseXml(src: string): XmlElement {
  const bad = invalidChar.exec(src);
  if (bad)
    throw new XmlError(
      `line ${lineAt(src, bad.index)}: character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed in XML 1.0`,
    );
  let i = 0;
  const fail = (msg: string): never => {
    throw new XmlError(`line ${lineAt(src, i)}: ${msg}`);
  };
  const startsWith = (s: string) => src.startsWith(s, i);
  const skipSpace = () => {
    while (i < src.length && /[ \t\r\n]/.test(src[i]!)) i++;
  };
  const readName = (): string => {
    if (!nameStart.test(src[i] ?? '')) fail(`expected a name, found ${JSON.stringify(src.slice(i, i + 10))}`);
    const start = i++;
    while (i < src.length && nameChar.test(src[i]!)) i++;
    return src.slice(start, i);
  };
  const decode = (raw: string, where: string): string =>
    raw.replace(/&([^;&<]*);?/g, (m, ref: string) => {
      if (!m.endsWith(';')) fail(`a raw "&" in ${where} (write &amp;)`);
      if (ref.startsWith('#x')) return codePoint(parseInt(ref.slice(2), 16), /^#x[0-9a-fA-F]+$/.test(ref));
      if (ref.startsWith('#')) return codePoint(parseInt(ref.slice(1), 10), /^#[0-9]+$/.test(ref));
      const e = entities[ref];
      if (e === undefined) fail(`unknown entity &${ref}; in ${where}`);
      return e!;
    });
  const codePoint = (n: number, ok: boolean): string => {
    const c = ok && n <= 0x10ffff ? String.fromCodePoint(n) : '';
    if (!c || invalidChar.test(c) || (n >= 0xd800 && n <= 0xdfff)) fail(`character reference to U+${n.toString(16)} is not allowed`);
    return c;
  };
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (startsWith('<!--')) comment();
      else if (startsWith('<?')) pi();
      else return;
    }
  };
  const comment = () => {
    const end = src.indexOf('-->', i + 4);
    if (end < 0) fail('unclosed comment');
    if (src.slice(i + 4, end).includes('--')) fail('"--" inside a comment');
    i = end + 3;
  };
  const pi = () => {
    const end = src.indexOf('?>', i + 2);
    if (end < 0) fail('unclosed processing instruction');
    i = end + 2;
  };

  if (startsWith('<?xml')) {
    const end = src.indexOf('?>');
    if (end < 0) fail('unclosed XML declaration');
    if (
      !/^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>$/.test(
        src.slice(0, end + 2),
      )
    )
      fail('malformed XML declaration');
    i = end + 2;
  }
  skipMisc();
  if (startsWith('<!DOCTYPE')) fail('DOCTYPE declarations are not supported');
  if (src[i] !== '<') fail('expected the root element');

  const element = (): XmlElement => {
    const line = lineAt(src, i);
    i++; // <
    const name = readName();
    const attributes: Record<string, string> = {};
    for (;;) {
      const hadSpace = /[ \t\r\n]/.test(src[i] ?? '');
      skipSpace();
      if (startsWith('/>')) {
        i += 2;
        return { name, attributes, children: [], text: '', line };
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      if (!hadSpace) fail(`expected whitespace before an attribute of <${name}>`);
      const attr = readName();
      skipSpace();
      if (src[i] !== '=') fail(`expected "=" after attribute ${attr} of <${name}>`);
      i++;
      skipSpace();
      const q = src[i];
      if (q !== '"' && q !== "'") fail(`expected a quoted value for attribute ${attr} of <${name}>`);
      const end = src.indexOf(q!, i + 1);
      if (end < 0) fail(`unclosed value of attribute ${attr} of <${name}>`);
      const raw = src.slice(i + 1, end);
      if (raw.includes('<')) fail(`a raw "<" in attribute ${attr} of <${name}>`);
      if (attr in attributes) fail(`duplicate attribute ${attr} of <${name}>`);
      // Attribute-value normalization: literal whitespace becomes a space.
      attributes[attr] = decode(raw.replace(/[\t\n\r]/g, ' '), `attribute ${attr} of <${name}>`);
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (i >= src.length) fail(`<${name}> (line ${line}) is not closed`);
      if (startsWith('</')) {
        i += 2;
        const close = readName();
        if (close !== name) fail(`</${close}> closes <${name}> (line ${line})`);
        skipSpace();
        if (src[i] !== '>') fail(`expected ">" to close </${close}>`);
        i++;
        return { name, attributes, children, text, line };
      }
      if (startsWith('<!--')) comment();
      else if (startsWith('<![CDATA[')) {
        const end = src.indexOf(']]>', i);
        if (end < 0) fail('unclosed CDATA section');
        text += src.slice(i + 9, end);
        i = end + 3;
      } else if (startsWith('<?')) pi();
      else if (src[i] === '<') children.push(element());
      else {
        const next = src.indexOf('<', i);
        const raw = src.slice(i, next < 0 ? src.length : next);
        if (raw.includes(']]>')) fail('"]]>" in text');
        text += decode(raw.replace(/\r\n?/g, '\n'), `the text of <${name}>`);
        i = next < 0 ? src.length : next;
      }
    }
  };
  const root = element();
  skipMisc();
  if (i < src.length) fail('content after the root element');
  return root;
}

function lineAt(src: string, index: number): number {
  let n = 1;
  for (let k = 0; k < index && k < src.length; k++) if (src.charCodeAt(k) === 10) n++;
  return n;
}
