import { NodeVersion } from './kit/node-version';

// Imported first by src/main.ts: CommonJS loads imports in order, so this runs before any module
// that needs Node.js 24 (node:sqlite) is loaded.
NodeVersion.enforce();
