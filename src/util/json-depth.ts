// How deeply a JSON text nests, found by a linear scan before JSON.parse: V8 parses any depth, but
// JSON.stringify, zod and recursive walks over the result overflow the stack (a reply nested
// 20,000 levels deep took the process down). Nothing peerwatch reads nests deeper than a few levels.

/** Deepest nesting accepted in any JSON peerwatch reads (replies, event lines, settings). */
export const MAX_JSON_DEPTH = 64;

/** True when the text opens more than `limit` arrays/objects inside each other (strings skipped). */
export function jsonDepthExceeds(text: string, limit = MAX_JSON_DEPTH): boolean {
  // Fewer opening brackets in all than the limit cannot nest deeper than it: counted with indexOf
  // (a native scan), this settles every ordinary line without the character loop below.
  const braces = countOf(text, "{", limit);
  if (braces + countOf(text, "[", limit - braces) <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Occurrences of `c` in `text`, counting no further than `limit` + 1 (0 when `limit` < 0). */
function countOf(text: string, c: string, limit: number): number {
  let n = 0;
  if (limit < 0) return 0;
  for (let i = text.indexOf(c); i !== -1 && n <= limit; i = text.indexOf(c, i + 1)) n++;
  return n;
}
