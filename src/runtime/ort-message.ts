// onnxruntime's error text as a user reads it. Its C++ core prefixes a message with where it was raised: the
// source file and line of the build machine, then the raising function, as a name or as a whole C++ signature
// (onnxruntime::Model::Model(onnx::ModelProto&&, ...)). None of that helps a user; the sentence after it does.
// The callers name the model file, so onnxruntime's own 'Load model from FILE failed:' goes too.

/** A C++ source location: /onnxruntime_src/onnxruntime/core/graph/model.cc:187, or just model_load_utils.h:46. */
const location = /(?:[\w.-]*\/)*[\w-]+\.(?:cc|cpp|cxx|c|h|hpp):\d+\s+/;

/** onnxruntime's message without source locations and raising functions: its first line, as it explains the problem. */
export function ortText(message: string): string {
  let s = message.split('\n')[0].replace(/^\[[^\]]*\]\s*/, '');
  s = s.replace(/Load model from .*? failed:\s*/, '');
  for (let guard = 0; guard < 10; guard++) {
    const m = location.exec(s);
    if (!m) break;
    const start = m.index;
    // glued to the sentence before it ('...failed.tensorprotoutils.cc:1763 ...'): keep the sentences apart
    const gap = start > 0 && !/\s/.test(s[start - 1]) ? ' ' : '';
    s = s.slice(0, start) + gap + dropFunction(s.slice(start + m[0].length));
  }
  return s.trim();
}

/** `rest` without the function name or C++ signature it starts with. */
function dropFunction(rest: string): string {
  const open = rest.indexOf('(');
  const head = open < 0 ? '' : rest.slice(0, open);
  // a signature: a return type and a qualified name (a::b, templates, pointers), then its parameter list
  if (open > 0 && /^[\w:<>,*&~{} ]+$/.test(head) && /::/.test(head.split(' ').pop() ?? '')) {
    let depth = 0;
    for (let i = open; i < rest.length; i++) {
      if (rest[i] === '(') depth++;
      else if (rest[i] === ')' && --depth === 0) return rest.slice(i + 1).replace(/^(\s*(const|noexcept|override))*\s*/, '');
    }
    return rest;
  }
  // a bare function name
  return rest.replace(/^[A-Za-z_][\w:]*\s+/, '');
}
