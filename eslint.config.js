// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test-output/**',
      'bin/**',
      '.scratch*/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: true } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-default-export': 'error',
    },
  },
  {
    files: ['eslint.config.js', 'vitest.config.ts'],
    rules: { 'import-x/no-default-export': 'off' },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Layering (DESIGN §3): agora knows nothing of queues; jobs has no bullmq; producer never imports worker.
    files: ['src/agora/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'bullmq',
            'ioredis',
            '../jobs/*',
            '../worker/*',
            '../producer/*',
            '../config/*',
          ],
        },
      ],
    },
  },
  {
    files: ['src/jobs/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['bullmq', 'ioredis', '../worker/*', '../producer/*'] },
      ],
    },
  },
  {
    files: ['src/producer/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../worker/*'] }] },
  },
);
