/** The Node.js major version the app needs (`.nvmrc`, `engines` in package.json). */
const REQUIRED_MAJOR = 24;

/**
 * Stops the process on an older Node.js with one plain line naming the version to use, before
 * any module that needs a newer runtime is loaded: on Node 20 the embedded database
 * (`node:sqlite`) does not exist, and the app would otherwise die with a stack trace.
 */
export class NodeVersion {
  static readonly REQUIRED_MAJOR = REQUIRED_MAJOR;

  /** The line to print when `version` (as in `process.versions.node`) is too old, else null. */
  static problem(version: string): string | null {
    const major = Number(version.split('.')[0]);
    return Number.isInteger(major) && major >= REQUIRED_MAJOR
      ? null
      : `Leakproof needs Node.js ${REQUIRED_MAJOR} or newer (this is ${version}): run \`nvm use\` (.nvmrc) or install Node.js ${REQUIRED_MAJOR}.`;
  }

  static enforce(version = process.versions.node): void {
    const problem = NodeVersion.problem(version);
    if (problem === null) return;
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
