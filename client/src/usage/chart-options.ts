import type { BarSeriesOption, LineSeriesOption } from 'echarts/charts'
import type { AriaComponentOption, GridComponentOption, LegendComponentOption, TitleComponentOption, TooltipComponentOption } from 'echarts/components'
import type { ComposeOption } from 'echarts/core'
import type { ThemeColors } from '../composables/use-theme-colors'
import { bucketLabel, type UsageSeries, type UsageUnit } from './usage-series'

export type UsageChartOption = ComposeOption<BarSeriesOption | LineSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption | TitleComponentOption | AriaComponentOption>

/** Series colours that read on both the light and the dark surface. */
const PALETTE = ['#d97757', '#4c8bf5', '#3aa776', '#c9a227', '#9b6bd6', '#e05d8c', '#3bb3c3', '#8d8d8d']

const usdAxis = (value: number) => `$${value.toLocaleString(undefined, { maximumFractionDigits: 4 })}`
const tokenAxis = (value: number) => (value >= 1_000_000 ? `${value / 1_000_000}M` : value >= 1000 ? `${value / 1000}k` : String(value))

/** One drawn series: its name and its values, one per bucket. */
interface DrawnSeries {
  name: string
  data: (number | null)[]
}

/**
 * What a screen reader says of a chart (its aria-label): per bucket, each series' value as drawn,
 * and the stack's total for stacked charts. echarts' own description lists a stacked series' inner
 * dimensions, which reads as noise.
 */
export function describeChart(title: string, labels: readonly string[], drawn: readonly DrawnSeries[], format: (value: number) => string, stacked: boolean): string {
  const buckets = labels.map((label, i) => {
    const values = drawn.flatMap((series) => (series.data[i] === null || series.data[i] === undefined ? [] : [[series.name, series.data[i]!] as const]))
    const parts = values.map(([name, value]) => `${name} ${format(value)}`).join(', ')
    return stacked ? `${label}: ${parts}; total ${format(values.reduce((sum, [, value]) => sum + value, 0))}.` : `${label}: ${parts}.`
  })
  return `${title}. ${buckets.join(' ')}`
}

const countText = (value: number) => value.toLocaleString()
const usdText = (value: number) => `$${value.toLocaleString(undefined, { maximumFractionDigits: 6 })}`

/** What every usage chart shares: title, colours, axes and legend. */
function base(title: string, series: UsageSeries, unit: UsageUnit, colors: ThemeColors): UsageChartOption {
  const axisLine = { lineStyle: { color: colors.border } }
  return {
    title: { text: title, left: 0, top: 0, textStyle: { color: colors.text, fontSize: 13, fontWeight: 600 } },
    color: PALETTE,
    textStyle: { color: colors.textMuted },
    tooltip: { trigger: 'axis', backgroundColor: colors.surface, borderColor: colors.border, textStyle: { color: colors.text } },
    legend: { type: 'scroll', bottom: 0, left: 0, right: 0, textStyle: { color: colors.textMuted }, pageTextStyle: { color: colors.textMuted } },
    grid: { left: 8, right: 8, top: 36, bottom: 36 },
    xAxis: { type: 'category', data: labelsOf(series, unit), axisLine, axisLabel: { color: colors.textMuted } },
  }
}

/** Tokens (input, cache writes and reads, output) per bucket, stacked by model. */
export function tokensChart(series: UsageSeries, unit: UsageUnit, colors: ThemeColors): UsageChartOption {
  return stackedByModel('Tokens by model', series.tokens, { text: countText, axis: tokenAxis }, series, unit, colors)
}

/** USD per bucket, stacked by model. */
export function costChart(series: UsageSeries, unit: UsageUnit, colors: ThemeColors): UsageChartOption {
  return stackedByModel('Cost by model (USD)', series.cost.map((row) => row.map(roundUsd)), { text: usdText, axis: usdAxis }, series, unit, colors)
}

/** One bar series per model, stacked, from values[model][bucket]. */
function stackedByModel(title: string, values: number[][], format: { text: (value: number) => string; axis: (value: number) => string }, series: UsageSeries, unit: UsageUnit, colors: ThemeColors): UsageChartOption {
  const drawn = series.models.map((model, row) => ({ name: model, data: values[row]! }))
  return {
    ...base(title, series, unit, colors),
    aria: { enabled: true, label: { description: describeChart(title, labelsOf(series, unit), drawn, format.text, true) } },
    yAxis: { type: 'value', axisLabel: { color: colors.textMuted, formatter: format.axis }, splitLine: { lineStyle: { color: colors.border } } },
    series: drawn.map(({ name, data }) => ({ name, type: 'bar', stack: title, barMaxWidth: 48, data, emphasis: { focus: 'series' } })),
  }
}

/** Cache efficiency: the share of input read from the cache (line, left axis) and what cache writes cost (bars, right axis). */
export function cacheChart(series: UsageSeries, unit: UsageUnit, colors: ThemeColors): UsageChartOption {
  const split = { lineStyle: { color: colors.border } }
  const share = { name: 'Input read from cache (%)', data: series.cacheReadShare.map((value) => (value === null ? null : Math.round(value * 1000) / 10)) }
  const writes = { name: 'Cache write cost (USD)', data: series.cacheWriteCost.map(roundUsd) }
  const description = `${describeChart('Input read from cache, percent', labelsOf(series, unit), [share], countText, false)} ${describeChart('Cache write cost', labelsOf(series, unit), [writes], usdText, false)}`
  return {
    ...base('Cache efficiency', series, unit, colors),
    aria: { enabled: true, label: { description } },
    yAxis: [
      { type: 'value', min: 0, max: 100, axisLabel: { color: colors.textMuted, formatter: '{value}%' }, splitLine: split },
      { type: 'value', axisLabel: { color: colors.textMuted, formatter: usdAxis }, splitLine: { show: false } },
    ],
    series: [
      { ...share, type: 'line', yAxisIndex: 0, connectNulls: false },
      { ...writes, type: 'bar', yAxisIndex: 1, barMaxWidth: 48 },
    ],
  }
}

function labelsOf(series: UsageSeries, unit: UsageUnit): string[] {
  return series.buckets.map((start) => bucketLabel(start, unit))
}

function roundUsd(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000
}
