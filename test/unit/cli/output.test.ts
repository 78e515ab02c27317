import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatTable, printError, printJson, printLines } from '../../../src/cli/index.js';

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('cli output', () => {
  it('prints one JSON document: one line in a pipe, indented on a terminal', () => {
    const pipe = sink();
    printJson({ stdout: pipe.stream, isTTY: false }, { jobId: 'a', n: [1] });
    expect(pipe.text()).toBe('{"jobId":"a","n":[1]}\n');
    const tty = sink();
    printJson({ stdout: tty.stream, isTTY: true }, { jobId: 'a' });
    expect(tty.text()).toBe('{\n  "jobId": "a"\n}\n');
  });

  it('prints lines and one-line errors', () => {
    const out = sink();
    printLines({ stdout: out.stream }, ['a', 'b']);
    expect(out.text()).toBe('a\nb\n');
    const err = sink();
    printError({ stderr: err.stream }, 'line 3: sid\n  is missing');
    expect(err.text()).toBe('takedown: line 3: sid is missing\n');
  });

  it('formats a table with padded columns and no trailing spaces', () => {
    expect(
      formatTable(
        ['JOB', 'STATE', 'NOTE'],
        [
          ['sid:abc', 'completed', ''],
          ['k', 'waiting', 'urgent'],
        ],
      ),
    ).toEqual(['JOB      STATE      NOTE', 'sid:abc  completed', 'k        waiting    urgent']);
  });
});
