/** Random JSON documents and byte-level mutations of them, from a seed, for the scanners' property tests. */

/** mulberry32: a small deterministic generator, so a failure reproduces. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KEYS = ['model', 'stream', 'messages', 'str\\u0065am', 'max_tokens', 'metadata', 'é', '']
/** String contents as they appear between the quotes (escapes written out). */
const STRINGS = ['', 'stream', '\\"stream\\": false', 'a\\"b', '\\\\', '\\u00e9\\n', 'café ☕ 日本語 😀', '{\\"stream\\":false}']
const NUMBERS = ['0', '-1', '12345678901234567890', '1.50', '-0.5e-10', '1E+400', '3']
const SPACES = ['', '', '', ' ', '\n  ', '\t', '\r\n']

/** Random JSON text with random whitespace; the top level is an object unless `topObject` is false by chance. */
export function randomDocument(random: () => number, topObject = random() < 0.9): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
  const ws = () => pick(SPACES)
  const value = (depth: number): string => {
    const r = random()
    if (depth > 3 || r < 0.45) {
      const kind = random()
      if (kind < 0.4) return `"${pick(STRINGS)}"`
      if (kind < 0.7) return pick(NUMBERS)
      return pick(['true', 'false', 'null'])
    }
    return r < 0.7 ? object(depth + 1) : `[${ws()}${Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`
  }
  const object = (depth: number): string => {
    const members = Array.from({ length: Math.floor(random() * 5) }, () => `"${pick(KEYS)}"${ws()}:${ws()}${value(depth)}`)
    return `{${ws()}${members.join(`${ws()},${ws()}`)}${ws()}}`
  }
  return `${ws()}${topObject ? object(0) : value(0)}${ws()}`
}

/** Deletes, duplicates or replaces one byte-level character, often breaking the document. */
export function mutate(text: string, random: () => number): string {
  if (text.length === 0) return '{'
  const at = Math.floor(random() * text.length)
  const r = random()
  if (r < 0.33) return text.slice(0, at) + text.slice(at + 1)
  if (r < 0.66) return text.slice(0, at) + text[at] + text.slice(at)
  const replacement = '{}[],:"\\ 0e.-tfnx'[Math.floor(random() * 17)]
  return text.slice(0, at) + replacement + text.slice(at + 1)
}
