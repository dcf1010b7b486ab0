import { describe, expect, it } from 'vitest'
import { createHostCheck } from '../../server/http/host-check'

describe('the DNS-rebinding guard', () => {
  it('serves only loopback host names when bound to loopback', () => {
    const allowed = createHostCheck('127.0.0.1')
    for (const host of ['localhost:3001', '127.0.0.1:3001', '[::1]:3001', 'LOCALHOST', undefined]) expect(allowed(host)).toBe(true)
    for (const host of ['evil.example:3001', 'localhost.evil.example', '10.0.0.5:3001']) expect(allowed(host)).toBe(false)
  })

  it('accepts every host name when bound to another interface, where the dashboard token guards access', () => {
    expect(createHostCheck('0.0.0.0')('claudescope.internal:3001')).toBe(true)
  })
})
