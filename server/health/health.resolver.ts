import { Ctx, Query, Resolver } from 'type-graphql'
import type { HealthReport } from './health-report'
import { Health } from './health.types'

/** What the health resolver needs of the API context. */
export interface HealthContext {
  readHealth(): HealthReport
}

@Resolver()
export class HealthResolver {
  @Query(() => Health, { description: "This instance's state: draining, in-flight exchanges, capture queue, spool and losses." })
  health(@Ctx() ctx: HealthContext): Health {
    const report = ctx.readHealth()
    return { ...report, capture: { ...report.capture, dropped: report.capture.lost } }
  }
}
