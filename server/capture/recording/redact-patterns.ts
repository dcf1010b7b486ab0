import { RE2JS } from 're2js'

/**
 * One REDACT_PATTERNS entry, compiled once at start for RE2 (the `re2js` engine): matching takes
 * time linear in the text whatever the pattern, so a pattern that would backtrack catastrophically
 * in JavaScript's engine cannot freeze the process on hostile text.
 */
export type RedactPattern = RE2JS

/** A REDACT_PATTERNS entry refused at start; the message names the pattern and says why. */
export class RedactPatternError extends Error {
  readonly code = 'REDACT_PATTERN_INVALID'
}

/** `\1`…`\9` or `\k<name>`, not preceded by another backslash. */
const BACK_REFERENCE = /(?<!\\)(?:\\\\)*\\(?:[1-9]|k<)/

/**
 * Compiles one pattern in RE2 syntax (github.com/google/re2/wiki/Syntax: no back references, no
 * lookaround). Throws RedactPatternError when it does not compile or when it matches the empty
 * string (it would then redact between every character).
 */
export function compileRedactPattern(source: string): RedactPattern {
  let pattern: RedactPattern
  try {
    pattern = RE2JS.compile(source)
  } catch (err) {
    const why = BACK_REFERENCE.test(source)
      ? 'back references such as \\1 or \\k<name> are not supported: patterns use RE2 syntax, which matches in linear time'
      : (err as Error).message
    throw new RedactPatternError(`${JSON.stringify(source)} is not a valid RE2 regular expression (${why})`)
  }
  if (pattern.matcher('').find()) throw new RedactPatternError(`${JSON.stringify(source)} matches the empty string, so it would redact between every character`)
  return pattern
}

/** A stretch of a string, in UTF-16 code units (JavaScript string indices): `start` included, `end` excluded. */
export interface TextRange {
  start: number
  end: number
}

/**
 * Where any pattern matches in `text`, sorted, with overlapping matches (of two patterns) merged
 * into one range, so that no piece of either is left out. Each pattern runs on its own: joining
 * them into one expression would renumber their groups and clash on names they share.
 */
export function findMatches(patterns: readonly RedactPattern[], text: string): TextRange[] {
  const found: TextRange[] = []
  for (const pattern of patterns) {
    // test() runs on the DFA without tracking groups: the cheap answer for the common text without secrets.
    if (!pattern.test(text)) continue
    const matcher = pattern.matcher(text)
    // An empty match hides nothing (`\bx*` passes the check on empty text, yet matches empty between words).
    while (matcher.find()) if (matcher.end() > matcher.start()) found.push({ start: matcher.start(), end: matcher.end() })
  }
  found.sort((a, b) => a.start - b.start)
  const merged: TextRange[] = []
  for (const range of found) {
    const last = merged.at(-1)
    if (last !== undefined && range.start < last.end) last.end = Math.max(last.end, range.end)
    else merged.push(range)
  }
  return merged
}
