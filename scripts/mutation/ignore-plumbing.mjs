// A StrykerJS ignorer: mutants in a reference client's logging and in its diagnostic
// counters (`metrics`) are not mutants of a decision. No requirement judges a log line
// or a counter shown only for information, so every such mutant would survive and dilute
// the score; they are reported as "Ignored" with the reason below.
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

/** `this.log(...)`, `env.log(...)`, `this.cmd({ type: 'log', ... })`. */
function isLogCall(node) {
  if (node?.type !== 'CallExpression') return false;
  const callee = node.callee;
  if (callee.type === 'MemberExpression' && callee.property.type === 'Identifier' && callee.property.name === 'log') return true;
  const arg = node.arguments[0];
  return (
    arg?.type === 'ObjectExpression' &&
    arg.properties.some(
      (p) => p.type === 'ObjectProperty' && keyName(p) === 'type' && p.value.type === 'StringLiteral' && p.value.value === 'log',
    )
  );
}

function keyName(p) {
  return p.key.type === 'Identifier' ? p.key.name : p.key.type === 'StringLiteral' ? p.key.value : undefined;
}

/** `this.metrics.x++`, `this.metrics.x += ...`, `m.x = ...` where the target names `metrics`. */
function touchesMetrics(node) {
  let target = node?.type === 'UpdateExpression' ? node.argument : node?.type === 'AssignmentExpression' ? node.left : undefined;
  while (target?.type === 'MemberExpression') {
    if (target.property.type === 'Identifier' && target.property.name === 'metrics') return true;
    target = target.object;
  }
  return false;
}

/** A statement that only logs or only counts. */
function isPlumbingStatement(s) {
  if (!s) return false;
  if (s.type === 'ExpressionStatement') return isLogCall(s.expression) || touchesMetrics(s.expression);
  if (s.type === 'BlockStatement') return s.body.length > 0 && s.body.every(isPlumbingStatement);
  // `if (cond) <only logging or counting>`: the condition decides nothing else.
  if (s.type === 'IfStatement') return isPlumbingStatement(s.consequent) && (!s.alternate || isPlumbingStatement(s.alternate));
  return false;
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'lockstep-plumbing', {
    shouldIgnore(path) {
      const n = path.node;
      if (isLogCall(n)) return 'logging: no requirement judges a log line';
      if (isPlumbingStatement(n)) return 'logging or diagnostic counters only';
      if (touchesMetrics(n)) return 'diagnostic counter (metrics), shown for information only';
      if (n.type === 'ObjectProperty' && keyName(n) === 'metrics') return 'diagnostic counters (metrics), shown for information only';
      return undefined;
    },
  }),
];
