import type { IncomingMessage } from 'node:http'
import { ProxyError } from './proxy-errors'

const EMPTY = Buffer.alloc(0)

/**
 * Reads a request body into one Buffer, never holding more than `maxBytes`: a declared
 * `content-length` above the limit is refused before any byte is read, a chunked body as soon as
 * it crosses it (BODY_TOO_LARGE; the rest of the body is left to drain). Resolves null when the
 * client goes away before the body ends.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  const declared = declaredLength(req.rawHeaders)
  if (declared > maxBytes) return Promise.reject(tooLarge(`content-length is ${declared} bytes`, maxBytes))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    const onData = (chunk: Buffer) => {
      total += chunk.length
      if (total > maxBytes) {
        stop()
        reject(tooLarge(`more than ${maxBytes} bytes arrived`, maxBytes))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      stop()
      resolve(chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total))
    }
    const onGone = () => {
      stop()
      resolve(null)
    }
    const stop = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onGone)
      req.off('close', onGone)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onGone)
    req.on('close', onGone)
  })
}

/** The declared `content-length`, or -1 when absent (chunked or no body). Node's parser already rejected malformed values. */
function declaredLength(rawHeaders: readonly string[]): number {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === 14 && rawHeaders[i].toLowerCase() === 'content-length') return Number(rawHeaders[i + 1])
  }
  return -1
}

function tooLarge(what: string, maxBytes: number): ProxyError {
  return new ProxyError('BODY_TOO_LARGE', `${what}, the limit (MAX_BODY_BYTES) is ${maxBytes}`)
}
