import { topLevelMembers } from '../wire/top-level-members'

const TRUE = Buffer.from('true')
const FALSE = Buffer.from('false')
/** Inserted right after the opening `{`: as a first member, or as the only one. */
const STREAM_MEMBER = Buffer.from('"stream":true,')
const ONLY_STREAM_MEMBER = Buffer.from('"stream":true')

/**
 * The request body asking for a stream: a top-level `"stream": false` gets `true` as its value,
 * an absent `stream` is inserted as the first member. Every other byte stays as it was (a body is never parsed
 * and re-serialised), so
 * integers beyond 2^53, key order and whitespace reach upstream untouched.
 *
 * Null when the body must be forwarded as it is: it is not valid JSON or not an object (upstream
 * answers that itself), it already asks for a stream, or its `stream` is something upstream would
 * reject (a string, null, a number) or is written twice (which one counts is upstream's call).
 */
export function withStreamRequested(body: Buffer): Buffer | null {
  const object = topLevelMembers(body)
  if (object === null) return null
  const streams = object.members.filter((member) => member.key === 'stream')
  if (streams.length > 1) return null
  if (streams.length === 0) {
    const insertAt = object.openAt + 1
    const member = object.members.length === 0 ? ONLY_STREAM_MEMBER : STREAM_MEMBER
    return Buffer.concat([body.subarray(0, insertAt), member, body.subarray(insertAt)], body.length + member.length)
  }
  const { valueStart, valueEnd } = streams[0]
  if (valueEnd - valueStart !== FALSE.length || body.compare(FALSE, 0, FALSE.length, valueStart, valueEnd) !== 0) return null
  return Buffer.concat([body.subarray(0, valueStart), TRUE, body.subarray(valueEnd)], body.length - FALSE.length + TRUE.length)
}
