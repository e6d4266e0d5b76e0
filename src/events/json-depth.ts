// How deeply a JSON text nests, found by a linear scan before JSON.parse: V8 parses any depth, but
// JSON.stringify, zod and recursive walks over the result overflow the stack (a reply nested
// 20,000 levels deep took the process down). Nothing peerwatch reads nests deeper than a few levels.

/** Deepest nesting accepted in any JSON peerwatch reads (replies, event lines, settings). */
export const MAX_JSON_DEPTH = 64;

/** True when the text opens more than `limit` arrays/objects inside each other (strings skipped). */
export function jsonDepthExceeds(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
