/**
 * Text PostgreSQL will store: NUL, which a `text` column refuses, becomes U+FFFD (as invalid
 * UTF-8 already did when the bytes were decoded). Valid JSON never holds a raw NUL, so only
 * bodies that are not JSON can change here.
 */
export function storableText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text
}
