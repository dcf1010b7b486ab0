import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { Redis } from 'ioredis'
import { freePort } from './pg-cluster'
import { waitFor } from './wait'

/** A private redis-server a test can stop and start again on the same port (Redis outages). */
export interface RedisServer {
  url: string
  /** Kills the server at once (SIGKILL), as a crash or a network cut would look to its clients. */
  stop(): Promise<void>
  start(): Promise<void>
}

/** Whether the redis-server binary is installed (tests that need a private one skip otherwise). */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | null = null
  const server: RedisServer = {
    url,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      await waitFor(() => ping(url), `redis-server on port ${port} to answer PING`)
    },
    async stop() {
      const running = child
      child = null
      if (running === null || running.exitCode !== null) return
      const exited = once(running, 'exit')
      running.kill('SIGKILL')
      await exited
    },
  }
  await server.start()
  return server
}

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}
