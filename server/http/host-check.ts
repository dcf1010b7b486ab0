import { isLoopbackHost } from '../config'

/**
 * DNS-rebinding guard. A page on any site can point its own domain at 127.0.0.1 and then read a
 * loopback-bound server as same-origin; the Host header still carries that domain. So when
 * Claudescope listens on loopback, only loopback host names are served. Bound elsewhere, access is
 * guarded by DASHBOARD_TOKEN instead and every Host is accepted.
 */
export function createHostCheck(bindHost: string): (hostHeader: string | undefined) => boolean {
  if (!isLoopbackHost(bindHost)) return () => true
  // A client sends the same Host on every request: its verdict is kept, since reading an address
  // literal costs a SocketAddress per call.
  let lastHeader: string | undefined
  let lastVerdict = false
  return (hostHeader) => {
    // HTTP/1.0 has no Host; browsers, the only rebinding vector, always send one.
    if (hostHeader === undefined) return true
    if (hostHeader !== lastHeader) {
      lastVerdict = isLoopbackHost(hostName(hostHeader))
      lastHeader = hostHeader
    }
    return lastVerdict
  }
}

/** The name of a Host header without its port: `[::1]:3001` → `::1`, `localhost:3001` → `localhost`. */
function hostName(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']')
    return end === -1 ? '' : hostHeader.slice(1, end)
  }
  const colon = hostHeader.indexOf(':')
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon)
}
