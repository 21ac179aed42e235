/** What test/fixtures/resources.mjs's resources() reports of a fixture process (see there). */
export interface Resources {
  rssMiB: number;
  nativeMiB: number;
  /** glibc's live allocations; null unless the fixture ran with AIOFS_MALLOC_PROBE. */
  mallocMiB: number | null;
  heapUsedMiB: number;
  arrayBuffersMiB: number;
  fds: number;
  directFds: number;
  eventFds: number;
  aioContexts: number;
  aioNr: number;
}
