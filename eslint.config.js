// ESLint flat config: typescript-eslint strict, the type-aware rules that matter in a queue service (a promise nobody
// awaits loses an acknowledged event; a switch that misses a new union member silently drops it), a 60-line budget
// for production functions, and engine purity (docs/architecture.md). The dependency rule itself is checked by
// dependency-cruiser (`.dependency-cruiser.cjs`) and by test/unit/architecture.test.ts.
import tseslint from 'typescript-eslint';

const typeAware = [
  'src/**/*.ts',
  'connectors/**/*.ts',
  'bench/**/*.ts',
  'scripts/**/*.ts',
  'test/**/*.ts',
  'vitest.config.ts',
];
// The pre-commit hook (.githooks/pre-commit) sets ESLINT_NO_TYPES=1: the syntactic rules only, in about a second.
// `npm run lint` (CI) always runs the type-aware rules.
const withTypes = process.env.ESLINT_NO_TYPES !== '1';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '**/__fixtures__/**',
      'deploy/kubernetes/rendered/**',
      'test/browser/screenshots/**',
    ],
  },
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-throw-literal': 'error',
    },
  },
  ...(withTypes
    ? [
        {
          // Type information (one TypeScript program per tsconfig, shared by every file it covers).
          files: typeAware,
          languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
          rules: {
            // `void promise` marks an intentional fire-and-forget; everything else is awaited or returned.
            '@typescript-eslint/no-floating-promises': 'error',
            '@typescript-eslint/no-misused-promises': 'error',
            // A switch over a union names every member, or has a `default` that handles the rest on purpose.
            '@typescript-eslint/switch-exhaustiveness-check': [
              'error',
              { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
            ],
          },
        },
      ]
    : []),
  {
    // Production functions stay readable in one screen (tests are exempt: a scenario may be long).
    files: ['src/**/*.ts', 'connectors/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['src/engine/**/*.ts'],
    ignores: ['src/engine/**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'fetch'],
      'no-restricted-imports': ['error', { patterns: ['node:*', 'ioredis', 'bullmq', 'axios', 'fastify'] }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'the engine takes `now` as an argument',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'the engine takes `now` as an argument',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'randomness is an argument',
        },
      ],
    },
  },
  {
    files: ['connectors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '../../src/!(contract)/**',
            '../../src/*.js',
            'axios',
            'ioredis',
            'bullmq',
            'node:http',
            'node:https',
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
