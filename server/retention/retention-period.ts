/** The shortest retention period: a prune never touches the last day's records. */
export const MIN_RETENTION_DAYS = 1

/**
 * The longest: a hundred years. Anything longer keeps the same records, and a period of millions
 * of days would put the cutoff outside the database's range of dates.
 */
export const MAX_RETENTION_DAYS = 36_500

/** What a retention period must be, as error messages say it. */
export const RETENTION_DAYS_EXPECTED = `a whole number of days from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}`

export function isRetentionDays(days: number): boolean {
  return Number.isInteger(days) && days >= MIN_RETENTION_DAYS && days <= MAX_RETENTION_DAYS
}
