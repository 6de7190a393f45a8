/**
 * The stderr filter of bin/camanim.js, on its own so that tests can drive it: Dawn's warning
 * block for a Vulkan driver it rejects (PhysicalDeviceVk.cpp's InitializeImpl) is dropped,
 * everything else passes through in order.
 */
import { StringDecoder } from 'node:string_decoder';

/**
 * A line filter that drops Dawn's rejected-adapter block (three lines and the blank line after
 * it) and passes everything else through. Lines that start like the block but do not finish
 * it are passed on unchanged; a partial last line is passed on at the end.
 */
export function dawnNoise(write) {
  const BLOCK = [
    /^Warning: Vulkan shaderUniform\*ArrayDynamicIndexing required\.$/,
    /^ - While initializing adapter \(backend=BackendType::Vulkan\)$/,
    /^\s+at InitializeImpl \(.*PhysicalDeviceVk\.cpp:\d+\)$/,
  ];
  const FIRST = 'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.';
  const decoder = new StringDecoder('utf8');
  let partial = ''; // the current line so far, while it could still be part of the block
  let passing = false; // the current line is not the block: its bytes go straight through
  let held = [];
  let dropBlank = false;
  const line = (l) => {
    if (dropBlank) {
      dropBlank = false;
      if (l === '') return;
    }
    if (BLOCK[held.length].test(l)) {
      held.push(l);
      if (held.length === BLOCK.length) {
        held = [];
        dropBlank = true;
      }
      return;
    }
    const out = [...held, l];
    held = [];
    if (BLOCK[0].test(l)) held.push(out.pop());
    if (out.length) write(out.map((x) => `${x}\n`).join(''));
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
          if (dropBlank) dropBlank = false;
          // Progress bars redraw a line without ending it: pass it on at once unless it
          // could still become the block.
          if (!held.length && !FIRST.startsWith(partial)) {
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
      const rest = held.map((x) => `${x}\n`).join('') + partial + decoder.end();
      if (rest) write(rest);
      held = [];
      partial = '';
    },
  };
}
