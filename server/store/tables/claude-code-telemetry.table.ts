/** Claude Code's own telemetry, received over OTLP (see the migration that creates them). */
export const CLAUDE_CODE_EVENTS_TABLE = 'claude_code_events'
export const CLAUDE_CODE_METRIC_POINTS_TABLE = 'claude_code_metric_points'
