import { describe, expect, it } from 'vitest'
import { isEventStream } from '../../server/wire/content-type'

describe('isEventStream', () => {
  it.each(['text/event-stream', 'text/event-stream; charset=utf-8', 'Text/Event-Stream;charset=UTF-8', ' text/event-stream '])(
    'recognises %j as a stream whatever its case, spacing and parameters',
    (contentType) => {
      expect(isEventStream(contentType)).toBe(true)
    },
  )

  it.each(['application/json', 'text/event-streams', 'text/event-stream-x', 'text/plain; x=text/event-stream', '', undefined, null])(
    'does not take %j for a stream',
    (contentType) => {
      expect(isEventStream(contentType)).toBe(false)
    },
  )
})
