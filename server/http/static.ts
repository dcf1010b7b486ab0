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
 * inside `root` only (no traversal). A path with malformed percent-encoding is a 400; a missing
 * index.html a 404; a file that fails to read a 500 (or a cut connection once its bytes flow):
 * never an unhandled stream error.
 */
export function handleStatic(root: string | null) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (!root) return sendText(res, 503, 'The dashboard is not built. Run `npm run build` (npm start does it for you).')
    const urlPath = decodePath((req.url ?? '/').split('?')[0] ?? '/')
    if (urlPath === null) return sendText(res, 400, `The path ${JSON.stringify(req.url)} has malformed percent-encoding.`)
    let file = path.join(root, path.normalize(urlPath))
    if (!file.startsWith(root + path.sep) || !isFile(file)) file = path.join(root, 'index.html')
    if (!isFile(file)) return sendText(res, 404, `The dashboard's index.html is missing from ${root}: rebuild it with \`npm run build\`.`)
    const ext = path.extname(file)
    const immutable = file.startsWith(path.join(root, 'assets') + path.sep)
    const headers = {
      'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(ext === '.html' ? { 'content-security-policy': CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' } : {}),
    }
    if (req.method === 'HEAD') return void res.writeHead(200, headers).end()
    const stream = createReadStream(file)
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // Before the first bytes the status can still say what happened; after, only a cut connection can.
      if (res.headersSent) return void res.destroy(err)
      const relative = path.relative(root, file)
      if (err.code === 'ENOENT') sendText(res, 404, `${relative} vanished while being served.`)
      else sendText(res, 500, `${relative} could not be read (${err.code ?? err.message}).`)
    })
    // Headers wait for the first read, so a file that cannot be read still gets an honest status.
    stream.once('readable', () => {
      res.writeHead(200, headers)
      stream.pipe(res)
    })
  }
}

/** The decoded path, or null when its percent-encoding is malformed (e.g. `%zz`, a cut UTF-8 sequence). */
function decodePath(encoded: string): string | null {
  try {
    return decodeURIComponent(encoded)
  } catch {
    return null
  }
}

function sendText(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' })
  res.end(`${message}\n`)
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
