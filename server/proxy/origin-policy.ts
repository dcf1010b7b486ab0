import type { ServerResponse } from 'node:http'
import { ProxyError } from './proxy-errors'

/**
 * What the browser headers of a /v1/* request decide: `null` when there are none (SDKs and Claude
 * Code send neither `Origin` nor a cross-site `Sec-Fetch-Site`), the origin when it is allowed (the
 * answer then carries CORS headers), or the refusal.
 */
export type OriginDecision = null | { allowedOrigin: string } | ProxyError

/**
 * Builds the check that keeps web pages away from /v1/*. Any page can `fetch(..., {mode:'no-cors'})`
 * a text/plain body to a loopback port; the proxy would forward it with whatever credentials the
 * page guessed and record it. Browsers mark such requests with `Origin` (every cross-origin and
 * every non-GET request) or `Sec-Fetch-Site`, so those are refused unless the origin is one of
 * `allowedOrigins` (exact match, as ALLOWED_ORIGINS lists them). One pass over the raw headers,
 * comparing lengths before names.
 */
export function createOriginCheck(allowedOrigins: readonly string[]): (rawHeaders: readonly string[]) => OriginDecision {
  const allowed = new Set(allowedOrigins)
  return (rawHeaders) => {
    let origin: string | undefined
    let originCount = 0
    let fetchSite: string | undefined
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]
      if (name.length === 6 && name.toLowerCase() === 'origin') {
        origin = rawHeaders[i + 1]
        originCount++
      } else if (name.length === 14 && name.toLowerCase() === 'sec-fetch-site') fetchSite = rawHeaders[i + 1]
    }
    if (origin === undefined) {
      if (fetchSite !== 'cross-site' && fetchSite !== 'same-site') return null
      return new ProxyError('ORIGIN_FORBIDDEN', `the browser marked it Sec-Fetch-Site: ${fetchSite}`)
    }
    if (originCount === 1 && allowed.has(origin)) return { allowedOrigin: origin }
    return new ProxyError('ORIGIN_FORBIDDEN', `Origin ${origin} is not listed in ALLOWED_ORIGINS`)
  }
}

/** A CORS preflight: OPTIONS with `Access-Control-Request-Method` (its Origin was already checked). */
export function isPreflight(method: string, headers: { 'access-control-request-method'?: string }): boolean {
  return method === 'OPTIONS' && headers['access-control-request-method'] !== undefined
}

/** Lets the allowed origin read the answer; writeHead merges these with upstream's headers. */
export function setCorsHeaders(res: ServerResponse, origin: string): void {
  res.setHeader('access-control-allow-origin', origin)
  res.setHeader('access-control-expose-headers', '*')
  res.setHeader('vary', 'Origin')
}

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600

/** 204 to an allowed origin's preflight, granting the method and headers it asked for; never forwarded. */
export function answerPreflight(res: ServerResponse, origin: string, requestedMethod: string, requestedHeaders: string | undefined): void {
  setCorsHeaders(res, origin)
  res.setHeader('access-control-allow-methods', requestedMethod)
  if (requestedHeaders !== undefined) res.setHeader('access-control-allow-headers', requestedHeaders)
  res.setHeader('access-control-max-age', PREFLIGHT_MAX_AGE_S)
  res.writeHead(204).end()
}
