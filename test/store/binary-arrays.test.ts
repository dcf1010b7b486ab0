import { describe, expect, it } from 'vitest'
import { float8Array, int2Array, int4Array, textArray } from '../../server/store/tables/binary-arrays'
import { useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

async function readBack(sql: string, value: unknown): Promise<unknown> {
  const [row] = (await store.dataSource.query(`SELECT ${sql} AS v`, [value])) as { v: unknown }[]
  return row!.v
}

describe('binary arrays', () => {
  it('bind text the server reads back exactly as the text form does, whatever the characters', async () => {
    const values = [
      '{"type":"content_block_delta","delta":{"text":"a \\"quoted\\" \\\\ word"}}',
      'braces {} and, commas',
      'NULL',
      '',
      ' spaces around ',
      'line one\nline two\r\n\ttab',
      'é, 日本語, 🦀 and a lone surrogate \ud800 here',
      'x'.repeat(70_000),
      null,
      'back\\slash at the end\\',
    ]

    const binary = await readBack('$1::text[]', textArray(values))

    expect(binary).toEqual(await readBack('$1::text[]', values))
    expect(binary).toEqual(values.map((v) => v?.replace('\ud800', '\ufffd') ?? null))
  })

  it('bind doubles, 32-bit and 16-bit integers without loss', async () => {
    const doubles = [0, -0.5, 1.25, 1234567.890123, 1e-300, 1.7976931348623157e308, Number.MIN_VALUE]
    const integers = [0, 1, -1, 2_147_483_647, -2_147_483_648]
    const smallIntegers = [0, 1, -1, 8191, 32_767, -32_768]

    expect(await readBack('$1::double precision[]', float8Array(doubles))).toEqual(doubles)
    expect(await readBack('$1::integer[]', int4Array(integers))).toEqual(integers)
    expect(await readBack('$1::smallint[]', int2Array(smallIntegers))).toEqual(smallIntegers)
  })

  it('bind an empty array of each type', async () => {
    expect(await readBack('$1::text[]', textArray([]))).toEqual([])
    expect(await readBack('$1::double precision[]', float8Array([]))).toEqual([])
    expect(await readBack('$1::integer[]', int4Array([]))).toEqual([])
    expect(await readBack('$1::smallint[]', int2Array([]))).toEqual([])
  })

  it('refuse an integer that does not fit in their width before anything is sent', () => {
    expect(() => int4Array([2_147_483_648])).toThrow(RangeError)
    expect(() => int2Array([32_768])).toThrow(RangeError)
  })

  it('are refused by the server when bound where another element type is expected', async () => {
    await expect(readBack('$1::integer[]', textArray(['1']))).rejects.toThrow(/element type 25 \(text\) instead of expected 23 \(integer\)/)
  })
})
