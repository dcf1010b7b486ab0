import { stringValueOf } from '../../wire/request-model'
import { isJsonText, topLevelMembers } from '../../wire/top-level-members'

/** What capture needs from a request body before the exchange is over. */
export interface RequestBodyFacts {
  /** Exactly when `JSON.parse(body.toString('utf8'))` would succeed. */
  isJson: boolean
  /** Top-level `"model"` when it is a string, else null. */
  model: string | null
  /** Top-level `"stream": true`. */
  stream: boolean
}

const LOWER_T = 0x74

/**
 * Validates a request body as JSON and reads its top-level `model` and `stream`, straight from the
 * bytes. Decoding a 200 KB body to a string costs over a millisecond of CPU (V8 allocates strings
 * that large in its large-object space) and JSON.parse would then build a tree nobody uses; one
 * pass over the bytes costs a fraction of either. Nested keys named `model` or `stream` (inside
 * messages or tools) are ignored; a key written twice counts as JSON.parse counts it, the last.
 */
export function inspectRequestBody(body: Buffer): RequestBodyFacts {
  const object = topLevelMembers(body)
  if (object === null) return { isJson: isJsonText(body), model: null, stream: false }
  let model: string | null = null
  let stream = false
  for (const member of object.members) {
    const first = body[member.valueStart]
    if (member.key === 'model') model = stringValueOf(body, member)
    else if (member.key === 'stream') stream = first === LOWER_T
  }
  return { isJson: true, model, stream }
}
