import type { JsonValue } from '../graphql/graphql'
import { isObject, stringField } from './content'

/**
 * How an image or document source may be shown. Recorded content is hostile by assumption: only
 * raster image types become inline `data:` URLs (SVG can carry script, text/html is not an image),
 * and remote URLs are never fetched by the dashboard, only offered as links, so a recorded
 * conversation cannot make the viewer's browser call out (tracking pixels).
 */
export type MediaView =
  | { kind: 'inline'; src: string; mediaType: string }
  | { kind: 'link'; url: string }
  | { kind: 'file'; fileId: string }
  | { kind: 'blocked'; reason: string }

const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export function imageView(source: JsonValue | undefined): MediaView {
  if (!isObject(source)) return { kind: 'blocked', reason: 'no source' }
  switch (source.type) {
    case 'base64': {
      const mediaType = stringField(source, 'media_type') ?? ''
      const data = (stringField(source, 'data') ?? '').replace(/\s+/g, '')
      if (!INLINE_IMAGE_TYPES.has(mediaType)) return { kind: 'blocked', reason: `not shown: media type ${mediaType || 'missing'}` }
      if (!BASE64.test(data)) return { kind: 'blocked', reason: 'not shown: data is not base64' }
      return { kind: 'inline', src: `data:${mediaType};base64,${data}`, mediaType }
    }
    default:
      return remoteOrFile(source)
  }
}

/** A link for URL sources (http and https only), the id for Files API sources. */
export function remoteOrFile(source: { [key: string]: JsonValue }): MediaView {
  const url = stringField(source, 'url')
  if (source.type === 'url' && url !== null) {
    return /^https?:\/\//i.test(url) ? { kind: 'link', url } : { kind: 'blocked', reason: `not linked: ${url}` }
  }
  const fileId = stringField(source, 'file_id')
  if (source.type === 'file' && fileId !== null) return { kind: 'file', fileId }
  return { kind: 'blocked', reason: `unknown source type ${String(stringField(source, 'type'))}` }
}

/** Bytes of base64 data, or null when it is not base64. */
export function decodeBase64(data: string): Uint8Array<ArrayBuffer> | null {
  try {
    const binary = atob(data.replace(/\s+/g, ''))
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return bytes
  } catch {
    return null
  }
}
