/**
 * A separate process contending for an exclusive lock (test helper): `node -r @swc-node/register
 * lock-contender.ts <lockDir>`. Prints `ready`, waits for a line on stdin, tries once, prints
 * `acquired` or `refused`, then stays alive (holding the lock, never releasing it) until stdin closes or it is killed.
 */
import { acquireExclusiveLock } from '../../server/files/exclusive-lock'

const lockDir = process.argv[2]!
process.stdout.write('ready\n')
process.stdin.once('data', () => {
  const attempt = acquireExclusiveLock(lockDir)
  process.stdout.write(attempt.acquired ? 'acquired\n' : 'refused\n')
})
process.stdin.once('end', () => process.exit(0))
