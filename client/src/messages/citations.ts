import type { JsonValue } from '../graphql/graphql'
import { isObject, numberField, stringField } from './content'

/** One citation of a text block, reduced to what a reader needs: the quote and where it is from. */
export interface Citation {
  citedText: string
  /** Document title, page range, search result title…; never empty. */
  source: string
  /** Only http(s) URLs, as a link; other schemes are shown in `source` as text. */
  url: string | null
}

/** The citations of a text block (char, page, content-block, web-search and search-result locations). */
export function readCitations(citations: JsonValue | undefined): Citation[] {
  if (!Array.isArray(citations)) return []
  return citations.flatMap((citation) => {
    if (!isObject(citation)) return []
    const url = stringField(citation, 'url')
    return [
      {
        citedText: stringField(citation, 'cited_text') ?? '',
        source: describeSource(citation),
        url: url !== null && /^https?:\/\//i.test(url) ? url : null,
      },
    ]
  })
}

function describeSource(citation: { [key: string]: JsonValue }): string {
  const title = stringField(citation, 'title') ?? stringField(citation, 'document_title') ?? stringField(citation, 'source') ?? stringField(citation, 'url')
  const documentIndex = numberField(citation, 'document_index')
  const named = title ?? (documentIndex !== null ? `document ${documentIndex}` : 'source')
  switch (citation.type) {
    case 'page_location':
      return `${named}, pages ${range(numberField(citation, 'start_page_number'), numberField(citation, 'end_page_number'))}`
    case 'char_location':
      return `${named}, characters ${range(numberField(citation, 'start_char_index'), numberField(citation, 'end_char_index'))}`
    case 'content_block_location':
      return `${named}, blocks ${range(numberField(citation, 'start_block_index'), numberField(citation, 'end_block_index'))}`
    default:
      return named
  }
}

/** API ranges are end-exclusive. */
function range(start: number | bigint | null, end: number | bigint | null): string {
  if (start === null) return '?'
  if (end === null || typeof end !== 'number' || typeof start !== 'number' || end - 1 <= start) return String(start)
  return `${start}–${end - 1}`
}
