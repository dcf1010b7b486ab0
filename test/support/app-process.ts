import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'

const ROOT = path.resolve(__dirname, '../..')

/** Claudescope as its own process (`server/main.ts` through swc), for signal and crash tests. */
export interface AppProcess {
  url: string
  child: ChildProcess
  /** Every JSON log line so far, parsed. */
  logs: Record<string, unknown>[]
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>
}

/** Starts it and resolves once it listens (LOG_LEVEL must keep `info`: the listening line is how it is found). */
export async function startAppProcess(env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Record<string, unknown>[] = []
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)))
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  const url = await new Promise<string>((resolve, reject) => {
    let pending = ''
    child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        if (!line.startsWith('{')) continue
        const entry = JSON.parse(line) as Record<string, unknown>
        logs.push(entry)
        if (entry.msg === 'claudescope listening') resolve(entry.url as string)
      }
    })
    void exited.then((code) => reject(new Error(`claudescope exited (${code}) before listening:\n${stderr}`)))
  })
  return { url, child, logs, exited }
}
