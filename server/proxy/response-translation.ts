import type { ProxyError } from './proxy-errors'

/** The head the client gets for a translated response. */
export interface TranslatedHead {
  status: number
  headers: Record<string, string | string[]>
}

/**
 * How an exchange rewrites upstream's response for the client, when the client speaks another wire
 * format than upstream (a routed /v1/messages answered by a Chat Completions provider). Either
 * streaming (the head goes out at once, each upstream read becomes bytes to write), or held (a
 * JSON answer rewritten whole once upstream's body has ended).
 */
export interface ResponseTranslation {
  /** Upstream's head: the client's head to write now, or null to hold everything until `end`. */
  begin(status: number, headers: Readonly<Record<string, string | string[] | undefined>>): TranslatedHead | null
  /** One upstream read: bytes for the client now (empty while held or mid-event), or a ProxyError that fails the exchange. */
  push(chunk: Buffer): Buffer | ProxyError
  /** Upstream's body has ended: the last bytes of a stream (head null), or the held answer with its head. */
  end(): { head: TranslatedHead | null; body: Buffer }
  /** True when the client's response is SSE (a failure mid-body can still append an error event). */
  readonly isSse: boolean
}
