/**
 * The media type of a `content-type` header value: the part before any parameter, trimmed and
 * lower-cased (`Text/Event-Stream; charset=utf-8` → `text/event-stream`); '' when there is none.
 */
function mediaType(contentType: string | null | undefined): string {
  if (typeof contentType !== 'string') return ''
  const end = contentType.indexOf(';')
  return (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase()
}

/** Whether a `content-type` header value announces server-sent events, the form of a streamed Message. */
export function isEventStream(contentType: string | null | undefined): boolean {
  return mediaType(contentType) === 'text/event-stream'
}
