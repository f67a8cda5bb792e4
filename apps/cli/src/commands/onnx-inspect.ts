import { readOnnxFile, summarizeModel, type ValueSummary } from '@marl-hpo/onnx';
import { table, UsageError, type Command } from '../cli';

const fmt = (n: number) => n.toLocaleString('en-US');
const shape = (v: ValueSummary) => (v.shape ? `[${v.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '(unknown rank)');

export const onnxInspect: Command = {
  path: ['onnx', 'inspect'],
  usage: 'onnx inspect <file.onnx> [--json]',
  summary: 'Summary of any ONNX model: IR version, opsets, producer, inputs/outputs, op counts, parameters, metadata',
  options: { json: { type: 'boolean' } },
  async run({ positionals, values }, io) {
    if (positionals.length !== 1) throw new UsageError(`expected one ONNX file (usage: marl-hpo ${onnxInspect.usage})`);
    const s = summarizeModel(readOnnxFile(positionals[0]));
    if (values['json']) {
      io.out(JSON.stringify(s));
      return;
    }
    io.out(`${positionals[0]}: IR version ${s.irVersion}, producer '${s.producerName}'`);
    io.out(`opsets: ${s.opsetImports.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}`);
    for (const [label, list] of [['input', s.inputs], ['output', s.outputs]] as const) {
      for (const v of list) io.out(`${label} ${v.name}: ${v.elemType} ${shape(v)}`);
    }
    io.out(`${fmt(s.initializers)} initializers, ${fmt(s.params)} parameters\n`);
    const ops = Object.entries(s.opCounts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    io.out(table(['op', 'nodes'], ops));
    const meta = Object.entries(s.metadata);
    if (meta.length) io.out(`\nmetadata:\n${meta.map(([k, v]) => `  ${k}: ${v.length > 200 ? `${v.slice(0, 200)}...` : v}`).join('\n')}`);
  },
};
