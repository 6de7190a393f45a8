/**
 * The stderr filter of bin/camanim.js, on its own so that tests can drive it. Dawn prints its
 * warnings as a block: `Warning: <what>`, ` - While <doing what>` lines, `    at <fn> (<file>:<line>)`
 * lines and a blank line. The block for the Vulkan driver it rejects (PhysicalDeviceVk.cpp's
 * shaderUniform*ArrayDynamicIndexing) is dropped; any other becomes one line, once:
 * `camanim: GPU driver warning: <what> (while <doing what>)`. Everything else passes through in
 * order; a `Warning:` line with no block after it passes unchanged.
 */
import { StringDecoder } from 'node:string_decoder';

const NOISE = /^Warning: Vulkan shaderUniform\*ArrayDynamicIndexing required\.$/;
const HEAD = /^Warning: (.*)$/;
const CONTEXT = /^ - (.*)$/;
const FRAME = /^\s+at .*\(.*:\d+\)$/;
const PREFIX = 'Warning: ';

export function dawnNoise(write) {
  const decoder = new StringDecoder('utf8');
  const seen = new Set();
  let partial = ''; // the current line so far, while it could still be part of a block
  let passing = false; // the current line is not a block's: its bytes go straight through
  let held = []; // a Warning: line and the block lines after it so far
  let dropBlank = false;
  const passHeld = () => {
    if (held.length) write(held.map((x) => `${x}\n`).join(''));
    held = [];
  };
  const closeBlock = () => {
    const [head, ...rest] = held;
    held = [];
    dropBlank = true;
    if (NOISE.test(head)) return;
    const context = rest
      .map((l) => CONTEXT.exec(l)?.[1])
      .filter(Boolean)
      .map((c) => c.replace(/^While /, 'while '));
    const text = `camanim: GPU driver warning: ${HEAD.exec(head)[1]}${context.length ? ` (${context.join('; ')})` : ''}\n`;
    if (!seen.has(text)) {
      seen.add(text);
      write(text);
    }
  };
  const line = (l) => {
    if (held.length) {
      if (CONTEXT.test(l) || FRAME.test(l)) return void held.push(l);
      if (held.length > 1) closeBlock();
      else passHeld();
    }
    if (dropBlank) {
      dropBlank = false;
      if (l === '') return;
    }
    if (HEAD.test(l)) held.push(l);
    else write(`${l}\n`);
  };
  return {
    write(chunk) {
      let s = decoder.write(chunk);
      while (s) {
        const nl = s.indexOf('\n');
        if (passing) {
          write(nl < 0 ? s : s.slice(0, nl + 1));
          if (nl < 0) return;
          passing = false;
        } else if (nl < 0) {
          partial += s;
          // Progress bars redraw a line without ending it: pass it on at once unless it could
          // still be part of a warning block.
          if (!held.length && !PREFIX.startsWith(partial) && !partial.startsWith(PREFIX)) {
            dropBlank = false;
            write(partial);
            partial = '';
            passing = true;
          }
          return;
        } else {
          const l = partial + s.slice(0, nl);
          partial = '';
          line(l);
        }
        s = s.slice(nl + 1);
      }
    },
    end() {
      if (held.length > 1) closeBlock();
      else passHeld();
      const rest = partial + decoder.end();
      if (rest) write(rest);
      partial = '';
    },
  };
}
