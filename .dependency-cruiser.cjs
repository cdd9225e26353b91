// The dependency rule of src/ (docs/architecture.md, "What a folder may import"), checked by
// `npm run lint:deps` and in CI.
//
// Folders sit in layers; a folder imports only from its own layer or the layers below it,
// never from a layer above, and no two folders import each other.

/** Bottom to top. Folders on one line share a layer. */
const LAYERS = [
  ['common'], // error types, access decorators, scopes, secret digests, pure helpers
  ['config'], // the validated environment
  ['scim', 'context', 'logging', 'metrics'], // SCIM protocol, request context, log set-up, metrics registry
  ['database'], // data source, migrations, the one database handle
  ['search', 'jobs'], // search engine and durable jobs over the database
  ['audit'], // the audit trail: recording and reading it
  ['users'], // SCIM users, the accounts every other feature points at
  ['clients'], // the clients table and client provisioning
  ['auth'], // tenants, signing keys, tokens, client authentication, the bearer guard
  // Endpoints built on the layers above; cross-feature imports among them are listed below.
  [
    'client-registration',
    'devices',
    'organizations',
    'events',
    'bulk-import',
    'ciba',
    'log-streams',
    'service-provider',
    'health',
    'openapi',
  ],
  // the request pipeline (hooks, parsers, rate limit, guards, exception filter); the CLI,
  // a client of the HTTP API that imports nothing of the service
  ['http', 'cli'],
];

/** Imports allowed between folders of the top feature layer, in this direction only. */
const FEATURE_IMPORTS = {
  'bulk-import': ['devices', 'organizations'],
  'service-provider': ['devices', 'organizations'],
};

const folder = (name) => `^src/${name}/`;
const anyOf = (names) => (names.length ? `^src/(${names.join('|')})/` : '^$');

const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.join(', ')} may not import a higher layer (${LAYERS.slice(index + 1)
    .flat()
    .join(', ')})`,
  severity: 'error',
  from: { path: anyOf(layer) },
  to: { path: anyOf(LAYERS.slice(index + 1).flat()) },
}));

const featureLayer = LAYERS[LAYERS.length - 2];
const featureRules = featureLayer.map((name) => ({
  name: `feature-${name}`,
  comment: `${name} imports no other feature folder beyond ${
    (FEATURE_IMPORTS[name] ?? []).join(', ') || 'none'
  }`,
  severity: 'error',
  from: { path: folder(name) },
  to: {
    path: anyOf(
      featureLayer.filter(
        (other) => other !== name && !(FEATURE_IMPORTS[name] ?? []).includes(other),
      ),
    ),
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No module may reach itself through its imports.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment: 'No two folders of src/ may import each other, directly or through others.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'common-is-a-leaf',
      comment: 'common/ imports nothing else from src/: everything may use it.',
      severity: 'error',
      from: { path: '^src/common/' },
      to: { path: '^src/', pathNot: '^src/common/' },
    },
    {
      name: 'not-to-tests-or-bench',
      comment: 'The service never imports test or benchmark code.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'only-wiring-imports-the-root',
      comment: 'src/app.module.ts and src/main.ts are wiring: no folder imports them.',
      severity: 'error',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'no-orphans',
      comment: 'A source file nothing imports is dead code (entry points and specs excepted).',
      severity: 'error',
      from: {
        orphan: true,
        path: '^src/',
        pathNot: ['^src/main\\.ts$', '^src/cli/mgmt-audit\\.ts$', '\\.spec\\.ts$', '\\.d\\.ts$'],
      },
      to: {},
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves to a file or an installed package.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    ...layerRules,
    ...featureRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },

    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
