import { describe, expect, it } from 'vitest'
import { isLoopbackHost } from '../../server/config'
import { createHostCheck } from '../../server/http/host-check'

describe('the DNS-rebinding guard', () => {
  it('serves only loopback host names when bound to loopback', () => {
    const allowed = createHostCheck('127.0.0.1')
    for (const host of ['localhost:3001', '127.0.0.1:3001', '[::1]:3001', 'LOCALHOST', undefined]) expect(allowed(host)).toBe(true)
    for (const host of ['evil.example:3001', 'localhost.evil.example', '10.0.0.5:3001']) expect(allowed(host)).toBe(false)
  })

  it('serves every loopback spelling: 127/8 literals, ::1 and IPv4-mapped 127.x, localhost and its subdomains', () => {
    const allowed = createHostCheck('127.0.0.1')
    for (const host of ['127.0.0.1', '127.1.2.3:80', '[::1]', '[0:0:0:0:0:0:0:1]:3001', '[::ffff:127.0.0.1]:3001', 'app.localhost:3001', 'A.B.LOCALHOST']) {
      expect(allowed(host), host).toBe(true)
    }
  })

  it('refuses names that merely start like a loopback address, the shape a rebinding domain takes', () => {
    const allowed = createHostCheck('127.0.0.1')
    for (const host of ['127.0.0.1.nip.io', '127.0.0.1.nip.io:3001', '127.x.attacker.example', '127.evil', '[::ffff:10.0.0.1]:3001', '[::2]', 'localhost.', 'xlocalhost', '', '[::1']) {
      expect(allowed(host), host).toBe(false)
    }
  })

  it('judges each Host afresh when it changes between requests, whatever the verdict before', () => {
    const allowed = createHostCheck('127.0.0.1')
    const sequence: [string, boolean][] = [['127.0.0.1:3001', true], ['127.0.0.1:3001', true], ['evil.example:3001', false], ['evil.example:3001', false], ['localhost:3001', true], ['127.0.0.1.nip.io', false], ['127.0.0.1:3001', true]]
    for (const [host, verdict] of sequence) expect(allowed(host), host).toBe(verdict)
  })

  it('treats only loopback addresses and names as a loopback bind address', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) expect(isLoopbackHost(host), host).toBe(true)
    for (const host of ['127.0.0.1.nip.io', '0.0.0.0', '::', '10.0.0.1', '127.evil']) expect(isLoopbackHost(host), host).toBe(false)
  })

  it('accepts every host name when bound to another interface, where the dashboard token guards access', () => {
    expect(createHostCheck('0.0.0.0')('claudescope.internal:3001')).toBe(true)
  })
})
