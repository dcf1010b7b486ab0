import { isLoopbackHost } from '../config'

/**
 * DNS-rebinding guard. A page on any site can point its own domain at 127.0.0.1 and then read a
 * loopback-bound server as same-origin; the Host header still carries that domain. So when
 * Claudescope listens on loopback, only loopback host names are served. Bound elsewhere, access is
 * guarded by DASHBOARD_TOKEN instead and every Host is accepted.
 */
export function createHostCheck(bindHost: string): (hostHeader: string | undefined) => boolean {
  if (!isLoopbackHost(bindHost)) return () => true
  return (hostHeader) => {
    if (!hostHeader) return true
    const name = hostHeader.startsWith('[') ? hostHeader.slice(1, hostHeader.indexOf(']')) : hostHeader.split(':')[0]!
    return isLoopbackHost(name.toLowerCase())
  }
}
