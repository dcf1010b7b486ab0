import type { DataSource } from 'typeorm'
import { CLAUDE_CODE_EVENTS_TABLE, CLAUDE_CODE_METRIC_POINTS_TABLE } from '../store/tables/claude-code-telemetry.table'
import type { ClaudeCodeEventRow, MetricPointRow } from './claude-code-event'

/**
 * Rows one statement inserts at most. On the embedded database every other statement, capture's
 * writes included, waits for this one, so an export of thousands of records goes in short steps.
 */
const ROWS_PER_STATEMENT = 500

/** Inserts what one export carried, a batch per statement; a retried export's events are kept once. */
export class TelemetryWriter {
  constructor(private readonly dataSource: DataSource) {}

  writeEvents(rows: readonly ClaudeCodeEventRow[]): Promise<void> {
    return this.#insert(
      `INSERT INTO ${CLAUDE_CODE_EVENTS_TABLE} (session_id, prompt_id, event_name, event_sequence, occurred_at, attributes, resource)
       SELECT session_id, prompt_id, event_name, event_sequence, occurred_at, attributes, resource
       FROM jsonb_to_recordset($1::jsonb) AS x(session_id text, prompt_id text, event_name text, event_sequence bigint, occurred_at timestamptz, attributes jsonb, resource jsonb)
       ON CONFLICT DO NOTHING`,
      rows.map((row) => ({
        session_id: row.sessionId,
        prompt_id: row.promptId,
        event_name: row.eventName,
        event_sequence: row.sequence,
        occurred_at: row.occurredAt.toISOString(),
        attributes: row.attributes,
        resource: row.resource,
      })),
    )
  }

  writeMetricPoints(rows: readonly MetricPointRow[]): Promise<void> {
    return this.#insert(
      `INSERT INTO ${CLAUDE_CODE_METRIC_POINTS_TABLE} (session_id, metric_name, unit, value, is_monotonic, temporality, started_at, observed_at, attributes, resource)
       SELECT session_id, metric_name, unit, value, is_monotonic, temporality, started_at, observed_at, attributes, resource
       FROM jsonb_to_recordset($1::jsonb) AS x(session_id text, metric_name text, unit text, value double precision, is_monotonic boolean, temporality smallint, started_at timestamptz, observed_at timestamptz, attributes jsonb, resource jsonb)`,
      rows.map((row) => ({
        session_id: row.sessionId,
        metric_name: row.metricName,
        unit: row.unit,
        value: row.value,
        is_monotonic: row.isMonotonic,
        temporality: row.temporality,
        started_at: row.startedAt?.toISOString() ?? null,
        observed_at: row.observedAt.toISOString(),
        attributes: row.attributes,
        resource: row.resource,
      })),
    )
  }

  /** Runs `sql` once per batch, its one parameter the batch's rows as a JSON array of column-named objects. */
  async #insert(sql: string, rows: readonly object[]): Promise<void> {
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      await this.dataSource.query(sql, [JSON.stringify(rows.slice(start, start + ROWS_PER_STATEMENT))])
    }
  }
}
