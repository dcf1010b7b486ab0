/**
 * The floor for any proxy on this machine: a raw TCP relay that copies bytes both ways without
 * parsing HTTP. What it adds over a direct connection is the cost of one more process hop (two
 * more socket wake-ups per event), which no proxy can avoid. Usage: UPSTREAM=http://… node tcp-relay
 */
import net from 'node:net'

const upstream = new URL(process.env.UPSTREAM!)

const server = net.createServer({ noDelay: true }, (client) => {
  const origin = net.connect({ host: upstream.hostname, port: Number(upstream.port), noDelay: true })
  client.pipe(origin)
  origin.pipe(client)
  client.on('error', () => origin.destroy())
  origin.on('error', () => client.destroy())
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`))
