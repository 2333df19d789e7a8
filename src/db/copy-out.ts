import type pg from 'pg';

/**
 * Complete tuples of a binary COPY that arrived together: tuple i starts at `starts[i]` in `buf`, at its
 * 16-bit field count.
 */
export interface CopyTuples {
  buf: Buffer;
  starts: number[];
}

/** The parts of pg's Connection this reader touches (not in pg's published types). */
interface RawConnection {
  stream: NodeJS.ReadableStream;
  query(text: string): void;
}

const COPY_DATA = 0x64; // 'd'
const COPY_OUT_RESPONSE = 0x48; // 'H'
// Messages the server may interleave with CopyData at any time: skipped, as pg would only log them.
const ASYNC_MESSAGES = new Set([0x4e /* N notice */, 0x53 /* S parameter status */, 0x41 /* A notification */]);
const SIGNATURE_LENGTH = 11; // "PGCOPY\n\377\r\n\0"
/** Chunks parsed but not yet consumed before the socket is paused: backpressure keeps memory bounded. */
const MAX_QUEUED = 32;

/**
 * Runs `copy (…) to stdout (format binary)` on `client` and yields its tuples as they arrive.
 *
 * pg parses every protocol message into an object and emits an event for it; at a million rows that
 * costs more than hashing them. For the length of the COPY this reader takes the socket's data from pg's
 * parser and frames the CopyData messages itself, handing out tuples in place in the socket's chunks.
 * At the first message that is not part of the copy (CopyDone, or an ErrorResponse) the socket goes back
 * to pg, which finishes the query as usual. Stopping the iteration early drains the rest of the COPY
 * before returning, so the connection is left ready for its next query.
 */
export async function* copyOut(client: pg.Client, text: string): AsyncGenerator<CopyTuples> {
  const reader = new CopyReader(text);
  client.query(reader as unknown as pg.QueryConfig);
  try {
    for (;;) {
      const next = await reader.next();
      if (!next) return;
      yield next;
    }
  } finally {
    await reader.discardRest();
  }
}

/** A pg "submittable" query: pg calls submit() and then the handle* methods for the messages it parses. */
class CopyReader {
  readonly #text: string;
  #connection?: RawConnection;
  #pgListener?: (chunk: Buffer) => void;
  #attached = false;
  #carry?: Buffer;
  #copyStarted = false;
  #headerSeen = false;
  #discarding = false;
  readonly #queue: CopyTuples[] = [];
  #ended = false;
  #error?: Error;
  #wake?: () => void;

  constructor(text: string) {
    this.#text = text;
  }

  submit(connection: RawConnection): void {
    this.#connection = connection;
    const listeners = connection.stream.listeners('data');
    if (listeners.length !== 1) throw new Error(`pg's connection has ${listeners.length} data listeners, expected its parser alone`);
    this.#pgListener = listeners[0] as (chunk: Buffer) => void;
    connection.stream.removeListener('data', this.#pgListener);
    connection.stream.on('data', this.#onData);
    this.#attached = true;
    connection.query(this.#text);
  }

  /** The next tuples, or undefined once the COPY has ended; rejects with the query's error. */
  async next(): Promise<CopyTuples | undefined> {
    for (;;) {
      const tuples = this.#queue.shift();
      if (tuples) {
        if (this.#queue.length < MAX_QUEUED / 2 && this.#attached) this.#connection!.stream.resume();
        return tuples;
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Drops whatever is still coming and resolves when the connection is ready again. */
  async discardRest(): Promise<void> {
    this.#discarding = true;
    this.#queue.length = 0;
    if (this.#attached) this.#connection!.stream.resume();
    while (!this.#ended && !this.#error) await new Promise<void>((resolve) => (this.#wake = resolve));
  }

  readonly #onData = (chunk: Buffer): void => {
    try {
      this.#parse(chunk);
    } catch (error) {
      // Framing we cannot follow leaves the connection in an unknown state: close it rather than reuse it.
      this.#detach();
      (this.#connection!.stream as NodeJS.ReadableStream & { destroy(error: Error): void }).destroy(error as Error);
    }
  };

  #parse(chunk: Buffer): void {
    const buf = this.#carry ? Buffer.concat([this.#carry, chunk]) : chunk;
    this.#carry = undefined;
    const starts: number[] = [];
    let at = 0;
    let copyEnded = false;
    while (at + 5 <= buf.length) {
      const code = buf[at]!;
      if (code !== COPY_DATA && code !== COPY_OUT_RESPONSE && !ASYNC_MESSAGES.has(code)) {
        copyEnded = true;
        break;
      }
      const end = at + 1 + buf.readUInt32BE(at + 1);
      if (end > buf.length) break;
      if (code === COPY_OUT_RESPONSE) this.#copyStarted = true;
      if (code === COPY_DATA) {
        let tuple = at + 5;
        if (!this.#headerSeen) {
          if (buf.toString('latin1', tuple, tuple + 6) !== 'PGCOPY') throw new Error('not a binary COPY');
          this.#headerSeen = true;
          tuple += SIGNATURE_LENGTH + 8 + buf.readUInt32BE(tuple + SIGNATURE_LENGTH + 4);
        }
        // The trailer is a field count of -1.
        if (end - tuple >= 2 && buf.readInt16BE(tuple) >= 0) starts.push(tuple);
      }
      at = end;
    }
    if (starts.length > 0 && !this.#discarding) {
      this.#queue.push({ buf, starts });
      if (this.#queue.length >= MAX_QUEUED) this.#connection!.stream.pause();
      this.#notify();
    }
    if (copyEnded) {
      this.#detach();
      this.#pgListener!(buf.subarray(at));
    } else if (at < buf.length) {
      this.#carry = buf.subarray(at);
    }
  }

  #detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    const stream = this.#connection!.stream;
    stream.removeListener('data', this.#onData);
    stream.on('data', this.#pgListener!);
    stream.resume();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  handleError(error: Error): void {
    this.#detach();
    this.#error = error;
    this.#notify();
  }

  handleReadyForQuery(): void {
    if (!this.#copyStarted) this.#error ??= new Error('copyOut was given a statement that is not a COPY … TO STDOUT');
    this.#ended = true;
    this.#notify();
  }

  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('copyOut runs COPY TO only');
  }

  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
}
