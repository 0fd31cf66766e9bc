// Refuses YAML nested deeper than any config needs, before the parser builds (and recurses over) its tree.
// 200,000 nested `[` took the yaml library 2-3 s and ~300 MB to refuse with a stack overflow; this check is one
// linear pass of its lexer, and stops at the first level too deep.
import { CST, Lexer } from 'yaml';

/**
 * Collections nested in one another. A Prometheus config is about 8 deep; the yaml library's own recursion
 * overflows the stack somewhere under 800. Kubernetes' Go YAML reader allows 10,000, which Node cannot.
 */
export const MAX_YAML_DEPTH = 100;

/** yaml's Lexer marks document starts, scalars and flow ends with these; they are not source text. */
const CONTROL = new Set(['\u0002', '\u0018', '\u001f']);

export interface DepthError {
  /** Offset of the token that went too deep, and its 1-based line and column. */
  offset: number;
  line: number;
  col: number;
  message: string;
}

/**
 * Depth = open flow collections (`[`, `{`) + open block collections, the latter tracked by indentation: a line
 * indented deeper than the one before opens a level, and each `- ` or `? ` indicator on a line opens one more
 * (`- - - x` is three sequences deep).
 */
export function checkYamlDepth(text: string, max = MAX_YAML_DEPTH): DepthError | undefined {
  let flow = 0;
  const indents: number[] = [];
  let lineStart = true;
  let lineIndicators = 0;
  let offset = 0;
  const tooDeep = (depth: number): DepthError => {
    let line = 1;
    for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
    const col = offset - text.lastIndexOf('\n', offset - 1);
    return { offset, line, col, message: `YAML nested ${depth} levels deep, more than the limit of ${max}` };
  };
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type === 'newline') {
      lineStart = true;
      lineIndicators = 0;
    } else if (lineStart && type !== 'space' && type !== 'comment' && flow === 0) {
      // The first real token of a line: its column is the block indentation.
      const column = offset - text.lastIndexOf('\n', offset - 1) - 1;
      while (indents.length > 0 && indents[indents.length - 1]! >= column) indents.pop();
      indents.push(column);
      lineStart = false;
    } else if (type !== 'space') {
      lineStart = false;
    }
    if (type === 'flow-map-start' || type === 'flow-seq-start') flow++;
    else if ((type === 'flow-map-end' || type === 'flow-seq-end') && flow > 0) flow--;
    else if ((type === 'seq-item-ind' || type === 'explicit-key-ind') && flow === 0) lineIndicators++;
    const depth = flow + indents.length + lineIndicators;
    if (depth > max) return tooDeep(depth);
    // The lexer's control tokens (document start, scalar and flow-end markers) take no room in the source.
    if (!CONTROL.has(token)) offset += token.length;
  }
  return undefined;
}
