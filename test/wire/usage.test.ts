import { describe, expect, it } from 'vitest'
import { mergeUsage, toUsageRecord, type RawUsage } from '../../server/wire/usage'

describe('mergeUsage', () => {
  it('lets non-null fields override and keeps earlier values where the next usage is null or silent', () => {
    const fromStart: RawUsage = { input_tokens: 12, cache_creation_input_tokens: 10, cache_read_input_tokens: 0, output_tokens: 1, service_tier: 'standard' }
    const fromDelta: RawUsage = { input_tokens: null, cache_read_input_tokens: 30, output_tokens: 99 }

    expect(mergeUsage(fromStart, fromDelta)).toEqual({ input_tokens: 12, cache_creation_input_tokens: 10, cache_read_input_tokens: 30, output_tokens: 99, service_tier: 'standard' })
  })

  it('merges cache_creation, server_tool_use and output_tokens_details field by field', () => {
    const acc: RawUsage = {
      cache_creation: { ephemeral_5m_input_tokens: 5, ephemeral_1h_input_tokens: 7 },
      server_tool_use: { web_search_requests: 0, web_fetch_requests: 2 },
      output_tokens_details: { thinking_tokens: 3 },
    }
    const next: RawUsage = {
      cache_creation: { ephemeral_1h_input_tokens: 9 },
      server_tool_use: { web_search_requests: 1, web_fetch_requests: null },
      output_tokens_details: null,
    }

    expect(mergeUsage(acc, next)).toEqual({
      cache_creation: { ephemeral_5m_input_tokens: 5, ephemeral_1h_input_tokens: 9 },
      server_tool_use: { web_search_requests: 1, web_fetch_requests: 2 },
      output_tokens_details: { thinking_tokens: 3 },
    })
  })

  it('adds fields first reported as null, leaves its inputs untouched, and ignores a missing usage', () => {
    const acc: RawUsage = { output_tokens: 1, cache_creation: { ephemeral_5m_input_tokens: 1 } }
    const merged = mergeUsage(acc, { input_tokens: null, cache_creation: { ephemeral_5m_input_tokens: 4 } })

    expect(merged).toEqual({ output_tokens: 1, cache_creation: { ephemeral_5m_input_tokens: 4 }, input_tokens: null })
    expect(acc).toEqual({ output_tokens: 1, cache_creation: { ephemeral_5m_input_tokens: 1 } })
    expect(mergeUsage(acc, undefined)).toBe(acc)
    expect(mergeUsage(null, undefined)).toBeNull()
  })
})

describe('toUsageRecord', () => {
  it('maps every API usage field to the capture record, absent ones to null', () => {
    const record = toUsageRecord({
      input_tokens: 12,
      cache_creation_input_tokens: 2048,
      cache_read_input_tokens: 4096,
      cache_creation: { ephemeral_5m_input_tokens: 1536, ephemeral_1h_input_tokens: 512 },
      output_tokens: 120,
      output_tokens_details: { thinking_tokens: 64 },
      server_tool_use: { web_search_requests: 1 },
      service_tier: 'priority',
      inference_geo: 'us',
    })

    expect(record).toEqual({
      inputTokens: 12,
      outputTokens: 120,
      cacheCreationInputTokens: 2048,
      cacheCreation5mInputTokens: 1536,
      cacheCreation1hInputTokens: 512,
      cacheReadInputTokens: 4096,
      thinkingTokens: 64,
      webSearchRequests: 1,
      webFetchRequests: null,
      serviceTier: 'priority',
      inferenceGeo: 'us',
    })
    expect(toUsageRecord(null)).toBeNull()
  })

  it('treats a zero as reported and a non-number as absent', () => {
    const record = toUsageRecord({ input_tokens: 0, output_tokens: '5' as unknown as number })

    expect(record?.inputTokens).toBe(0)
    expect(record?.outputTokens).toBeNull()
  })
})
