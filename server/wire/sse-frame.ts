/**
 * One event in the SSE framing the Anthropic API writes: its type line when it has one, one
 * `data:` line per line of data, then a blank line. A stream written this way is exactly its
 * events framed one after the other, which lets storage keep the events alone.
 */
export function frameSseEvent(event: string | null, data: string): string {
  const type = event === null ? '' : `event: ${event}\n`
  return `${type}data: ${data.replaceAll('\n', '\ndata: ')}\n\n`
}
