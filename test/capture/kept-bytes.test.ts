import { describe, expect, it } from 'vitest'
import { KeptBytes } from '../../server/capture/recording/kept-bytes'

describe('KeptBytes', () => {
  it('holds nothing before the first read', () => {
    const kept = new KeptBytes(1024)

    expect(kept.length).toBe(0)
    expect(kept.bytes()).toEqual(Buffer.alloc(0))
  })

  it('keeps every byte of many reads in order, however often it grows', () => {
    const kept = new KeptBytes(1 << 20)
    const reads = Array.from({ length: 500 }, (_, i) => Buffer.from(`event: e${i}\ndata: ${'é'.repeat(i % 37)}\n\n`))

    for (const read of reads) kept.add(read)

    expect(kept.bytes()).toEqual(Buffer.concat(reads))
    expect(kept.length).toBe(Buffer.concat(reads).length)
    expect(kept.isCut).toBe(false)
  })

  it('copies each read, so a read reused or overwritten afterwards leaves the kept bytes as they were', () => {
    const kept = new KeptBytes(1024)
    const read = Buffer.from('data: first\n\n')

    kept.add(read)
    read.fill(0x78)

    expect(kept.bytes().toString()).toBe('data: first\n\n')
  })

  it('takes a read that fits exactly', () => {
    const kept = new KeptBytes(10)

    kept.add(Buffer.from('12345678'))
    kept.add(Buffer.from('ab'))

    expect(kept.bytes().toString()).toBe('12345678ab')
    expect(kept.isCut).toBe(false)
  })

  it('refuses a read that would pass the limit and every read after it, so what it keeps stays a prefix of the body', () => {
    const kept = new KeptBytes(10)

    kept.add(Buffer.from('12345678'))
    kept.add(Buffer.from('abc'))
    kept.add(Buffer.from('z'))

    expect(kept.bytes().toString()).toBe('12345678')
    expect(kept.isCut).toBe(true)
  })

  it('a body larger than the first block grows into one block no larger than the limit', () => {
    const limit = 10_000
    const kept = new KeptBytes(limit)
    const read = Buffer.alloc(3000, 0x61)

    for (let i = 0; i < 4; i++) kept.add(read)

    expect(kept.length).toBe(9000)
    expect(kept.bytes().buffer.byteLength).toBeLessThanOrEqual(Math.max(limit, 8192))
  })
})
