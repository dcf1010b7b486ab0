/**
 * Bound of UTF-8 bytes kept in a text column a btree index covers (model, path, api key
 * fingerprint). PostgreSQL refuses an index entry above about 2,700 bytes (a third of a page)
 * with SQLSTATE 54000, and the client writes `model` and `path`: one request with a model of a few
 * KB would otherwise fail its whole batch. Real values stay far below it.
 */
export const MAX_INDEXED_TEXT_BYTES = 1024

/** Appended to a value cut to the bound, so a reader sees it is not the whole value. */
export const TRUNCATION_MARKER = '…[truncated]'

/**
 * `text` when it fits in `maxBytes` of UTF-8, else its longest prefix of whole characters that,
 * with TRUNCATION_MARKER appended, does. @default maxBytes MAX_INDEXED_TEXT_BYTES
 */
export function boundIndexedText(text: string, maxBytes = MAX_INDEXED_TEXT_BYTES): string {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: short strings need no count.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text
  const budget = maxBytes - Buffer.byteLength(TRUNCATION_MARKER)
  let bytes = 0
  let end = 0
  for (const char of text) {
    const size = Buffer.byteLength(char)
    if (bytes + size > budget) break
    bytes += size
    end += char.length
  }
  return text.slice(0, end) + TRUNCATION_MARKER
}
