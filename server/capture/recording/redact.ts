import { createHmac } from 'node:crypto'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { findMatches, type RedactPattern, type TextRange } from './redact-patterns'

/** Headers as stored: lower-case names, string values, secrets replaced by fingerprints. */
export type RedactedHeaders = Record<string, string | string[]>

/** Maps raw headers (either direction) to their stored, redacted form. */
export type HeaderRedactor = (headers: IncomingHttpHeaders | OutgoingHttpHeaders) => RedactedHeaders

/**
 * Headers whose values are credentials, by exact (lower-case) name. An explicit list, not a
 * pattern on names: a pattern such as /token|key/ also caught `anthropic-ratelimit-tokens-remaining`
 * and the like, and rate-limit figures are data worth keeping. Other providers' key headers are
 * here for upstreams other than Anthropic's; REDACT_HEADERS adds the install's own.
 */
const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'x-api-key',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-claudescope-token',
  'api-key',
  'x-goog-api-key',
  'x-amz-security-token',
])
const BEARER = /^bearer\s+/i

/**
 * A keyed fingerprint of a credential: `key:` + first 8 hex digits of HMAC-SHA256(secret, value),
 * with any leading `Bearer ` removed first, so one key sent as x-api-key or as a bearer token
 * fingerprints the same. Keyed by the per-install secret, so a fingerprint cannot be checked
 * against a guessed key elsewhere.
 */
function fingerprintSecret(secret: Buffer, value: string): string {
  return `key:${keyedHex8(secret, value.replace(BEARER, ''))}`
}

/**
 * Rewrites text for storage (REDACT_PATTERNS): bodies, raw SSE, stream events, error messages, the
 * query string and header values. Every match of any pattern becomes `redacted:` and 8 hex digits
 * of its keyed HMAC, so one secret reads the same wherever it recurs, yet cannot be read or
 * checked against a guess.
 */
export interface TextRedactor {
  /** `text` with every match replaced by its fingerprint; the very same string when nothing matched. */
  redact(text: string): string
  /** Where the patterns match in `text` (sorted, overlaps merged), for callers that redact text cut into pieces. */
  findMatches(text: string): TextRange[]
  /** What a matched secret is stored as. */
  replacement(secretText: string): string
}

/** A redactor over the configured patterns; null without patterns: text is then stored as forwarded and redaction costs nothing. */
export function createTextRedactor(secret: Buffer, patterns: readonly RedactPattern[]): TextRedactor | null {
  if (patterns.length === 0) return null
  const replacement = (secretText: string) => `redacted:${keyedHex8(secret, secretText)}`
  const find = (text: string) => findMatches(patterns, text)
  return {
    findMatches: find,
    replacement,
    redact(text) {
      const ranges = find(text)
      if (ranges.length === 0) return text
      let out = ''
      let from = 0
      for (const { start, end } of ranges) {
        out += text.slice(from, start) + replacement(text.slice(start, end))
        from = end
      }
      return out + text.slice(from)
    },
  }
}

function keyedHex8(secret: Buffer, value: string): string {
  return createHmac('sha256', secret).update(value).digest('hex').slice(0, 8)
}

/** Credential values whose fingerprints a header redactor keeps. */
const FINGERPRINTS_KEPT = 64

/**
 * A redactor bound to the install secret (see `loadInstallSecret`): values of SECRET_HEADERS and
 * of `extraSecretHeaders` (REDACT_HEADERS, any case) become keyed fingerprints, every other header
 * is stored as received.
 */
export function createHeaderRedactor(secret: Buffer, extraSecretHeaders: readonly string[] = []): HeaderRedactor {
  const secretNames = new Set([...SECRET_HEADERS, ...extraSecretHeaders.map((name) => name.toLowerCase())])
  // A client sends the same key on every request, in the request and again in the headers sent
  // upstream: its fingerprint is kept rather than computed by HMAC each time. The few keys a
  // process meets stay far below the bound; past it the cache starts over.
  const fingerprints = new Map<string, string>()
  const fingerprintOf = (value: string) => {
    let fingerprint = fingerprints.get(value)
    if (fingerprint === undefined) {
      if (fingerprints.size >= FINGERPRINTS_KEPT) fingerprints.clear()
      fingerprints.set(value, (fingerprint = fingerprintSecret(secret, value)))
    }
    return fingerprint
  }
  return (headers) => {
    const out: RedactedHeaders = {}
    for (const [rawName, value] of Object.entries(headers)) {
      if (value === undefined) continue
      const name = rawName.toLowerCase()
      const secretHeader = secretNames.has(name)
      const show = (v: string | number) => (secretHeader ? fingerprintOf(String(v)) : String(v))
      out[name] = Array.isArray(value) ? value.map(show) : show(value)
    }
    return out
  }
}

/** Headers already redacted by name, with the patterns applied to every value as well. */
export function redactHeaderValues(headers: RedactedHeaders, redactor: TextRedactor): RedactedHeaders {
  const out: RedactedHeaders = {}
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value.map((v) => redactor.redact(v)) : redactor.redact(value)
  return out
}

/**
 * The fingerprint of the credential a request carries, read from its redacted headers (so no second
 * HMAC): x-api-key, else Authorization (whose `Bearer ` was dropped before hashing); null when
 * it has neither.
 */
export function apiKeyFingerprint(redacted: RedactedHeaders): string | null {
  return firstValue(redacted['x-api-key']) ?? firstValue(redacted.authorization) ?? null
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
