/**
 * The floor for a Node proxy: a plain node:http pass-through with undici, no capture, no checks.
 * Whatever Claudescope adds beyond this is its own cost. Usage: UPSTREAM=http://… node minimal-proxy
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent, request } from 'undici'

const upstream = process.env.UPSTREAM!
const dispatcher = new Agent({ keepAliveTimeout: 60_000, connections: 256 })
const hop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length'])

const server = http.createServer({ noDelay: true }, (req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', async () => {
    const headers: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(req.headers)) if (!hop.has(k) && v !== undefined) headers[k] = v
    const up = await request(upstream + req.url, { method: req.method as 'POST', headers, body: Buffer.concat(chunks), dispatcher })
    const out: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(up.headers)) if (!hop.has(k) && v !== undefined) out[k] = v
    res.writeHead(up.statusCode, out)
    for await (const chunk of up.body) res.write(chunk)
    res.end()
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`))
