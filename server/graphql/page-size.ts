import { UserInputError } from './errors'

/** Page size when `first` is not given. */
export const DEFAULT_PAGE_SIZE = 50
/** Largest `first` a client may ask for; bigger pages are refused rather than silently cut. */
export const MAX_PAGE_SIZE = 200

/** Checks `first`; throws PAGE_SIZE_OUT_OF_RANGE naming the bounds and the value received. */
export function checkPageSize(first: number): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new UserInputError('PAGE_SIZE_OUT_OF_RANGE', `first must be between 0 and ${MAX_PAGE_SIZE} (got ${first})`, 'first')
  }
  return first
}
