import { describe, expect, it } from 'vitest'
import { SpillPolicy } from '../../server/capture/persistence/spill-policy'

/** A policy on a hand-moved clock, with helpers to play committed writes of given durations. */
function policyOnClock(spillAfterMs = 500) {
  let nowMs = 0
  const policy = new SpillPolicy(spillAfterMs, () => nowMs)
  return {
    policy,
    advance(ms: number) {
      nowMs += ms
    },
    commitTaking(ms: number, times = 1) {
      for (let i = 0; i < times; i++) {
        policy.noteWriteStarted()
        nowMs += ms
        policy.noteWriteSettled(false)
      }
    },
  }
}

describe('spill policy', () => {
  it('counts a write pending past spillAfterMs as a stall while the database has been quick', () => {
    const { policy, advance, commitTaking } = policyOnClock(500)
    commitTaking(20, 10) // the clock is at 200
    policy.noteWriteStarted()
    advance(500)
    expect(policy.isStalled).toBe(false)
    advance(1)
    expect(policy.isStalled).toBe(true)
    // Ops queued before the write had been pending spillAfterMs go to disk.
    expect(policy.spillCutoff()).toBe(200 + 501 - 500)
  })

  it('waits four times the usual commit before calling a busy but steady database stalled', () => {
    const { policy, advance, commitTaking } = policyOnClock(500)
    commitTaking(180, 8)
    expect(policy.stallAfterMs).toBe(720)
    policy.noteWriteStarted()
    advance(600)
    expect(policy.isStalled).toBe(false)
    expect(policy.spillCutoff()).toBeUndefined()
    expect(policy.copyInFlightAfterMs).toBe(720)
    advance(121)
    expect(policy.isStalled).toBe(true)
  })

  it('is not made patient by one slow commit, the end of a hang, among quick ones', () => {
    const { policy, commitTaking } = policyOnClock(500)
    commitTaking(10, 8)
    commitTaking(60_000)
    expect(policy.stallAfterMs).toBe(500)
  })

  it('never waits longer than 800 ms, however slow the database has become, so the records behind a hung write reach the disk within a second', () => {
    const { policy, commitTaking } = policyOnClock(500)
    commitTaking(900, 16)
    expect(policy.stallAfterMs).toBe(800)
    commitTaking(30_000, 16)
    expect(policy.stallAfterMs).toBe(800)
  })

  it('waits spillAfterMs when it is set longer than that bound', () => {
    const { policy, commitTaking } = policyOnClock(2_000)
    commitTaking(900, 16)
    expect(policy.stallAfterMs).toBe(2_000)
  })

  it('leaves failed writes out of the pace and sends every op to disk while the database fails', () => {
    const { policy, advance } = policyOnClock(500)
    policy.noteWriteStarted()
    advance(5_000)
    policy.noteWriteSettled(true)
    expect(policy.stallAfterMs).toBe(500)
    expect(policy.admitsToQueue).toBe(false)
    expect(policy.spillCutoff()).toBe(Number.POSITIVE_INFINITY)
  })
})
