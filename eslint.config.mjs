import nx from '@nx/eslint-plugin';

// Module boundaries of ../shared/DESIGN.md:
// cli -> {experiments, queue, bench, report} -> search -> {agents, arch, data, trainer, onnx, profiler};
// experiments also reads bench's statistics; trainer, onnx, profiler -> arch (trainer also reads
// data's splits and uses onnx to export and to check the models of its backends, profiler reads onnx); search never imports bench, experiments or queue;
// agents depends on nothing and on no ML package; only queue talks to Redis; no lib imports an app.
const queuePackages = ['bullmq', 'ioredis'];
const mlPackages = ['@tensorflow/*', 'onnxruntime-*', 'sharp', 'protobufjs', ...queuePackages];
const engine = ['scope:agents', 'scope:arch', 'scope:data', 'scope:trainer', 'scope:onnx', 'scope:profiler'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/*.js', '**/*.mjs', '**/*.cjs', '**/generated/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          banTransitiveDependencies: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:agents', onlyDependOnLibsWithTags: [], bannedExternalImports: mlPackages },
            { sourceTag: 'scope:arch', onlyDependOnLibsWithTags: [], bannedExternalImports: mlPackages },
            { sourceTag: 'scope:data', onlyDependOnLibsWithTags: [], bannedExternalImports: queuePackages },
            { sourceTag: 'scope:onnx', onlyDependOnLibsWithTags: ['scope:arch'], bannedExternalImports: queuePackages },
            { sourceTag: 'scope:trainer', onlyDependOnLibsWithTags: ['scope:arch', 'scope:data', 'scope:onnx'], bannedExternalImports: queuePackages },
            { sourceTag: 'scope:profiler', onlyDependOnLibsWithTags: ['scope:arch', 'scope:onnx'], bannedExternalImports: queuePackages },
            { sourceTag: 'scope:search', onlyDependOnLibsWithTags: engine, bannedExternalImports: queuePackages },
            { sourceTag: 'scope:bench', onlyDependOnLibsWithTags: ['scope:search', 'scope:agents'], bannedExternalImports: queuePackages },
            { sourceTag: 'scope:experiments', onlyDependOnLibsWithTags: ['scope:search', 'scope:bench', 'scope:arch'], bannedExternalImports: queuePackages },
            { sourceTag: 'scope:queue', onlyDependOnLibsWithTags: ['scope:search', 'scope:arch'] },
            // report reads run folders: search's journal/pareto, arch's layer tables, agents' snapshots.
            { sourceTag: 'scope:report', onlyDependOnLibsWithTags: ['scope:arch', 'scope:search', 'scope:agents'], bannedExternalImports: queuePackages },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:app'] },
            { sourceTag: 'scope:profiler-server', onlyDependOnLibsWithTags: ['scope:profiler', 'scope:onnx', 'scope:arch'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
