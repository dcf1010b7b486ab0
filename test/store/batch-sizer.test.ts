import { describe, expect, it } from 'vitest'
import { BatchSizer } from '../../server/store/batch-sizer'

describe('batch sizer', () => {
  it('starts small, at most at the largest size allowed', () => {
    expect(new BatchSizer({ maxSize: 500, targetMs: 50 }).size).toBe(10)
    expect(new BatchSizer({ maxSize: 2, targetMs: 50 }).size).toBe(2)
  })

  it('grows at most twofold per batch while batches take less than the target, up to the largest size', () => {
    const sizer = new BatchSizer({ maxSize: 500, targetMs: 50 })
    const sizes = Array.from({ length: 7 }, () => {
      sizer.took(1)
      return sizer.size
    })
    expect(sizes).toEqual([20, 40, 80, 160, 320, 500, 500])
  })

  it('shrinks in proportion when a batch takes longer than the target, down to one row', () => {
    const sizer = new BatchSizer({ maxSize: 500, targetMs: 50 })
    sizer.took(1)
    sizer.took(1)
    sizer.took(200)
    expect(sizer.size).toBe(10)
    sizer.took(10_000)
    expect(sizer.size).toBe(1)
    sizer.took(10_000)
    expect(sizer.size).toBe(1)
  })

  it('settles where a batch takes about the target', () => {
    const sizer = new BatchSizer({ maxSize: 500, targetMs: 50 })
    // Each row costs 0.5 ms: 100 rows fill the target.
    for (let i = 0; i < 10; i++) sizer.took(sizer.size * 0.5)
    expect(sizer.size).toBe(100)
  })
})
