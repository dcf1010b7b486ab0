import type { IncomingMessage } from 'node:http'
import { ProxyError } from './proxy-errors'

const EMPTY = Buffer.alloc(0)

export interface BodyLimits {
  /** Largest body accepted (BODY_TOO_LARGE beyond). */
  maxBytes: number
  /** Longest the whole body may take to arrive, from the call on (REQUEST_RECEIVE_TIMEOUT after). */
  timeoutMs: number
}

/** A body being read: `body` settles once, and `cancel` makes it reject with the given error if it has not settled yet. */
export interface BodyReading {
  body: Promise<Buffer | null>
  cancel(error: ProxyError): void
}

/**
 * Reads a request body into one Buffer, never holding more than `maxBytes`: a declared
 * `content-length` above the limit is refused before any byte is read, a chunked body as soon as
 * it crosses it (BODY_TOO_LARGE). A body still incomplete after `timeoutMs`, stalled or trickling,
 * is refused with REQUEST_RECEIVE_TIMEOUT, so a slow client holds neither memory nor a place in
 * flight for long. After a refusal the rest of the body is left unread. Resolves null when the
 * client goes away before the body ends.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits): BodyReading {
  const { maxBytes, timeoutMs } = limits
  const declared = declaredLength(req.rawHeaders)
  if (declared > maxBytes) return { body: Promise.reject(tooLarge(`content-length is ${declared} bytes`, maxBytes)), cancel: () => {} }
  let cancel!: (error: ProxyError) => void
  const body = new Promise<Buffer | null>((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    const onData = (chunk: Buffer) => {
      total += chunk.length
      if (total > maxBytes) return refuse(tooLarge(`more than ${maxBytes} bytes arrived`, maxBytes))
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
    const refuse = (error: ProxyError) => {
      stop()
      reject(error)
    }
    const timer = setTimeout(
      () => refuse(new ProxyError('REQUEST_RECEIVE_TIMEOUT', `${total} bytes of the body arrived in ${timeoutMs} ms (REQUEST_RECEIVE_TIMEOUT)`)),
      timeoutMs,
    )
    const stop = () => {
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onGone)
      req.off('close', onGone)
    }
    cancel = refuse
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onGone)
    req.on('close', onGone)
  })
  return { body, cancel }
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
