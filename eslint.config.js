// ESLint flat config. Import boundaries between src/ folders are checked by scripts/check-boundaries.mjs;
// here: TypeScript rules, and the purity rules for the deterministic Raft core.
import tseslint from 'typescript-eslint';

const impureGlobals = ['Date', 'setTimeout', 'setInterval', 'setImmediate', 'performance', 'process', 'queueMicrotask'];

export default tseslint.config(
  { ignores: ['dist/**', 'dist.build-*/**', 'dist.old-*/**', 'node_modules/**', 'src/proto/gen/**', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'max-len': ['error', { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreComments: true }],
    },
  },
  {
    files: ['src/raft/**/*.ts'],
    ignores: ['src/raft/**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', ...impureGlobals.map((name) => ({ name, message: 'raft is pure: inject time/randomness' }))],
      'no-restricted-syntax': ['error',
        { selector: 'FunctionDeclaration[async=true], ArrowFunctionExpression[async=true], FunctionExpression[async=true]', message: 'raft is synchronous' },
        { selector: 'AwaitExpression', message: 'raft is synchronous' },
        { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'use the injected Random' },
      ],
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'net', 'http', 'http2', 'crypto'] }],
    },
  },
);
