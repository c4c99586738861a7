import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.ts';

describe('LineSplitter', () => {
  it('keeps a partial line until its newline arrives', () => {
    const lines = new LineSplitter();
    expect(lines.push('{"a":')).toEqual([]);
    expect(lines.pending).toBe('{"a":');
    expect(lines.push('1}\r')).toEqual([]);
    expect(lines.push('\n{"b"')).toEqual(['{"a":1}']);
    expect(lines.push(':2}\n')).toEqual(['{"b":2}']);
    expect(lines.pending).toBe('');
  });

  it('splits several lines in one chunk, with either terminator, skipping blank lines', () => {
    const lines = new LineSplitter();
    expect(lines.push('one\r\ntwo\n\r\n  \nthree\rstill three\nfour')).toEqual(['one', 'two', 'three\rstill three']);
    expect(lines.pending).toBe('four');
  });
});
