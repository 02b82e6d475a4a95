// ESLint flat config: typescript-eslint strict, plus engine purity (STYLE rule 7). The dependency rule itself is
// checked by dependency-cruiser (`.dependency-cruiser.cjs`) and by test/unit/architecture.test.ts.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/__fixtures__/**'] },
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-throw-literal': 'error',
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    ignores: ['src/engine/**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'fetch'],
      'no-restricted-imports': ['error', { patterns: ['node:*', 'ioredis', 'bullmq', 'axios', 'fastify'] }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'the engine takes `now` as an argument' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'the engine takes `now` as an argument' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'randomness is an argument' },
      ],
    },
  },
  {
    files: ['connectors/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../../src/!(contract)/**', '../../src/*.js', 'axios', 'ioredis', 'bullmq', 'node:http', 'node:https'] }],
    },
  },
  { files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
);
