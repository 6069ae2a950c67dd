/**
 * How deeply arrays and objects nest in a JSON text, counted in one pass without
 * recursion (brackets inside strings do not count). Stops counting once `limit` is
 * exceeded: the answer is then `{ depth: limit + 1, at }` with the offending offset.
 */
export function jsonDepth(text: string, limit: number): { depth: number; at?: number } {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > limit) return { depth, at: i };
      if (depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return { depth: max };
}

/**
 * Parses a control endpoint body: a JSON object nesting at most `maxDepth` levels.
 * Never throws: a problem comes back as the reason for a 400. The depth is checked
 * before parsing, so that nothing downstream (canonical JSON, the trace) recurses
 * through a hostile body.
 */
export function parseJsonObject(
  body: string,
  maxDepth: number,
): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  const { depth, at } = jsonDepth(body, maxDepth);
  if (depth > maxDepth)
    return { ok: false, reason: `the JSON body nests deeper than ${maxDepth} levels of arrays and objects (at character ${at})` };
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    return { ok: false, reason: `the body is not valid JSON (${(e as Error).message})` };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return {
      ok: false,
      reason: `expected a JSON object, found ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}`,
    };
  return { ok: true, value: data as Record<string, unknown> };
}
