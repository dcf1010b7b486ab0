import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Checks an `Authorization` value against the dashboard token (DASHBOARD_TOKEN). Both sides are hashed first
 * so the comparison is constant-time and equal-length whatever the client sends. With no token
 * configured every caller is allowed (loopback-only installs).
 */
export function isAuthorized(authorization: unknown, dashboardToken: string | undefined): boolean {
  if (!dashboardToken) return true
  if (typeof authorization !== 'string') return false
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim())
  if (!match) return false
  return timingSafeEqual(digest(match[1]!), digest(dashboardToken))
}

const digest = (text: string) => createHash('sha256').update(text).digest()

/**
 * True when a browser's `Origin` names another host than the one it connected to (the WebSocket origin check): a page
 * on another site must not open a WebSocket that rides the user's local access. Non-browser
 * clients send no Origin and pass.
 */
export function isCrossOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return false
  try {
    return new URL(origin).host.toLowerCase() !== (host ?? '').toLowerCase()
  } catch {
    return true
  }
}
