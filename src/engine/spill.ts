/**
 * Blocks of the search queue moved to disk (`--spill <dir>`): a store that keeps only its
 * frontier writes the queue's blocks the search will not reach soon here when the memory bound
 * is reached, and reads each back (deleting its file) when the search gets to it. The files live
 * in a directory of their own under `dir`, removed when the run ends.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface SpillOptions {
  /** an existing directory, for the run's own directory of spilled blocks */
  readonly dir: string;
  /** the most bytes on disk at once */
  readonly maxDisk: number;
}

export class Spill {
  private readonly dir: string;
  /** the blocks on disk, and their bytes */
  private readonly files = new Map<number, number>();
  /** bytes on disk now */
  bytes = 0;
  /** the most bytes on disk at once */
  peak = 0;
  /** whether a write was refused (the disk bound) */
  full = false;

  constructor(private readonly options: SpillOptions) {
    this.dir = mkdtempSync(join(options.dir, 'septcheck-spill-'));
  }

  /** Whether any block is on disk. */
  get holds(): boolean {
    return this.files.size > 0;
  }

  /** Writes block `b`; false (nothing written) if the disk bound would be passed. */
  write(b: number, block: Int32Array): boolean {
    if (this.bytes + block.byteLength > this.options.maxDisk) {
      this.full = true;
      return false;
    }
    const fd = openSync(this.path(b), 'w');
    try {
      writeSync(fd, new Uint8Array(block.buffer, block.byteOffset, block.byteLength));
    } finally {
      closeSync(fd);
    }
    this.files.set(b, block.byteLength);
    this.bytes += block.byteLength;
    this.peak = Math.max(this.peak, this.bytes);
    return true;
  }

  /** Reads block `b` into `into` and deletes its file. */
  read(b: number, into: Int32Array): void {
    const fd = openSync(this.path(b), 'r');
    try {
      const bytes = new Uint8Array(into.buffer, into.byteOffset, into.byteLength);
      for (let at = 0; at < bytes.length;) {
        const n = readSync(fd, bytes, at, bytes.length - at, at);
        if (n === 0) throw new Error(`spill: block ${b} is short (${at} of ${bytes.length} bytes)`);
        at += n;
      }
    } finally {
      closeSync(fd);
    }
    this.drop(b);
  }

  /** Deletes block `b`'s file, if it has one. */
  drop(b: number): void {
    const bytes = this.files.get(b);
    if (bytes === undefined) return;
    rmSync(this.path(b));
    this.files.delete(b);
    this.bytes -= bytes;
  }

  /** Removes every file and the directory. */
  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.files.clear();
    this.bytes = 0;
  }

  private path(b: number): string {
    return join(this.dir, `${b}.rows`);
  }
}
