// QMP is one JSON value per line. Socket reads cut lines anywhere, so keep the
// unterminated tail until its newline arrives. Feed it decoded text (the socket's
// utf8 decoder already keeps multi-byte characters split across reads intact).

export class LineSplitter {
  #partial = '';

  /** Adds a chunk and returns the complete lines it finished, without terminators. */
  push(chunk: string): string[] {
    const pieces = (this.#partial + chunk).split('\n');
    this.#partial = pieces.pop() ?? '';
    const lines: string[] = [];
    for (const piece of pieces) {
      const line = piece.endsWith('\r') ? piece.slice(0, -1) : piece;
      // Blank lines carry nothing; QEMU does not send them, but do not choke on them.
      if (line.trim() !== '') lines.push(line);
    }
    return lines;
  }

  /** Text received after the last newline. */
  get pending(): string {
    return this.#partial;
  }
}
