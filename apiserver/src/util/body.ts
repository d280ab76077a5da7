// Reading a remote service's answer (token, authorization and admission webhooks) with a size cap:
// a webhook that streams without end is cut off rather than buffered.
import type { IncomingMessage } from 'node:http';

export function readLimitedBody(res: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        res.destroy(new Error(`response body larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    // Go's words for a body cut short.
    res.on('aborted', () => reject(new Error('unexpected EOF')));
  });
}
