// A small, deliberate rule set: the recommended correctness rules, plus the architecture's import
// boundaries (see README "Architecture") and the single-exit rule. Style is left to the formatter.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const edgeOnly = (paths, message) => paths.map((name) => ({ name, message }));
const clusterLibs = edgeOnly(['@kubernetes/client-node'], 'only src/cluster/ and src/apply/ talk to the Kubernetes API');
const helmLibs = edgeOnly(['execa'], 'only src/helm/ runs subprocesses');
const uiLibs = edgeOnly(['ora', 'chalk', '@inquirer/prompts'], 'only src/ui/ draws on the terminal');
const edgeFolders = ['**/cluster/**', '**/apply/**', '**/helm/**', '**/ui/**', '**/cli/**'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.bench/', '.cluster/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']", message: 'throw a DynamoctlError; only bin/ and main.ts decide the exit' },
      ],
    },
  },
  // Each edge library belongs to one folder; every other folder is refused it. (Flat config takes the
  // last matching block's rule value, so each block lists everything its files may not import.)
  ...[
    { files: ['src/**/*.ts'], ignores: ['src/cluster/**', 'src/apply/**', 'src/helm/**', 'src/ui/**'], deny: [...clusterLibs, ...helmLibs, ...uiLibs] },
    { files: ['src/cluster/**', 'src/apply/**'], deny: [...helmLibs, ...uiLibs] },
    { files: ['src/helm/**'], deny: [...clusterLibs, ...uiLibs] },
    { files: ['src/ui/**'], deny: [...clusterLibs, ...helmLibs] },
  ].map(({ deny, ...block }) => ({ ...block, rules: { 'no-restricted-imports': ['error', { paths: deny }] } })),
  {
    // The pure core never reaches the edges: no I/O, no cluster, no terminal.
    files: ['src/config/**', 'src/render/**', 'src/components/**', 'src/conflicts/**', 'src/wizard/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [...clusterLibs, ...helmLibs, ...uiLibs], patterns: [{ group: edgeFolders, message: 'the pure core must not import the edges' }] },
      ],
    },
  },
  {
    // The engine and its recipes emit events; src/ui/ renders them. They never draw or prompt themselves.
    files: ['src/engine/**', 'src/install/**', 'src/adopt/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [...clusterLibs, ...helmLibs, ...uiLibs], patterns: [{ group: ['**/ui/**', '**/cli/**'], message: 'the engine emits events; src/ui/ renders them' }] },
      ],
    },
  },
  {
    files: ['test/**', 'bin/**', '*.js', '*.ts'],
    rules: { 'no-console': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    // the error boundary: the one place that exits (on signals, after cleanups)
    files: ['src/main.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['bin/**'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly', __filename: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
