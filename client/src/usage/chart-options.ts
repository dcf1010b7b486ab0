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

/** What every usage chart shares: its accessible description (echarts' aria text lists the data), axes and legend. */
function base(title: string, series: UsageSeries, unit: UsageUnit, colors: ThemeColors): UsageChartOption {
  const axisLine = { lineStyle: { color: colors.border } }
  return {
    aria: { enabled: true },
    title: { text: title, textStyle: { color: colors.text, fontSize: 13, fontWeight: 600 } },
    color: PALETTE,
    textStyle: { color: colors.textMuted },
    tooltip: { trigger: 'axis', backgroundColor: colors.surface, borderColor: colors.border, textStyle: { color: colors.text } },
    legend: { type: 'scroll', top: 0, right: 0, left: 140, textStyle: { color: colors.textMuted } },
    grid: { left: 8, right: 8, top: 40, bottom: 8 },
    xAxis: { type: 'category', data: series.buckets.map((start) => bucketLabel(start, unit)), axisLine, axisLabel: { color: colors.textMuted } },
  }
}

/** Tokens (input, cache writes and reads, output) per bucket, stacked by model. */
export function tokensChart(series: UsageSeries, unit: UsageUnit, colors: ThemeColors): UsageChartOption {
  return {
    ...base('Tokens by model', series, unit, colors),
    yAxis: { type: 'value', axisLabel: { color: colors.textMuted, formatter: tokenAxis }, splitLine: { lineStyle: { color: colors.border } } },
    series: series.models.map((model, row) => ({ name: model, type: 'bar', stack: 'tokens', data: series.tokens[row]!, emphasis: { focus: 'series' } })),
  }
}

/** USD per bucket, stacked by model. */
export function costChart(series: UsageSeries, unit: UsageUnit, colors: ThemeColors): UsageChartOption {
  return {
    ...base('Cost by model (USD)', series, unit, colors),
    yAxis: { type: 'value', axisLabel: { color: colors.textMuted, formatter: usdAxis }, splitLine: { lineStyle: { color: colors.border } } },
    series: series.models.map((model, row) => ({ name: model, type: 'bar', stack: 'cost', data: series.cost[row]!.map(roundUsd), emphasis: { focus: 'series' } })),
  }
}

/** Cache efficiency: the share of input read from the cache (line, left axis) and what cache writes cost (bars, right axis). */
export function cacheChart(series: UsageSeries, unit: UsageUnit, colors: ThemeColors): UsageChartOption {
  const split = { lineStyle: { color: colors.border } }
  return {
    ...base('Cache efficiency', series, unit, colors),
    yAxis: [
      { type: 'value', min: 0, max: 100, axisLabel: { color: colors.textMuted, formatter: '{value}%' }, splitLine: split },
      { type: 'value', axisLabel: { color: colors.textMuted, formatter: usdAxis }, splitLine: { show: false } },
    ],
    series: [
      { name: 'Input read from cache (%)', type: 'line', yAxisIndex: 0, connectNulls: false, data: series.cacheReadShare.map((share) => (share === null ? null : Math.round(share * 1000) / 10)) },
      { name: 'Cache write cost (USD)', type: 'bar', yAxisIndex: 1, data: series.cacheWriteCost.map(roundUsd) },
    ],
  }
}

function roundUsd(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000
}
