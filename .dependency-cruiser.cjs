// The layers of harness/, highest first: a folder may import from its own layer and the ones
// below it, never from one above (cli -> suite -> explore -> session -> ... -> hosts -> util). Checked
// by harness/architecture.test.ts in `npm test`; `npx depcruise harness bench suites` shows it.
const LAYERS = [
  'cli',
  'setup',
  'suite',
  'explore',
  'session',
  'reporting',
  'judging',
  'runner',
  'scenario',
  'steps',
  'faults',
  'observation',
  'emulator',
  'drivers',
  'qmp',
  'spice',
  'network',
  'guest',
  'hosts',
  'requirements',
  'util',
];

const upward = LAYERS.slice(1).map((layer, i) => ({
  name: `${layer}-imports-no-higher-layer`,
  comment: `harness/${layer}/ sits below ${LAYERS.slice(0, i + 1).join(', ')}: it must not import them`,
  severity: 'error',
  from: { path: `^harness/${layer}/` },
  to: { path: `^harness/(${LAYERS.slice(0, i + 1).join('|')})/` },
}));

// Not run by `cutover`: the harness's own tests (suites/*.test.ts are run by `cutover run`, so
// they count as runtime), their fixtures and helpers, the benchmarks and vitest's configs.
const RUNTIME_NOT = [
  '^harness/.+\\.test\\.ts$',
  '/fixtures?/',
  '/fixture\\.ts$',
  '/e2e-helpers\\.ts$',
  '^bench/',
  '^vitest[^/]*\\.config\\.ts$',
].join('|');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'judges-stay-pure',
      comment: 'a judge decides from the observation alone: no files, processes or network',
      severity: 'error',
      from: { path: '^harness/judging/', pathNot: '(\\.test\\.ts|/fixture\\.ts)$' },
      to: {
        path: '^(node:)?(fs|fs/promises|child_process|net|http|https|dgram)$|^harness/(hosts|drivers/(qemu|libvirt)|network|spice|qmp)/',
      },
    },
    {
      name: 'judges-know-no-emulated-target',
      comment:
        'a judge reads the observation alone, the same from real QEMU, libvirt or the emulated target: it must not know the emulator, its daemon or its hosts',
      severity: 'error',
      from: { path: '^harness/judging/' },
      to: { path: '^harness/(emulator|drivers/emulated|hosts/emulated)/' },
    },
    {
      name: 'runtime-imports-no-dev-dependency',
      comment:
        "what `cutover` runs (the CLI, harness/ and the suites) is installed by `npm ci --omit=dev`: a package it imports belongs in package.json's dependencies (not its devDependencies, nor only another package's)",
      severity: 'error',
      from: { pathNot: RUNTIME_NOT },
      to: { dependencyTypes: ['npm-dev', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'every-folder-of-harness-has-a-layer',
      comment: 'a new folder of harness/ gets its place in LAYERS (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^harness/[^/]+/', pathNot: `^harness/(${LAYERS.join('|')})/` },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'modules that import each other cannot be understood (or tested) one at a time',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
