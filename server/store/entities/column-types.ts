import type { ValueTransformer } from 'typeorm'

/**
 * PostgreSQL int8 arrives from `pg` as a string (it may exceed 2^53). Token counts stay far below
 * that, so they are read back as numbers; GraphQL exposes them through a 64-bit-safe scalar.
 */
export const int8AsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
}
