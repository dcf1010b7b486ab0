import type { BenchProcess } from './processes'
import { fmt, table } from './stats'

/**
 * The RSS of each process with its descendants (Claudescope's embedded database runs in a child):
 * idle when the watch starts, before any load; the peak sampled every `intervalMs` while loads
 * run, overall and in each phase the run names (`enter`); and after them. A process seldom hands
 * memory back, so a phase's peak carries what the phases before it left: it is where the climb
 * happened that the table shows, not what each load would take alone.
 */
export class MemoryWatch {
  readonly #processes: BenchProcess[]
  readonly #idleMiB: Map<BenchProcess, number>
  /** Phase name → each process's peak in it, in the order the phases ran. */
  readonly #phasePeakMiB = new Map<string, Map<BenchProcess, number>>()
  #phase: Map<BenchProcess, number>
  readonly #timer: NodeJS.Timeout

  constructor(processes: BenchProcess[], firstPhase: string, intervalMs = 250) {
    this.#processes = processes
    this.#idleMiB = new Map(processes.map((p) => [p, p.treeRssMiB()]))
    this.#phase = this.#startPhase(firstPhase)
    this.#timer = setInterval(() => this.#sample(), intervalMs).unref()
  }

  /** Ends the current phase with a last sample and starts counting `phase`'s peak. */
  enter(phase: string): void {
    this.#sample()
    this.#phase = this.#startPhase(phase)
  }

  /** Stops sampling; the table of idle, peak (overall and by phase) and after, in MiB. */
  finish(): string {
    clearInterval(this.#timer)
    this.#sample()
    const phases = [...this.#phasePeakMiB.keys()]
    const rows = this.#processes.map((p) => {
      const after = p.treeRssMiB()
      const phasePeaks = phases.map((phase) => this.#phasePeakMiB.get(phase)!.get(p)!)
      const peak = Math.max(this.#idleMiB.get(p)!, ...phasePeaks)
      return [p.name, fmt(this.#idleMiB.get(p)!, 0), fmt(peak, 0), phasePeaks.map((mib) => fmt(mib, 0)).join(' / '), fmt(after, 0), fmt(p.rssMiB(), 0)]
    })
    return table(['process tree', 'idle MiB', 'peak under load MiB', `peak by phase MiB (${phases.join(' / ')})`, 'after MiB', 'after, main process only MiB'], rows)
  }

  #startPhase(phase: string): Map<BenchProcess, number> {
    const peaks = new Map(this.#processes.map((p) => [p, 0]))
    this.#phasePeakMiB.set(phase, peaks)
    return peaks
  }

  #sample(): void {
    for (const p of this.#processes) this.#phase.set(p, Math.max(this.#phase.get(p)!, p.treeRssMiB()))
  }
}
