import { Field, Float, Int, ObjectType } from 'type-graphql'
import type { LiveBusLink } from '../live/live-bus'
import type { CaptureHealthReport, HealthReport } from './health-report'

@ObjectType({ description: 'Recording of traffic: what waits for the database, and what was lost.' })
export class CaptureHealth implements CaptureHealthReport {
  @Field(() => Int, { description: 'Records waiting in memory for the database.' }) queueItems: number
  @Field(() => Float) queueBytes: number
  @Field(() => Float, { description: 'Bytes spilled to the disk spool, waiting for the database.' }) spoolBytes: number
  @Field(() => Float, { description: 'Records written since this instance started.' }) written: number
  @Field(() => Float, { description: 'Records lost because memory and spool were both full. Should stay 0.' }) lost: number
  @Field(() => Float, { deprecationReason: 'Use lost: the same figure, named as capture counts it.' }) dropped: number
  @Field(() => Float, { description: 'Database batches that failed and were retried.' }) failedBatches: number
  @Field(() => Float, { description: 'Records the database refused as captured and took in reduced form (long fields cut, error code CAPTURE_REDUCED).' }) reduced: number
  @Field(() => Float, { description: 'Records the database refused even reduced, kept in DATA_DIR/quarantine instead. Should stay 0.' }) quarantined: number
  @Field(() => Float, { description: 'Milliseconds the last database batch took.' }) lastWriteMs: number
}

@ObjectType({ description: 'How live events (subscriptions) reach this instance from the others.' })
export class LiveHealth implements LiveBusLink {
  @Field(() => String, { description: 'memory: this instance alone; redis: shared with other instances through REDIS_URL.' }) transport: 'memory' | 'redis'
  @Field({ description: "Whether other instances' events arrive now. While false, subscriptions here miss them." }) connected: boolean
  @Field(() => Float, { description: 'Events published here that other instances never got (Redis was away), since start.' }) unsharedEvents: number
  @Field(() => Int, { description: 'Times the link to the other instances broke since start; their events meanwhile were missed here.' }) interruptions: number
  @Field(() => Date, { nullable: true }) lastInterruptionAt: Date | null
}

@ObjectType({ description: "This instance's operational state." })
export class Health implements HealthReport {
  @Field(() => String, { description: 'healthy, or draining while stopping.' }) status: 'healthy' | 'draining'
  @Field() draining: boolean
  @Field(() => Int, { description: '/v1/* exchanges in flight.' }) inFlight: number
  @Field(() => String, { description: 'embedded (PGlite) or postgresql.' }) database: 'embedded' | 'postgresql'
  @Field(() => Int) liveSubscribers: number
  @Field(() => LiveHealth) live: LiveHealth
  @Field(() => CaptureHealth) capture: CaptureHealth
}
