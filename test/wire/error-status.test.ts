import { describe, expect, it } from 'vitest'
import { statusForErrorType } from '../../server/wire/error-status'

describe('statusForErrorType', () => {
  it.each([
    ['invalid_request_error', 400],
    ['authentication_error', 401],
    ['billing_error', 402],
    ['permission_error', 403],
    ['not_found_error', 404],
    ['request_too_large', 413],
    ['rate_limit_error', 429],
    ['api_error', 500],
    ['timeout_error', 504],
    ['overloaded_error', 529],
    ['some_future_error', 500],
    ['constructor', 500],
  ])('maps %s to %i', (type, status) => {
    expect(statusForErrorType(type)).toBe(status)
  })
})
