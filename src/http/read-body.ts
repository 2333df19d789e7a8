import type { Context } from 'koa';

/**
 * Reads the raw request body, up to `limitBytes`; a larger body is refused with 413 without being
 * buffered. Raw bytes matter: webhook signatures are computed over exactly what was sent.
 */
export async function readBody(ctx: Context, limitBytes: number): Promise<Buffer> {
  const tooLarge = `request body exceeds ${limitBytes} bytes`;
  if (Number(ctx.get('content-length')) > limitBytes) ctx.throw(413, tooLarge);
  const outcome = await collect(ctx.req, limitBytes);
  if (outcome === 'too_large') ctx.throw(413, tooLarge);
  if (outcome === 'broken') ctx.throw(400, 'request body could not be read');
  return outcome;
}

// Listeners rather than `for await`: leaving an async iterator early destroys the socket, and the
// client would then see a reset instead of the 413. Without a listener the rest of the body is discarded.
function collect(req: Context['req'], limitBytes: number): Promise<Buffer | 'too_large' | 'broken'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (value: Buffer | 'too_large' | 'broken') => {
      // The error listener stays: a late socket error must not become an unhandled 'error' event.
      req.off('data', onData).off('end', onEnd);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) settle('too_large');
      else chunks.push(chunk);
    };
    const onEnd = () => settle(Buffer.concat(chunks));
    const onBroken = () => settle('broken');
    req.on('data', onData).on('end', onEnd).on('error', onBroken).on('aborted', onBroken);
  });
}
