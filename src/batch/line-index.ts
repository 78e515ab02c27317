const LF = 0x0a;
const BOM = [0xef, 0xbb, 0xbf] as const;

function isBlankByte(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d; // space, tab, CR (of a CRLF)
}

/**
 * Maps byte offsets of a streamed file to physical line numbers, for a parser that reports byte
 * positions but counts lines unreliably (csv-parse counts a CRLF inside a quoted field as two
 * lines). Fed every chunk before the parser sees it. Remembers only what lies after the last
 * `release` point, so its memory is bounded by what the parser holds, not by the file.
 */
export class LineIndex {
  private offset = 0;
  private line = 1;
  private lineBlank = true;
  /** Absolute offsets of LF bytes after the release point, ascending. */
  private readonly newlines: number[] = [];
  private newlinesHead = 0;
  /** LFs before the release point. */
  private released = 0;
  /** Numbers of non-blank lines after the release point, ascending. */
  private readonly contentLines: number[] = [];
  private contentHead = 0;

  feed(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(LF, pos);
      const end = nl === -1 ? chunk.length : nl;
      if (this.lineBlank) this.scanForContent(chunk, pos, end);
      if (nl === -1) break;
      this.newlines.push(this.offset + nl);
      this.line++;
      this.lineBlank = true;
      pos = nl + 1;
    }
    this.offset += chunk.length;
  }

  private scanForContent(chunk: Buffer, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const byte = chunk[i] as number;
      const absolute = this.offset + i;
      if (isBlankByte(byte)) continue;
      if (absolute < 3 && byte === BOM[absolute]) continue; // a BOM is not content
      this.lineBlank = false;
      this.contentLines.push(this.line);
      return;
    }
  }

  /** The line the byte at `offset` is on (offsets at or after the release point). */
  lineAt(offset: number): number {
    // Binary search: LFs strictly before `offset`.
    let lo = this.newlinesHead;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.newlines[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return 1 + this.released + (lo - this.newlinesHead);
  }

  /** The first line at or after `line` that is not blank (a record cannot start on a blank one). */
  contentLineFrom(line: number): number {
    for (let i = this.contentHead; i < this.contentLines.length; i++) {
      const candidate = this.contentLines[i] as number;
      if (candidate >= line) return candidate;
    }
    return line;
  }

  /** Forgets everything before `offset`: later questions are about offsets at or after it. */
  release(offset: number): void {
    while (
      this.newlinesHead < this.newlines.length &&
      (this.newlines[this.newlinesHead] as number) < offset
    ) {
      this.newlinesHead++;
      this.released++;
    }
    const line = 1 + this.released;
    while (
      this.contentHead < this.contentLines.length &&
      (this.contentLines[this.contentHead] as number) < line
    ) {
      this.contentHead++;
    }
    // Compact now and then, not on every call.
    if (this.newlinesHead > 4096) {
      this.newlines.splice(0, this.newlinesHead);
      this.newlinesHead = 0;
    }
    if (this.contentHead > 4096) {
      this.contentLines.splice(0, this.contentHead);
      this.contentHead = 0;
    }
  }
}
