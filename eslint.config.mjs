import nx from '@nx/eslint-plugin';

// Module boundaries of ../shared/DESIGN.md: cli -> search -> {agents, arch, data, trainer, onnx, profiler};
// trainer, onnx, profiler -> arch (trainer also reads data's batch types, profiler reads onnx);
// agents depends on nothing and on no ML package; no lib imports an app.
const mlPackages = ['@tensorflow/*', 'onnxruntime-*', 'sharp', 'protobufjs', 'bullmq', 'ioredis'];

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
            { sourceTag: 'scope:data', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:onnx', onlyDependOnLibsWithTags: ['scope:arch'] },
            { sourceTag: 'scope:trainer', onlyDependOnLibsWithTags: ['scope:arch', 'scope:data'] },
            { sourceTag: 'scope:profiler', onlyDependOnLibsWithTags: ['scope:arch', 'scope:onnx'] },
            { sourceTag: 'scope:search', onlyDependOnLibsWithTags: ['type:lib'] },
            // report reads run folders: search's journal/pareto, arch's layer tables, agents' snapshots.
            { sourceTag: 'scope:report', onlyDependOnLibsWithTags: ['scope:arch', 'scope:search', 'scope:agents'] },
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
