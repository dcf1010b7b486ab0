import zlib from 'node:zlib'

/**
 * A streaming decoder for the `content-encoding` of a response, so capture can read its own copy
 * of a compressed body (the client still gets the compressed bytes). Null for identity; undefined
 * for an encoding capture cannot decode (the body is then not kept).
 *
 * Decoders flush what they can at the end instead of failing on a truncated body, so a stream cut
 * mid-way still yields the events that arrived.
 */
export function createResponseDecoder(contentEncoding: string | undefined): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null | undefined {
  const encoding = contentEncoding?.trim().toLowerCase() ?? ''
  switch (encoding) {
    case '':
    case 'identity':
      return null
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
    case 'deflate':
      return zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
    case 'br':
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
    default:
      return undefined
  }
}
