import { Client } from 'pg'
import { cpuSecondsIfRunning } from './processes'

/** `databaseUrl` with connections named `applicationName`, as `pg_stat_activity` shows them. */
export function withApplicationName(databaseUrl: string, applicationName: string): string {
  const url = new URL(databaseUrl)
  url.searchParams.set('application_name', applicationName)
  return url.toString()
}

/**
 * The CPU that PostgreSQL's server spends for one Claudescope: the backends serving the
 * connections that carry its `application_name` (the bench sets it in each one's DATABASE_URL).
 * They are separate processes of the server, outside the proxy's own CPU figure, and capture's
 * writes land there. A backend may exit (a pool closes idle connections): its CPU is kept as last
 * sampled, every `intervalMs`, so at most one interval of a closing backend's work is missed.
 */
export class BackendCpuWatch {
  readonly #client: Client
  readonly #applicationName: string
  /** Backend pid → its CPU seconds when last read. */
  readonly #lastSeconds = new Map<number, number>()
  #timer: NodeJS.Timeout | undefined
  #sampling: Promise<void> = Promise.resolve()

  private constructor(client: Client, applicationName: string) {
    this.#client = client
    this.#applicationName = applicationName
  }

  /** Watches the backends of `applicationName` on the server at `adminUrl`, which must run on this machine (its processes are read in /proc). */
  static async start(adminUrl: string, applicationName: string, intervalMs = 250): Promise<BackendCpuWatch> {
    const client = new Client({ connectionString: adminUrl, application_name: 'claudescope-bench' })
    await client.connect()
    const watch = new BackendCpuWatch(client, applicationName)
    // A failed sample is seen by the next `cpuSeconds`, which samples again.
    watch.#timer = setInterval(() => watch.#sample().catch(() => {}), intervalMs).unref()
    return watch
  }

  /** CPU seconds its backends have used so far, read now. */
  async cpuSeconds(): Promise<number> {
    await this.#sample()
    let sum = 0
    for (const seconds of this.#lastSeconds.values()) sum += seconds
    return sum
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.#sampling.catch(() => {})
    await this.#client.end()
  }

  /** One sample at a time: an interval's query never overlaps the one before. */
  #sample(): Promise<void> {
    this.#sampling = this.#sampling.catch(() => {}).then(async () => {
      const { rows } = await this.#client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [this.#applicationName])
      for (const { pid } of rows) {
        const seconds = cpuSecondsIfRunning(pid)
        if (seconds > 0) this.#lastSeconds.set(pid, seconds)
      }
    })
    return this.#sampling
  }
}
