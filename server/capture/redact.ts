import { createHmac } from 'node:crypto'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

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
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
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
export function fingerprintSecret(secret: Buffer, value: string): string {
  return `key:${keyedHex8(secret, value.replace(BEARER, ''))}`
}

/** Rewrites a body's text for storage (REDACT_PATTERNS). */
export type BodyRedactor = (text: string) => string

/**
 * A redactor for request and response bodies: every match of any pattern becomes `redacted:` and
 * 8 hex digits of its keyed HMAC, so one secret reads the same wherever it recurs, yet cannot be
 * read or checked against a guess. Null without patterns: bodies are then stored exactly as
 * forwarded and redaction costs nothing. Patterns are tried together, leftmost match first.
 */
export function createBodyRedactor(secret: Buffer, patterns: readonly RegExp[]): BodyRedactor | null {
  if (patterns.length === 0) return null
  const any = new RegExp(patterns.map((pattern) => `(?:${pattern.source})`).join('|'), 'g')
  return (text) => text.replace(any, (match) => `redacted:${keyedHex8(secret, match)}`)
}

function keyedHex8(secret: Buffer, value: string): string {
  return createHmac('sha256', secret).update(value).digest('hex').slice(0, 8)
}

/**
 * A redactor bound to the install secret (see `loadInstallSecret`): values of SECRET_HEADERS and
 * of `extraSecretHeaders` (REDACT_HEADERS, any case) become keyed fingerprints, every other header
 * is stored as received.
 */
export function createHeaderRedactor(secret: Buffer, extraSecretHeaders: readonly string[] = []): HeaderRedactor {
  const secretNames = new Set([...SECRET_HEADERS, ...extraSecretHeaders.map((name) => name.toLowerCase())])
  return (headers) => {
    const out: RedactedHeaders = {}
    for (const [rawName, value] of Object.entries(headers)) {
      if (value === undefined) continue
      const name = rawName.toLowerCase()
      const secretHeader = secretNames.has(name)
      const show = (v: string | number) => (secretHeader ? fingerprintSecret(secret, String(v)) : String(v))
      out[name] = Array.isArray(value) ? value.map(show) : show(value)
    }
    return out
  }
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
