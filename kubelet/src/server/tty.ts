// A terminal's line discipline for a process that has no pseudo-terminal: the fallback where
// node-pty's addon is not available (runtime/pty.ts). With `-t` kubectl puts the user's terminal in
// raw mode and leaves echo, line editing and ^C to the pty on the far side; a process on a plain pipe
// gets the kubelet doing what the tty's canonical mode would: echo what is typed, hand the process
// whole lines, erase with backspace or ^U, end input with ^D on an empty line, interrupt with ^C, and
// write "\n" out as "\r\n" (onlcr). Escape sequences (arrow keys) are dropped: there is no line
// history to move in.

const CR = 0x0d;
const LF = 0x0a;
const ETX = 0x03; // ^C
const EOT = 0x04; // ^D
const BS = 0x08;
const TAB = 0x09;
const NAK = 0x15; // ^U
const ESC = 0x1b;
const DEL = 0x7f;

export interface LineDisciplineSinks {
  /** What the terminal shows: the echo, on the client's stdout. */
  echo(bytes: Buffer): void;
  /** A finished line (or what ^D flushed) for the process's stdin. */
  input(bytes: Buffer): void;
  /** ^D on an empty line: the process's stdin ends. */
  eof(): void;
  /** ^C: SIGINT to the process's group. */
  interrupt(): void;
}

export class LineDiscipline {
  #line: string[] = [];
  /** Inside an escape sequence: 'esc' after ESC, 'csi' after ESC [ (until its final byte). */
  #escape: 'esc' | 'csi' | undefined;
  readonly #utf8 = new TextDecoder('utf-8', { fatal: false });

  constructor(private readonly sinks: LineDisciplineSinks) {}

  /** Keystrokes from the client, as a raw-mode terminal sends them. */
  feed(chunk: Buffer): void {
    let text = '';
    const flushText = () => {
      if (!text) return;
      this.#line.push(...text);
      this.sinks.echo(Buffer.from(text));
      text = '';
    };
    for (const b of chunk) {
      if (this.#escape === 'esc') {
        this.#escape = b === 0x5b ? 'csi' : undefined;
        continue;
      }
      if (this.#escape === 'csi') {
        if (b >= 0x40 && b <= 0x7e) this.#escape = undefined;
        continue;
      }
      if (b >= 0x20 && b !== DEL) {
        text += this.#utf8.decode(Buffer.of(b), { stream: true });
        continue;
      }
      flushText();
      if (b === TAB) {
        this.#line.push('\t');
        this.sinks.echo(Buffer.of(TAB));
      } else if (b === CR || b === LF) {
        this.sinks.echo(Buffer.from('\r\n'));
        this.sinks.input(Buffer.from(`${this.#line.join('')}\n`));
        this.#line = [];
      } else if (b === DEL || b === BS) {
        if (this.#line.pop() !== undefined) this.sinks.echo(Buffer.from('\b \b'));
      } else if (b === NAK) {
        this.sinks.echo(Buffer.from('\b \b'.repeat(this.#line.length)));
        this.#line = [];
      } else if (b === EOT) {
        if (this.#line.length === 0) this.sinks.eof();
        else {
          this.sinks.input(Buffer.from(this.#line.join('')));
          this.#line = [];
        }
      } else if (b === ETX) {
        this.sinks.echo(Buffer.from('^C\r\n'));
        this.#line = [];
        this.sinks.interrupt();
      } else if (b === ESC) {
        this.#escape = 'esc';
      }
    }
    flushText();
  }
}

/** onlcr: every "\n" the process writes reaches the raw-mode terminal as "\r\n". */
export function onlcr(chunk: Buffer): Buffer {
  if (!chunk.includes(LF)) return chunk;
  const out: number[] = [];
  for (const b of chunk) {
    if (b === LF) out.push(CR);
    out.push(b);
  }
  return Buffer.from(out);
}
