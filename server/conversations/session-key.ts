/**
 * Where a request's session came from, strongest signal first: Claude Code's own session header,
 * the session inside the body's `metadata.user_id`, an explicit `x-claudescope-session` header a
 * user sets on other clients, or none (the request is grouped by the history it carries). An
 * imported Claude Code transcript names its session too (TRANSCRIPT).
 */
export type SessionSource = 'HEADER' | 'METADATA' | 'EXPLICIT' | 'TRANSCRIPT' | 'PREFIX'

export interface SessionSignal {
  key: string
  source: Exclude<SessionSource, 'PREFIX'>
}

/** Headers as capture keeps them: lower-case names. */
export type HeaderValues = Readonly<Record<string, string | string[] | undefined>>

export const SESSION_HEADER = 'x-claude-code-session-id'
export const EXPLICIT_SESSION_HEADER = 'x-claudescope-session'
export const AGENT_ID_HEADER = 'x-claude-code-agent-id'
export const PARENT_AGENT_ID_HEADER = 'x-claude-code-parent-agent-id'

/** Longest session key kept: a client chooses it, and it is stored and indexed. */
const MAX_KEY_LENGTH = 200

/** The first value of a header, trimmed; null when absent, empty or absurdly long. */
export function headerValue(headers: HeaderValues, name: string): string | null {
  const raw = headers[name]
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim()
  return value && value.length <= MAX_KEY_LENGTH ? value : null
}

/**
 * The session of a request: the header Claude Code sends (2.1.86 on), else the session in
 * `metadata.user_id` (older versions), else the explicit header; null when none is there.
 */
export function sessionOf(headers: HeaderValues, metadataUserId: unknown): SessionSignal | null {
  const header = headerValue(headers, SESSION_HEADER)
  if (header !== null) return { key: header, source: 'HEADER' }
  const fromBody = typeof metadataUserId === 'string' ? sessionInUserId(metadataUserId) : null
  if (fromBody !== null) return { key: fromBody, source: 'METADATA' }
  const explicit = headerValue(headers, EXPLICIT_SESSION_HEADER)
  return explicit === null ? null : { key: explicit, source: 'EXPLICIT' }
}

const LEGACY_USER_ID = /_session_([0-9a-zA-Z-]{1,100})$/

/**
 * The session inside a `metadata.user_id`: the legacy
 * `user_<sha256>_account_<uuid>_session_<uuid>` form, or the newer JSON text with a `session_id`
 * member. Null for anything else (a plain user id names a person, not a session).
 */
export function sessionInUserId(userId: string): string | null {
  const trimmed = userId.trim()
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown
      const session = (parsed as { session_id?: unknown } | null)?.session_id
      return typeof session === 'string' && session !== '' && session.length <= MAX_KEY_LENGTH ? session : null
    } catch {
      return null
    }
  }
  return LEGACY_USER_ID.exec(trimmed)?.[1] ?? null
}
