import { createReadStream, existsSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
}

/** The built dashboard: `client/dist` beside the server, whether running from `server/` (dev) or `dist/server/` (build). */
export function findClientDir(from: string = __dirname): string | null {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'client', 'dist')
    if (existsSync(path.join(candidate, 'index.html'))) return candidate
  }
  return null
}

/**
 * Serves the dashboard. Hashed files under /assets/ are cached for a year; every other path that is
 * not a file falls back to index.html so client-side routes survive a reload. Paths are resolved
 * inside `root` only (no traversal).
 */
export function handleStatic(root: string | null) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (!root) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('The dashboard is not built. Run `npm run build` (npm start does it for you).\n')
      return
    }
    const urlPath = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/')
    let file = path.join(root, path.normalize(urlPath))
    if (!file.startsWith(root + path.sep) || !isFile(file)) file = path.join(root, 'index.html')
    const ext = path.extname(file)
    const immutable = file.startsWith(path.join(root, 'assets') + path.sep)
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(ext === '.html' ? { 'content-security-policy': CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' } : {}),
    })
    if (req.method === 'HEAD') res.end()
    else createReadStream(file).pipe(res)
  }
}

/** Recorded content is hostile by assumption: no inline scripts, no foreign origins. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'"

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile()
  } catch {
    return false
  }
}
