// A request body read whole, up to a limit, for the servers that read one by hand.

/** The body's bytes, or undefined once it passes `limit` (the rest is left unread). Throws what the stream throws. */
export async function readBody(stream: AsyncIterable<Buffer>, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
