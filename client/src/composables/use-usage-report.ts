import { useQuery } from '@urql/vue'
import { computed, ref, type Ref } from 'vue'
import { CACHE_WRITE_PRICES, USAGE_REPORT, type UsageReport } from '../graphql/usage-documents'
import { bucketStarts, USAGE_RANGES, usageRange, usageSeries, type UsageRangeKey, type UsageSeries } from '../usage/usage-series'

export interface UsageReportState {
  report: Readonly<Ref<UsageReport | null>>
  /** The report arranged for the charts; null until it arrives. */
  series: Readonly<Ref<UsageSeries | null>>
  /** The zone buckets are cut in: the viewer's own. */
  timezone: string
  loading: Readonly<Ref<boolean>>
  error: Readonly<Ref<Error | null>>
  /** Fetches the range again, up to now. */
  refresh(): void
}

/**
 * Usage over the chosen range, by local hour (24 h) or day (7 and 30 days) and by model, in the
 * viewer's time zone, with the cache write prices to tell what cache writes cost.
 */
export function useUsageReport(range: Ref<UsageRangeKey>, timezone = Intl.DateTimeFormat().resolvedOptions().timeZone): UsageReportState {
  /** The instant the range ends at; moved to now by refresh. */
  const now = ref(new Date())
  const variables = computed(() => ({ range: usageRange(range.value, now.value), groupBy: [USAGE_RANGES[range.value].unit, 'MODEL' as const], timezone }))
  const usage = useQuery({ query: USAGE_REPORT, variables, requestPolicy: 'network-only' })
  const prices = useQuery({ query: CACHE_WRITE_PRICES })
  const report = computed(() => usage.data.value?.usage ?? null)
  return {
    report,
    series: computed(() => (report.value ? usageSeries(report.value, prices.data.value?.prices ?? [], bucketStarts(variables.value.range, USAGE_RANGES[range.value].unit)) : null)),
    timezone,
    loading: computed(() => usage.fetching.value),
    error: computed(() => usage.error.value ?? prices.error.value ?? null),
    refresh: () => {
      now.value = new Date()
    },
  }
}
