import { open, rm } from 'node:fs/promises';
import type { GuestHandle, MemoryVisitor } from './types.ts';

// Guest memory comes back as a pmemsave dump file. It is read a chunk at a time into one
// buffer: reading 100 MiB into a fresh buffer costs ~0.4 s of kernel time faulting its pages
// in, ten times what the read itself costs, and the memory check needs each byte once.

/** Bytes per chunk: a whole number of guest pages. */
const CHUNK = 4 << 20;

/** Hands `visit` the dump in `file` (of guest memory from `address`), then removes the file. */
export async function scanDump(file: string, address: number, length: number, visit: MemoryVisitor): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, length));
    for (let done = 0; done < length; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, length - done), done);
      if (bytesRead === 0)
        throw new Error(`memory dump too short: ${done} of ${length} bytes at 0x${address.toString(16)} (${file})`);
      visit(buffer.subarray(0, bytesRead), address + done);
      done += bytesRead;
    }
  } finally {
    await handle.close();
    await rm(file, { force: true });
  }
}

/**
 * Has `dump` write guest memory into `file` (pmemsave, by whatever route the driver has), then
 * scans it; the file is removed either way.
 */
export async function dumpAndScan(
  file: string,
  dump: () => Promise<unknown>,
  address: number,
  length: number,
  visit: MemoryVisitor,
): Promise<void> {
  try {
    await dump();
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
  await scanDump(file, address, length, visit);
}

/** A few bytes of guest memory (counters, a header), copied out of the scan. */
export async function readGuestMemory(
  guest: Pick<GuestHandle, 'scanMemory'>,
  address: number,
  length: number,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  await guest.scanMemory(address, length, (chunk, at) => bytes.set(chunk, at - address));
  return bytes;
}
