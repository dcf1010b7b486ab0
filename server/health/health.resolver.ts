import { Ctx, Query, Resolver, Root, Subscription } from 'type-graphql'
import type { LiveBus, LiveBusLink } from '../live/live-bus'
import type { HealthReport } from './health-report'
import { Health, LiveHealth } from './health.types'
import { liveStatus } from './live-status'

/** What the health resolver needs of the API context. */
export interface HealthContext {
  readHealth(): HealthReport
  bus: LiveBus
}

@Resolver()
export class HealthResolver {
  @Query(() => Health, { description: "This instance's state: draining, in-flight exchanges, capture queue, spool and losses." })
  health(@Ctx() ctx: HealthContext): Health {
    const report = ctx.readHealth()
    return { ...report, capture: { ...report.capture, dropped: report.capture.lost } }
  }

  @Subscription(() => LiveHealth, {
    description:
      "This instance's link to the other instances' live events: its state now, then each change. While connected is false, and for any growth of interruptions, live subscriptions here missed events.",
    subscribe: ({ context }: { context: HealthContext }) => liveStatus(context.bus),
  })
  liveStatus(@Root() link: LiveBusLink): LiveBusLink {
    return link
  }
}
